// Runs one `membrane link` composition two ways on Node 26 and requires identical
// behaviour:
//   separate  every input is instantiated on its own, in dependency order, its imports
//             wired by hand to the providers' exports (host imports from a small env
//             object, WASI from node:wasi for each instance that imports it);
//   fused     the output of `membrane link` is instantiated once.
//
// usage: node harness.mjs --membrane PATH --wat2wasm PATH --wasm-validate PATH
//          [--wasm2wat PATH] [--wasm-as PATH] --clang PATH [--cc-arg ARG | --cc-arg=ARG]...
//          [--keep] SCENARIO_DIR
//
// SCENARIO_DIR/manifest.json:
//   inputs    [{name, src, cflags?, wat_flags?}]  in link order; src is a .wat (wat2wasm)
//             or a .c (clang wasm32-wasi with the --cc-args and cflags)
//   link      extra arguments of `membrane link` after the NAME=FILE inputs and -o
//   features  extra wabt --enable-* flags (wat2wasm and wasm-validate), or binaryen's
//             for wasm-as
//   assembler "wasm-as": the .wat inputs are GC (Wasm 3.0) text that wabt cannot read,
//             assembled by binaryen's wasm-as (--wasm-as, a JS file run on this Node);
//             wasm-validate cannot check the output either, so V8 does (it compiles it)
//   host      {"MODULE.FIELD": {kind: func|memory|global|table, ...}}: the host's imports.
//             func: records [FIELD, ...args] in the host log and returns `returns` (or 0);
//             memory {initial, maximum?}; global {type, mutable, value}; table {initial}.
//             Each is created once per run and shared by every instance that imports it.
//   wasi      {args?, env?}: node:wasi options (both runs get the same)
//   calls     [{fn, args?, expect?, trap?, stack_contains?}] called after initialization,
//             in order; fn is an export name of the fused module. args: numbers, or
//             strings "123n" for i64, "NaN", "Infinity", "-Infinity", "-0". expect: the result (number, "5n", array, null for
//             none). trap: a substring of the error message the call must end with.
//             stack_contains: a substring the fused run's error.stack must contain.
//             exception: {tag, args}: the call ends with a WebAssembly.Exception of the
//             exported tag `tag` (null: none of the exported tags) with payload args.
//   expect    {exit?, stdout?, stderr?, memory?: [{export, offset, hex|text}],
//             globals?: {export: value}, link_stderr?: [substrings],
//             same_interface?: INSTANCE (the fused imports/exports equal that input's),
//             faithful_copy?: INSTANCE (wasm2wat --no-debug-names of the fused module and
//             of that input are the same text; needs --wasm2wat),
//             fused_imports?: WebAssembly.Module.imports() of the fused module,
//             fused_type_groups?: the number of rec groups in the fused module's type
//             section (equal groups of different inputs must have become one)}
//
// What is compared after instantiation, after initialization (_start/_initialize) and
// after every call: the call's result or trap (class and message), every exported memory
// (size and bytes), global (value) and table (length; each entry null or a function of
// some arity), the host log, host memories and globals, the exit code, stdout and stderr.
// The fused module must pass wasm-validate --enable-multi-memory (plus `features`), and
// its export names and kinds must be exactly the selected ones.
//
// Exit status 0 when everything holds, 1 otherwise (differences printed), 2 on bad usage.
import { WASI } from 'node:wasi';
import { spawnSync } from 'node:child_process';
import {
  readFileSync, mkdtempSync, openSync, closeSync, rmSync, existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { isDeepStrictEqual, inspect } from 'node:util';

function usage(msg) {
  process.stderr.write(`harness: ${msg}\n`);
  process.exit(2);
}

const opts = { ccArgs: [], keep: !!process.env.MB_KEEP };
const argv = process.argv.slice(2);
while (argv.length > 1) {
  const a = argv.shift();
  if (a === '--membrane') opts.membrane = argv.shift();
  else if (a === '--wat2wasm') opts.wat2wasm = argv.shift();
  else if (a === '--wasm-validate') opts.wasmValidate = argv.shift();
  else if (a === '--wasm2wat') opts.wasm2wat = argv.shift();
  else if (a === '--wasm-as') opts.wasmAs = argv.shift();
  else if (a === '--clang') opts.clang = argv.shift();
  else if (a === '--cc-arg') opts.ccArgs.push(argv.shift());
  else if (a.startsWith('--cc-arg=')) opts.ccArgs.push(a.slice('--cc-arg='.length));
  else if (a === '--keep') opts.keep = true;
  else usage(`unknown option ${a}`);
}
if (argv.length !== 1 || !opts.membrane || !opts.wat2wasm || !opts.wasmValidate)
  usage('need --membrane, --wat2wasm, --wasm-validate and a scenario directory');
const dir = argv[0];
const scenario = basename(dir);
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), `link-${scenario}-`));

let failures = 0;
function fail(msg) {
  failures++;
  process.stderr.write(`harness: ${scenario}: ${msg}\n`);
}
function finish() {
  if (!opts.keep) rmSync(work, { recursive: true, force: true });
  else process.stderr.write(`harness: files kept in ${work}\n`);
  if (failures) process.stderr.write(`harness: ${scenario}: FAILED (${failures})\n`);
  else process.stdout.write(`harness: ${scenario}: fused and separate runs agree\n`);
  process.exit(failures ? 1 : 0);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r;
}
function mustRun(what, cmd, args) {
  const r = run(cmd, args);
  if (r.status !== 0) {
    fail(`${what} failed (status ${r.status}):\n$ ${cmd} ${args.join(' ')}\n${r.stdout}${r.stderr}`);
    finish();
  }
  return r;
}

// ---- build the inputs and link them ----

const features = manifest.features ?? [];
const inputs = manifest.inputs.map((spec) => {
  const out = join(work, `${spec.name}.wasm`);
  const src = join(dir, spec.src);
  if (spec.src.endsWith('.wat') && manifest.assembler === 'wasm-as') {
    if (!opts.wasmAs) usage('a wasm-as scenario needs --wasm-as');
    mustRun(`wasm-as ${spec.src}`, process.execPath,
      [opts.wasmAs, ...features, ...(spec.wat_flags ?? []), src, '-o', out]);
  } else if (spec.src.endsWith('.wat')) {
    mustRun(`wat2wasm ${spec.src}`, opts.wat2wasm,
      [...features, ...(spec.wat_flags ?? []), src, '-o', out]);
  } else if (spec.src.endsWith('.c')) {
    if (!opts.clang) usage('a C input needs --clang');
    mustRun(`clang ${spec.src}`, opts.clang, [...opts.ccArgs, ...(spec.cflags ?? []), src, '-o', out]);
  } else {
    usage(`input ${spec.src}: expected .wat or .c`);
  }
  const bytes = readFileSync(out);
  return { name: spec.name, path: out, bytes, module: new WebAssembly.Module(bytes) };
});
const byName = new Map(inputs.map((i) => [i.name, i]));
const linkArgs = manifest.link ?? [];
const fusedPath = join(work, 'fused.wasm');
const linked = mustRun('membrane link', opts.membrane,
  ['link', ...inputs.map((i) => `${i.name}=${i.path}`), '-o', fusedPath, ...linkArgs]);
for (const s of manifest.expect?.link_stderr ?? [])
  if (!linked.stderr.includes(s)) fail(`membrane link's stderr lacks ${JSON.stringify(s)}:\n${linked.stderr}`);
if (manifest.assembler !== 'wasm-as')
  mustRun('wasm-validate', opts.wasmValidate, ['--enable-multi-memory', ...features, fusedPath]);
const fusedBytes = readFileSync(fusedPath);
const fusedModule = new WebAssembly.Module(fusedBytes);
if (manifest.expect?.fused_type_groups !== undefined) {
  // the type section's count: its first LEB128 (0 without the section)
  let p = 8, groups = 0;
  const leb = () => { let r = 0, sh = 0, x; do { x = fusedBytes[p++]; r += (x & 0x7f) * 2 ** sh; sh += 7; } while (x & 0x80); return r; };
  while (p < fusedBytes.length) {
    const id = fusedBytes[p++], size = leb(), end = p + size;
    if (id === 1) groups = leb();
    p = end;
  }
  if (groups !== manifest.expect.fused_type_groups)
    fail(`the fused module has ${groups} rec groups, expected ${manifest.expect.fused_type_groups}`);
}

// ---- the link options, read independently of membrane ----

let mainName = inputs[0].name;
const wires = new Map();      // "consumer\0module" -> provider
const selected = [];          // [{inst, name, as}]
let stubMissing = false;
for (let i = 0; i < linkArgs.length; i++) {
  const a = linkArgs[i];
  if (a === '--main') mainName = linkArgs[++i];
  else if (a === '--wire') {
    const v = linkArgs[++i];
    const dot = v.indexOf('.'), eq = v.lastIndexOf('=');
    wires.set(`${v.slice(0, dot)}\0${v.slice(dot + 1, eq)}`, v.slice(eq + 1));
  } else if (a === '--export') {
    const v = linkArgs[++i];
    const dot = v.indexOf('.'), eq = v.indexOf('=');
    const name = eq < 0 ? v.slice(dot + 1) : v.slice(dot + 1, eq);
    selected.push({ inst: v.slice(0, dot), name, as: eq < 0 ? name : v.slice(eq + 1) });
  } else if (a === '--stub-missing') stubMissing = true;
  else if (a === '--dot') i++;
}
const WASI_MODULES = new Set(['wasi_snapshot_preview1', 'wasi_unstable']);
function providerFor(consumer, module) {
  const w = wires.get(`${consumer}\0${module}`);
  if (w !== undefined) return w;
  return byName.has(module) ? module : null;
}
function importsHostWasi(input) {
  return WebAssembly.Module.imports(input.module).some((im) =>
    im.kind === 'function' && WASI_MODULES.has(im.module) && providerFor(input.name, im.module) === null);
}

// Dependency order: providers first, depth-first over imports in input order.
const order = [];
{
  const mark = new Map();
  const visit = (inp) => {
    if (mark.get(inp.name)) return;
    mark.set(inp.name, 1);
    for (const im of WebAssembly.Module.imports(inp.module)) {
      const p = providerFor(inp.name, im.module);
      if (p !== null && p !== inp.name) visit(byName.get(p));
    }
    mark.set(inp.name, 2);
    order.push(inp);
  };
  inputs.forEach(visit);
}

// Output export name -> [instance, export name].
const exportMap = new Map();
if (selected.length) {
  for (const s of selected) exportMap.set(s.as, [s.inst, s.name]);
} else {
  for (const e of WebAssembly.Module.exports(byName.get(mainName).module))
    exportMap.set(e.name, [mainName, e.name]);
}
const wasiUser = inputs.find(importsHostWasi);
if (wasiUser) exportMap.set('memory', [wasiUser.name, 'memory']);
// A generated _initialize (reactors' _initialize in dependency order) is exported when
// the main instance is a reactor with other reactors, or has no entry point while a
// reactor must be initialized after the host's WASI can reach memory.
{
  const has = (inp, name) => WebAssembly.Module.exports(inp.module).some((e) => e.name === name);
  const main = byName.get(mainName);
  const others = inputs.filter((i) => i !== main && has(i, '_initialize'));
  if (!has(main, '_start') && others.length && (has(main, '_initialize') || wasiUser) &&
      !exportMap.has('_initialize'))
    exportMap.set('_initialize', null);
}

{
  const want = [...exportMap.keys()].sort();
  const got = WebAssembly.Module.exports(fusedModule).map((e) => e.name).sort();
  if (!isDeepStrictEqual(want, got))
    fail(`fused exports ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}
if (manifest.expect?.same_interface) {
  const orig = byName.get(manifest.expect.same_interface).module;
  for (const what of ['imports', 'exports']) {
    const a = WebAssembly.Module[what](orig), b = WebAssembly.Module[what](fusedModule);
    if (!isDeepStrictEqual(a, b))
      fail(`${what} differ from the single input's:\n  input ${inspect(a)}\n  fused ${inspect(b)}`);
  }
}

if (manifest.expect?.fused_imports) {
  const got = WebAssembly.Module.imports(fusedModule);
  if (!isDeepStrictEqual(got, manifest.expect.fused_imports))
    fail(`fused imports ${inspect(got)}, expected ${inspect(manifest.expect.fused_imports)}`);
}
if (manifest.expect?.faithful_copy) {
  if (!opts.wasm2wat) usage('faithful_copy needs --wasm2wat');
  const text = (p) => mustRun('wasm2wat', opts.wasm2wat, ['--no-debug-names', '--enable-multi-memory', p]).stdout;
  const a = text(byName.get(manifest.expect.faithful_copy).path).split('\n');
  const b = text(fusedPath).split('\n');
  const i = a.findIndex((line, k) => line !== b[k]);
  if (i >= 0 || a.length !== b.length)
    fail(`the fused module is not a copy of the input: line ${i + 1}:\n  input ${a[i]}\n  fused ${b[i]}`);
}

// ---- values, snapshots, the host ----

function enc(v) {
  if (v === undefined) return null;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v;
  if (Array.isArray(v)) return v.map(enc);
  if (v === null) return 'null';
  if (typeof v === 'function') return `func/${v.length}`;
  return String(v);
}
function argValue(a) {
  if (typeof a !== 'string') return a;
  if (/^-?\d+n$/.test(a)) return BigInt(a.slice(0, -1));
  if (['NaN', 'Infinity', '-Infinity', '-0'].includes(a)) return Number(a);
  return a;
}
function errorOf(e, run) {
  if (e instanceof WebAssembly.Exception) {
    // which exported tag it is, and its payload
    const out = { error: 'WebAssembly.Exception', tag: null, args: [] };
    for (const name of exportMap.keys()) {
      const tag = run?.exportValue(name);
      if (tag instanceof WebAssembly.Tag && e.is(tag)) {
        out.tag = name;
        for (let i = 0; ; i++) {
          try { out.args.push(enc(e.getArg(tag, i))); } catch { break; }
        }
      }
    }
    return out;
  }
  return { error: e?.constructor?.name ?? typeof e, message: String(e?.message ?? e) };
}

function makeHost() {
  const log = [];
  const objects = new Map();
  for (const [key, spec] of Object.entries(manifest.host ?? {})) {
    const field = key.slice(key.indexOf('.') + 1);
    let v;
    if (spec.kind === 'func') {
      v = (...args) => { log.push([field, ...args.map(enc)]); return argValue(spec.returns ?? 0); };
    } else if (spec.kind === 'memory') {
      v = new WebAssembly.Memory({ initial: spec.initial, maximum: spec.maximum });
    } else if (spec.kind === 'global') {
      v = new WebAssembly.Global({ value: spec.type, mutable: !!spec.mutable }, argValue(spec.value));
    } else if (spec.kind === 'table') {
      v = new WebAssembly.Table({ element: 'anyfunc', initial: spec.initial });
    } else usage(`host ${key}: unknown kind ${spec.kind}`);
    objects.set(key, v);
  }
  return { log, objects };
}

function snapshotOf(value) {
  if (value instanceof WebAssembly.Memory) {
    return { memory: Buffer.from(new Uint8Array(value.buffer)) }; // a copy
  }
  if (value instanceof WebAssembly.Global) return { global: enc(value.value) };
  if (value instanceof WebAssembly.Table) {
    const entries = [];
    for (let i = 0; i < value.length; i++) entries.push(enc(value.get(i)));
    return { table: entries };
  }
  return undefined;
}

// exportsOf(name) -> the export's value in this run
function snapshot(run) {
  const s = { exports: {}, host: { log: [...run.host.log] } };
  for (const [name, target] of exportMap) {
    if (target === null) continue; // generated by membrane: a function
    const v = run.exportValue(name);
    const snap = v === undefined ? { missing: true } : snapshotOf(v);
    if (snap) s.exports[name] = snap;
  }
  for (const [key, obj] of run.host.objects) {
    const snap = snapshotOf(obj);
    if (snap) s.host[key] = snap;
  }
  return s;
}

function makeWasi(run) {
  return new WASI({
    version: 'preview1',
    args: manifest.wasi?.args ?? [scenario],
    env: manifest.wasi?.env ?? {},
    preopens: {},
    stdout: run.stdoutFd,
    stderr: run.stderrFd,
    returnOnExit: true,
  });
}

function newRun(label) {
  const run = {
    label, host: makeHost(), steps: [],
    stdoutPath: join(work, `${label}.stdout`), stderrPath: join(work, `${label}.stderr`),
  };
  run.stdoutFd = openSync(run.stdoutPath, 'w+');
  run.stderrFd = openSync(run.stderrPath, 'w+');
  return run;
}

function hostImport(run, module, name, kind) {
  const key = `${module}.${name}`;
  if (run.host.objects.has(key)) return run.host.objects.get(key);
  if (kind === 'function' && stubMissing)
    return () => { throw new WebAssembly.RuntimeError('unreachable'); };
  return undefined;
}

// A step: do `fn`, record its outcome and the state after it.
function step(run, what, fn) {
  let outcome;
  try {
    outcome = { result: enc(fn()) };
  } catch (e) {
    outcome = errorOf(e, run);
    run.lastError = e;
  }
  run.steps.push({ what, outcome, state: snapshot(run) });
  return outcome;
}

function doCalls(run) {
  for (const c of manifest.calls ?? []) {
    run.lastError = undefined;
    const outcome = step(run, `call ${c.fn}(${(c.args ?? []).join(', ')})`, () => {
      const f = run.exportValue(c.fn);
      if (typeof f !== 'function') throw new Error(`no exported function ${c.fn}`);
      return f(...(c.args ?? []).map(argValue));
    });
    if ('expect' in c && !isDeepStrictEqual(outcome, { result: enc(argValue(c.expect)) }))
      fail(`${run.label}: ${c.fn}(${(c.args ?? []).join(', ')}) gave ${inspect(outcome)}, expected ${inspect(c.expect)}`);
    if (c.exception !== undefined && !isDeepStrictEqual(outcome, { error: 'WebAssembly.Exception', ...c.exception }))
      fail(`${run.label}: ${c.fn} gave ${inspect(outcome)}, expected the exception ${inspect(c.exception)}`);
    if (c.trap !== undefined && !(outcome.error && outcome.message?.includes(c.trap)))
      fail(`${run.label}: ${c.fn} gave ${inspect(outcome)}, expected a trap with "${c.trap}"`);
    if (c.stack_contains !== undefined && run.label === 'fused') {
      const stack = String(run.lastError?.stack);
      if (!stack.includes(c.stack_contains))
        fail(`fused: ${c.fn}: error.stack lacks "${c.stack_contains}":\n${stack}`);
    }
  }
}

function endRun(run) {
  closeSync(run.stdoutFd);
  closeSync(run.stderrFd);
  run.stdout = readFileSync(run.stdoutPath, 'utf8');
  run.stderr = readFileSync(run.stderrPath, 'utf8');
  return run;
}

// ---- the separate composition, wired by hand ----

function runSeparate() {
  const run = newRun('separate');
  const insts = new Map();
  const wasis = new Map();
  run.exportValue = (name) => {
    const [inst, field] = exportMap.get(name) ?? [];
    return insts.get(inst)?.exports[field];
  };
  const ok = step(run, 'instantiate', () => {
    for (const inp of order) {
      const imports = {};
      for (const im of WebAssembly.Module.imports(inp.module)) {
        const p = providerFor(inp.name, im.module);
        let v;
        if (p !== null) {
          const provider = insts.get(p);
          if (provider) v = provider.exports[im.name];
          else if (im.kind === 'function') v = (...args) => insts.get(p).exports[im.name](...args);
          else throw new Error(`${inp.name}: ${im.module}.${im.name} (${im.kind}) is on an import cycle`);
        } else if (WASI_MODULES.has(im.module)) {
          if (!wasis.has(inp.name)) wasis.set(inp.name, makeWasi(run));
          v = wasis.get(inp.name).getImportObject()[im.module][im.name];
        } else {
          v = hostImport(run, im.module, im.name, im.kind);
        }
        (imports[im.module] ??= {})[im.name] = v;
      }
      insts.set(inp.name, new WebAssembly.Instance(inp.module, imports));
    }
  });
  if (ok.error) return endRun(run);
  const main = insts.get(mainName);
  const isCommand = typeof main.exports._start === 'function';
  step(run, 'initialize', () => {
    for (const inp of order) {
      const inst = insts.get(inp.name);
      if (inp.name === mainName && isCommand) continue;
      if (wasis.has(inp.name)) wasis.get(inp.name).initialize(inst);
      else if (typeof inst.exports._initialize === 'function') inst.exports._initialize();
    }
    if (isCommand) {
      if (wasis.has(mainName)) return wasis.get(mainName).start(main);
      return main.exports._start();
    }
    return undefined;
  });
  doCalls(run);
  return endRun(run);
}

// ---- the fused module ----

function runFused() {
  const run = newRun('fused');
  let inst;
  let wasi;
  run.exportValue = (name) => inst?.exports[name];
  const ok = step(run, 'instantiate', () => {
    const imports = {};
    for (const im of WebAssembly.Module.imports(fusedModule)) {
      let v;
      if (WASI_MODULES.has(im.module)) {
        wasi ??= makeWasi(run);
        v = wasi.getImportObject()[im.module][im.name];
      } else {
        v = hostImport(run, im.module, im.name, im.kind);
        if (v === undefined && im.kind === 'function' && stubMissing)
          throw new Error(`--stub-missing left ${im.module}.${im.name} an import`);
      }
      (imports[im.module] ??= {})[im.name] = v;
    }
    inst = new WebAssembly.Instance(fusedModule, imports);
  });
  if (ok.error) return endRun(run);
  step(run, 'initialize', () => {
    if (typeof inst.exports._start === 'function')
      return wasi ? wasi.start(inst) : inst.exports._start();
    if (wasi) wasi.initialize(inst);
    else if (typeof inst.exports._initialize === 'function') inst.exports._initialize();
    return undefined;
  });
  doCalls(run);
  return endRun(run);
}

// ---- compare ----

function firstDiff(a, b, path) {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) {
    if (a.length !== b.length) return `${path}: ${a.length} bytes vs ${b.length} bytes`;
    const i = a.findIndex((x, k) => x !== b[k]);
    return i < 0 ? null
      : `${path}: first difference at byte ${i}: ${a.subarray(i, i + 16).toString('hex')} vs ${b.subarray(i, i + 16).toString('hex')}`;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDiff(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return isDeepStrictEqual(a, b) ? null : `${path}: ${inspect(a)} vs ${inspect(b)}`;
}

let sep, fused;
try {
  sep = runSeparate();
  fused = runFused();
} catch (e) {
  fail(`harness error: ${e.stack}`);
  finish();
}
const trace = (r) => ({ steps: r.steps, stdout: r.stdout, stderr: r.stderr });
const diff = firstDiff(trace(sep), trace(fused), 'run');
if (diff) {
  fail(`separate and fused runs differ (separate vs fused): ${diff}`);
  for (const r of [sep, fused])
    process.stderr.write(`  ${r.label}: ${r.steps.map((s) => `${s.what} -> ${inspect(s.outcome)}`).join('\n    ')}\n`);
}

// Stated expectations, checked on both runs so a shared mistake cannot pass.
const ex = manifest.expect ?? {};
for (const r of [sep, fused]) {
  const init = r.steps.find((s) => s.what === 'initialize');
  const inst = r.steps.find((s) => s.what === 'instantiate');
  if (inst.outcome.error) fail(`${r.label}: instantiation failed: ${inspect(inst.outcome)}`);
  if (ex.exit !== undefined && !isDeepStrictEqual(init?.outcome, { result: ex.exit }))
    fail(`${r.label}: initialization gave ${inspect(init?.outcome)}, expected exit code ${ex.exit}`);
  if (ex.exit === undefined && init?.outcome.error)
    fail(`${r.label}: initialization failed: ${inspect(init.outcome)}`);
  if (ex.stdout !== undefined && r.stdout !== ex.stdout)
    fail(`${r.label}: stdout ${JSON.stringify(r.stdout)}, expected ${JSON.stringify(ex.stdout)}`);
  if (ex.stderr !== undefined && r.stderr !== ex.stderr)
    fail(`${r.label}: stderr ${JSON.stringify(r.stderr)}, expected ${JSON.stringify(ex.stderr)}`);
  const last = r.steps[r.steps.length - 1].state;
  for (const m of ex.memory ?? []) {
    const mem = last.exports[m.export]?.memory;
    const want = m.hex !== undefined ? Buffer.from(m.hex, 'hex') : Buffer.from(m.text, 'utf8');
    const got = mem?.subarray(m.offset, m.offset + want.length);
    if (!got || !got.equals(want))
      fail(`${r.label}: memory ${m.export} at ${m.offset}: ${got?.toString('hex')}, expected ${want.toString('hex')}`);
  }
  for (const [g, v] of Object.entries(ex.globals ?? {})) {
    const got = last.exports[g]?.global;
    if (!isDeepStrictEqual(got, enc(argValue(v))))
      fail(`${r.label}: global ${g} is ${inspect(got)}, expected ${inspect(v)}`);
  }
}
if (!existsSync(fusedPath)) fail('no fused output');
finish();
