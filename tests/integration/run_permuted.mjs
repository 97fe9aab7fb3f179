// Runs a module and its permuted twin (every index space reversed by permute_tool) and
// requires identical behaviour. On Node 26 (no flags needed: multi-memory, memory64,
// threads, legacy exceptions, relaxed SIMD, tail calls and extended-const are all on).
//
// usage: node run_permuted.mjs --permute-tool PATH --wasm-validate PATH
//          [--feature FLAG]... [--wasm-interp PATH]
//          (--js | --wasi [--preopen] [--expect-stdout FILE] [--expect-exit N]) MODULE.wasm
//
// --js    a plain module: every exported function is called in export order with
//         arguments chosen by parameter type; the transcript holds each return value,
//         trap or exception, then every exported global's value, every exported memory
//         (size and SHA-256) and every exported table (length and entries).
//         With --wasm-interp the pair also runs under `wasm-interp --run-all-exports`
//         (same FLAGs) and its output and exit status must match.
// --wasi  a WASI command: run to completion with node:wasi; stdout, stderr and the exit
//         code must match. --preopen gives each run its own empty directory as /sandbox,
//         whose resulting files must match too. --expect-stdout / --expect-exit also hold
//         the original to a known output, so two equally broken runs cannot pass.
//
// The permuted module must pass `wasm-validate --enable-multi-memory FLAG...`, must not be
// byte-identical to the input (the permutation did move something), and must behave the
// same. Exit status 0 when all holds, 1 otherwise (with the difference printed).
import { WASI } from 'node:wasi';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  readFileSync, mkdtempSync, openSync, closeSync, rmSync, mkdirSync, readdirSync, statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

function usage(msg) {
  process.stderr.write(`run_permuted: ${msg}\n`);
  process.exit(2);
}

const opts = { features: [], mode: null, preopen: false };
const argv = process.argv.slice(2);
while (argv.length > 1) {
  const a = argv.shift();
  if (a === '--permute-tool') opts.permuteTool = argv.shift();
  else if (a === '--wasm-validate') opts.wasmValidate = argv.shift();
  else if (a === '--wasm-interp') opts.wasmInterp = argv.shift();
  else if (a === '--feature') opts.features.push(argv.shift());
  else if (a === '--js') opts.mode = 'js';
  else if (a === '--wasi') opts.mode = 'wasi';
  else if (a === '--preopen') opts.preopen = true;
  else if (a === '--expect-stdout') opts.expectStdout = readFileSync(argv.shift(), 'utf8');
  else if (a === '--expect-exit') opts.expectExit = Number(argv.shift());
  else usage(`unknown option ${a}`);
}
if (argv.length !== 1 || !opts.permuteTool || !opts.wasmValidate || !opts.mode)
  usage('need --permute-tool, --wasm-validate, --js or --wasi, and one module');
const input = argv[0];
const name = basename(input);

const work = mkdtempSync(join(tmpdir(), 'run_permuted-'));
let failures = 0;
function fail(msg) {
  failures++;
  process.stderr.write(`run_permuted: ${name}: ${msg}\n`);
}

function run(cmd, args) {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
}

// ---- a minimal reader for what the JS API does not tell: function and tag types ----

function parseTypes(bytes) {
  let p = 8;
  const u32 = () => {
    let r = 0, shift = 0, b;
    do { b = bytes[p++]; r += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return r;
  };
  const limits = () => {
    const flags = bytes[p++];
    const min = u32();
    const max = flags & 1 ? u32() : undefined;
    return { flags, min, max };
  };
  const name = () => {
    const len = u32();
    const s = Buffer.from(bytes.subarray(p, p + len)).toString('utf8');
    p += len;
    return s;
  };
  const types = [], funcs = [], tags = [], imports = [], exports = new Map();
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = u32();
    const end = p + size;
    if (id === 1) {
      for (let n = u32(); n > 0; n--) {
        p++; // 0x60
        const params = []; for (let k = u32(); k > 0; k--) params.push(bytes[p++]);
        const results = []; for (let k = u32(); k > 0; k--) results.push(bytes[p++]);
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        const imp = { module: name(), name: name(), kind: bytes[p++] };
        if (imp.kind === 0) funcs.push(imp.type = types[u32()]);
        else if (imp.kind === 1) { imp.elem = bytes[p++]; imp.limits = limits(); }
        else if (imp.kind === 2) imp.limits = limits();
        else if (imp.kind === 3) { imp.valtype = bytes[p++]; imp.mutable = bytes[p++] === 1; }
        else if (imp.kind === 4) { p++; tags.push(imp.type = types[u32()]); }
        imports.push(imp);
      }
    } else if (id === 3) {
      for (let n = u32(); n > 0; n--) funcs.push(types[u32()]);
    } else if (id === 13) {
      for (let n = u32(); n > 0; n--) { p++; tags.push(types[u32()]); }
    } else if (id === 7) {
      for (let n = u32(); n > 0; n--) {
        const ename = name();
        const kind = bytes[p++];
        exports.set(ename, { kind, index: u32() });
      }
    }
    p = end;
  }
  return { types, funcs, tags, imports, exports };
}

// ---- running a plain module through the JS API ----

const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, FUNCREF = 0x70, EXTERNREF = 0x6f;
const JS_TYPE = { [I32]: 'i32', [I64]: 'i64', [F32]: 'f32', [F64]: 'f64', [FUNCREF]: 'anyfunc',
  [EXTERNREF]: 'externref' };
const externs = [0, 1, 2, 3].map((i) => ({ extern: i }));

function argFor(type, pos) {
  switch (type) {
    case I32: return pos;
    case I64: return BigInt(pos) * 1000000007n;
    case F32: case F64: return pos + 0.5;
    case EXTERNREF: return externs[pos % externs.length];
    default: return null;
  }
}

function show(v, depth = 0) {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (Array.isArray(v)) return `[${v.map((x) => show(x, depth)).join(', ')}]`;
  if (typeof v === 'function') {
    // a funcref: its name is its function index, which the permutation changes, so it
    // is described by what calling it does
    if (depth > 1) return `func/${v.length}`;
    return `func/${v.length}:${attempt(() => v(...Array(v.length).fill(41)), depth + 1)}`;
  }
  if (typeof v === 'object' && 'extern' in v) return `extern${v.extern}`;
  return String(v);
}

let tagTable = [];
function showError(e) {
  if (e instanceof WebAssembly.Exception) {
    for (const [tname, tag, type] of tagTable) {
      if (e.is(tag)) {
        const args = type.params.map((_, i) => show(e.getArg(tag, i)));
        return `exception ${tname}(${args.join(', ')})`;
      }
    }
    return 'exception (unexported tag)';
  }
  if (e instanceof WebAssembly.RuntimeError) return `trap: ${e.message}`;
  return `${e?.constructor?.name}: ${e?.message}`;
}

function attempt(fn, depth = 0) {
  try {
    return `ok ${show(fn(), depth)}`;
  } catch (e) {
    return showError(e);
  }
}

async function transcriptJs(file) {
  const bytes = readFileSync(file);
  const info = parseTypes(bytes);
  const module = await WebAssembly.compile(bytes);
  // Fresh imports for every run: a host function returns the sum of its arguments plus
  // 1000; globals hold 5 (i32), 7n (i64) or 1.5; memories, tables and tags are new.
  const imports = {};
  const provided = [];
  for (const imp of info.imports) {
    let v;
    if (imp.kind === 0) {
      const wide = imp.type.results[0] === I64;
      v = (...a) => a.reduce((x, y) => x + (wide ? BigInt(y) : Number(y)), wide ? 1000n : 1000);
    } else if (imp.kind === 1) {
      v = new WebAssembly.Table({ element: JS_TYPE[imp.elem], initial: imp.limits.min,
        maximum: imp.limits.max });
    } else if (imp.kind === 2) {
      v = new WebAssembly.Memory({ initial: imp.limits.min, maximum: imp.limits.max,
        shared: (imp.limits.flags & 2) !== 0 });
    } else if (imp.kind === 3) {
      const t = JS_TYPE[imp.valtype];
      v = new WebAssembly.Global({ value: t, mutable: imp.mutable },
        t === 'i32' ? 5 : t === 'i64' ? 7n : 1.5);
    } else if (imp.kind === 4) {
      v = new WebAssembly.Tag({ parameters: imp.type.params.map((t) => JS_TYPE[t]) });
    }
    (imports[imp.module] ??= {})[imp.name] = v;
    provided.push([`import ${imp.module}.${imp.name}`, imp.kind, v, imp.type]);
  }
  const out = [];
  let instance;
  try {
    instance = await WebAssembly.instantiate(module, imports);
  } catch (e) {
    out.push(`instantiate: ${showError(e)}`);
    return out;
  }
  const ex = instance.exports;
  // everything the module exports or imports whose state can be observed afterwards
  const observed = [...provided];
  for (const [ename, { kind, index }] of info.exports)
    observed.push([ename, kind, ex[ename], kind === 4 ? info.tags[index] : undefined]);
  tagTable = observed.filter(([, kind]) => kind === 4).map(([n, , tag, type]) => [n, tag, type]);
  for (const [ename, { kind, index }] of info.exports) {
    if (kind !== 0) continue;
    const type = info.funcs[index];
    const args = type.params.map((t, pos) => argFor(t, pos));
    out.push(`${ename}(${args.map((a) => show(a)).join(', ')}) -> ${attempt(() => ex[ename](...args))}`);
  }
  for (const [oname, kind, v] of observed) {
    if (kind === 3) out.push(`global ${oname} = ${show(v.value)}`);
    if (kind === 2) {
      const buf = new Uint8Array(v.buffer);
      out.push(`memory ${oname}: ${buf.length} bytes, sha256 ` +
        createHash('sha256').update(buf.slice()).digest('hex'));
    }
  }
  for (const [oname, kind, t] of observed) {
    if (kind !== 1) continue;
    const entries = [];
    for (let i = 0; i < t.length; i++) entries.push(show(t.get(i)));
    out.push(`table ${oname} [${t.length}]: ${entries.join(' ')}`);
  }
  return out;
}

// ---- running a WASI command ----

function listTree(dir, prefix = '') {
  const items = [];
  for (const ent of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = prefix + ent.name;
    const full = join(dir, ent.name);
    if (ent.isDirectory()) items.push(`${rel}/`, ...listTree(full, `${rel}/`));
    else items.push(`${rel} ${statSync(full).size} ` +
      createHash('sha256').update(readFileSync(full)).digest('hex').slice(0, 16));
  }
  return items;
}

async function transcriptWasi(file, tag) {
  const dir = join(work, `run-${tag}`);
  mkdirSync(dir);
  const sandbox = join(dir, 'sandbox');
  if (opts.preopen) mkdirSync(sandbox);
  const outPath = join(dir, 'stdout'), errPath = join(dir, 'stderr');
  const outFd = openSync(outPath, 'w+'), errFd = openSync(errPath, 'w+');
  let code;
  try {
    const wasi = new WASI({
      version: 'preview1',
      args: [name],
      env: {},
      preopens: opts.preopen ? { '/sandbox': sandbox } : {},
      stdout: outFd,
      stderr: errFd,
      returnOnExit: true,
    });
    const module = await WebAssembly.compile(readFileSync(file));
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
    code = attempt(() => wasi.start(instance));
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
  const out = [`exit: ${code}`, `stdout: ${readFileSync(outPath, 'utf8')}`,
    `stderr: ${readFileSync(errPath, 'utf8')}`];
  if (opts.preopen) out.push(...listTree(sandbox));
  return out;
}

function compare(what, a, b) {
  if (isDeepStrictEqual(a, b)) return;
  const lines = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if (a[i] !== b[i]) lines.push(`  original: ${a[i]}\n  permuted: ${b[i]}`);
  fail(`${what}: permuted module behaves differently:\n${lines.join('\n')}`);
}

try {
  const permuted = join(work, `permuted-${name}`);
  const pt = run(opts.permuteTool, [input, permuted]);
  if (pt.status !== 0) {
    fail(`permute_tool failed (${pt.status}): ${pt.stderr}`);
  } else {
    const val = run(opts.wasmValidate, ['--enable-multi-memory', ...opts.features, permuted]);
    if (val.status !== 0) fail(`permuted module fails wasm-validate:\n${val.stdout}${val.stderr}`);
    if (readFileSync(permuted).equals(readFileSync(input)))
      fail('permuted module is byte-identical to the input: nothing was moved');

    const transcript = opts.mode === 'js' ? transcriptJs : transcriptWasi;
    const a = await transcript(input, 'original');
    const b = await transcript(permuted, 'permuted');
    compare('node', a, b);
    if (opts.expectStdout !== undefined && a[1] !== `stdout: ${opts.expectStdout}`)
      fail(`original's stdout is not the expected one:\n${a[1]}\nexpected:\n${opts.expectStdout}`);
    if (opts.expectExit !== undefined && a[0] !== `exit: ok ${opts.expectExit}`)
      fail(`original's ${a[0]}, expected ${opts.expectExit}`);
    process.stdout.write(`${name} on Node (${a.length} lines, identical: ${isDeepStrictEqual(a, b)}):\n` +
      a.map((l) => `  ${l}`).join('\n') + '\n');

    if (opts.wasmInterp) {
      const args = [...opts.features, '--run-all-exports'];
      const ia = run(opts.wasmInterp, [...args, input]);
      const ib = run(opts.wasmInterp, [...args, permuted]);
      const ta = [`status ${ia.status}`, ...ia.stdout.split('\n')];
      const tb = [`status ${ib.status}`, ...ib.stdout.split('\n')];
      if (ia.status !== 0) fail(`wasm-interp fails on the original (${ia.status}): ${ia.stderr}`);
      compare('wasm-interp', ta, tb);
      process.stdout.write(`${name} on wasm-interp:\n${ia.stdout}`);
    }
  }
} catch (e) {
  fail(`harness error: ${e?.stack ?? e}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failures ? 1 : 0;
