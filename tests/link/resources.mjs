// The resource ABI through `membrane link`, on Node 26: tests/link/resources/ (WIT and
// three WAT modules: lib defines `counter` and `other`, svc uses them and exports
// functions taking and returning handles, app uses both) is fused with --wit/--world,
// validated, and every rule is checked: strings and lists of 0, 1, 4 KiB and 1 MiB both
// ways (cabi_realloc, cabi_post_), a result in memory, own moves both ways, borrows (into the definer
// as the rep, into a user as a handle it must drop), dup reference counting, destroy,
// destructors exactly once, teardown at the end of _start, a table of more than 100,000
// live handles, and each trap by the message the engine shows as the trapping
// function's name.
//
// usage: node resources.mjs --membrane PATH --wat2wasm PATH --wasm-validate PATH
//          [--wasm-interp PATH --wasm-objdump PATH] [--memory single] DIR
//
// --memory single: every link gets --memory single (the instances but `app` a fixed
// region of 1024 pages: lib's bump allocator never frees), outputs validate without
// multi-memory, the app's memory is read at its region's base (from `membrane inspect
// --json`), a copy out of the caller's bounds traps in `membrane: out of bounds`; run it
// on an engine without multi-memory (Node 20). wasm-interp is not run then.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const opt = {};
const argv = process.argv.slice(2);
while (argv.length > 1) opt[argv.shift().replace(/^--/, '')] = argv.shift();
const dir = argv[0];
if (!opt.membrane || !opt.wat2wasm || !opt['wasm-validate'] || !dir) {
  process.stderr.write('usage: node resources.mjs --membrane P --wat2wasm P --wasm-validate P DIR\n');
  process.exit(2);
}
const tmp = mkdtempSync(join(tmpdir(), 'mb-res-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const single = opt.memory === 'single';
const vflags = single ? [] : ['--enable-multi-memory'];
const run = (cmd, args) => {
  if (single && cmd === opt.membrane && args[0] === 'link') {
    const sizes = args.filter((a) => /^[a-z0-9_]+=/.test(a) && !a.startsWith('app='))
      .flatMap((a) => ['--memory-size', `${a.slice(0, a.indexOf('='))}=1024`]);
    args = [...args, '--memory', 'single', ...sizes];
  }
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}\n${r.stderr}`);
  return r;
};
for (const m of ['lib', 'svc', 'app'])
  run(opt.wat2wasm, [join(dir, `${m}.wat`), '-o', join(tmp, `${m}.wasm`)]);
const out = join(tmp, 'out.wasm');
const link = run(opt.membrane, [
  'link', `app=${join(tmp, 'app.wasm')}`, `lib=${join(tmp, 'lib.wasm')}`,
  `svc=${join(tmp, 'svc.wasm')}`, '--wit', join(dir, 'counter.wit'),
  '--world', 'lib=example:counter/lib', '--world', 'svc=example:counter/svc',
  '--world', 'app=example:counter/app', '-o', out]);
assert.equal(link.stderr, '', 'no warnings');
run(opt['wasm-validate'], [...vflags, out]);

// where the app's memory starts in the exported memory: its region's base with one memory
const appBase = (file) => {
  const regions = JSON.parse(run(opt.membrane, ['inspect', '--json', file]).stdout).regions;
  const app = regions && regions.find((r) => r.instance === 'app');
  return app ? app.base * 65536 : 0;
};
const APP = appBase(out);
const module = new WebAssembly.Module(readFileSync(out));
assert.deepEqual(WebAssembly.Module.imports(module), [], 'the fused module imports nothing');
const fresh = () => new WebAssembly.Instance(module, {}).exports;

let checks = 0;
const traps = (name, msg, ...args) => {
  const e = fresh();
  let err = null;
  try {
    e[name](...args);
  } catch (x) {
    err = x;
  }
  assert.ok(err instanceof WebAssembly.RuntimeError, `${name}: expected a trap "${msg}", got ${err}`);
  const top = err.stack.split('\n')[1];
  assert.ok(top.includes(`at ${msg} (`), `${name}: trap "${msg}": top frame is ${top}`);
  checks++;
};
const eq = (got, want, what) => {
  assert.deepEqual(got, want, what);
  checks++;
};

// `membrane inspect` lists the instances with handle tables and the resource types
{
  const info = JSON.parse(run(opt.membrane, ['inspect', '--json', out]).stdout).resources;
  eq(info.instances.map((i) => [i.id, i.name, i.handles]), [[0, 'app', true], [1, 'lib', true], [2, 'svc', true]],
    'inspect: the instances, each with its handle table');
  eq(info.types.map((t) => [t.id, t.interface, t.name, t.definer_name, t.destructor]),
    [[0, 'example:counter/api', 'counter', 'lib', true], [1, 'example:counter/api', 'other', 'lib', false]],
    'inspect: the resource types, their definers and destructors');
  const text = run(opt.membrane, ['inspect', out]).stdout;
  assert.ok(text.includes('0: example:counter/api counter  defined by lib (instance 1), destructor'), text);
  checks++;
}

// ---- the rules that do not trap, in one instance ----
{
  const e = fresh();
  eq(e.scale(3n, 1.5, 0.25), 4.75, 'a function without handles is a direct call');
  eq(e.first_handle(), 1, 'handles are small indices of the caller\'s own table');
  eq(e.basic(), 18, 'constructor result, methods (borrow), merge (own in, own out)');
  eq(e.live(), 0, 'everything basic() created was destroyed');
  eq(e.dtors(), 4, 'one destructor call per counter: first_handle\'s, and basic()\'s three (the one merge consumed too)');
  eq(e.via_svc(), 444, 'borrow lent on through a user, own moved into and out of a user');
  eq(e.live(), 0, 'svc dropped what it was given');
  eq(e.dup_refcount(), 1, 'dup: the destructor runs once, when the last owner drops');
  eq(e.destroy_then_drop(), 1, 'destroy runs the destructor now; the null handle drops quietly');
  assert.ok(e.other() > 0);
  checks++;
  eq(e.many(100001), 100001, 'more than 100,000 live handles in one table');
  eq(e.live(), 0, 'all of them dropped');
  const before = e.dtors();
  e.basic();
  eq(e.dtors() - before, 3, 'the table is usable after growing');
}

// ---- teardown at the end of the command entry ----
{
  const e = fresh();
  const d0 = e.dtors();
  e._start();
  eq(e.dtors() - d0, 3, "teardown after _start runs the destructors of app's leftovers (one dup'd)");
  eq(e.live(), 0, 'nothing leaks when a client goes away');
}

// ---- strings and lists, both ways, copied between the two memories ----
{
  const e = fresh();
  const mem = () => e.memory.buffer;
  const put = (bytes, align) => {
    const p = e.cabi_realloc(0, 0, align, bytes.length);
    new Uint8Array(mem(), APP + p, bytes.length).set(bytes);
    return p;
  };
  const ret = () => e.cabi_realloc(0, 0, 8, 16);
  const pattern = (n, seed) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = 0x20 + ((i * 7 + seed) % 95); // printable ASCII
    return b;
  };
  let posts = e.posts();
  for (const n of [0, 1, 4096, 1 << 20]) {
    const s = pattern(n, n & 0xff);
    const p = put(s, 1), r = ret();
    e.echo(p, n, r);
    const [q, m] = new Uint32Array(mem(), APP + r, 2);
    eq(m, n, `echo of ${n} bytes: the length`);
    assert.ok(n === 0 || q !== p, 'the result is a copy in the caller\'s memory');
    assert.ok(isDeepStrictEqual(new Uint8Array(mem(), APP + q, m), s), `echo of ${n} bytes: the bytes`);
    checks++;
    eq(e.posts(), ++posts, 'cabi_post_ ran once for each call');

    const k = n >> 2; // list<u32> of n bytes
    const xs = new Uint32Array(k);
    let want = 0n;
    for (let i = 0; i < k; i++) {
      xs[i] = (i * 2654435761) >>> 0;
      want += BigInt(xs[i]);
    }
    eq(e.sum(put(new Uint8Array(xs.buffer), 4), k), want, `sum of list<u32> of ${k}`);

    const h = n >> 1; // list<u16> of n bytes, reversed by lib and copied back
    const ys = new Uint16Array(h);
    for (let i = 0; i < h; i++) ys[i] = (i * 31 + 7) & 0xffff;
    const py = put(new Uint8Array(ys.buffer), 2), ry = ret();
    e.rev(py, h, ry);
    const [qy, my] = new Uint32Array(mem(), APP + ry, 2);
    eq(my, h, `rev of list<u16> of ${h}: the length`);
    assert.ok(qy % 2 === 0, 'the copy is aligned for u16');
    const got = new Uint16Array(mem(), APP + qy, my);
    assert.ok(isDeepStrictEqual(Array.from(got), Array.from(ys).reverse()), `rev of ${h} u16s`);
    assert.ok(isDeepStrictEqual(Array.from(new Uint16Array(mem(), APP + py, h)), Array.from(ys)),
      "the caller's list is untouched");
    checks += 2;
  }
  const r = ret();
  e.pair(7, r);
  eq([new Uint32Array(mem(), APP + r, 1)[0], new BigUint64Array(mem(), APP + r + 8, 1)[0]], [7, 7000000000000n],
    'a tuple result in memory is copied into the return pointer');
}

// ---- handles and lists inside options, results, records and lists ----
{
  const e = fresh();
  const u32 = () => new Uint32Array(e.memory.buffer, APP);
  const u8 = () => new Uint8Array(e.memory.buffer, APP);
  const alloc = (n, align) => e.cabi_realloc(0, 0, align, n);
  const str = (s) => {
    const bytes = new TextEncoder().encode(s);
    const p = alloc(bytes.length, 1);
    u8().set(bytes, p);
    return [p, bytes.length];
  };
  const sumBytes = (s) => [...new TextEncoder().encode(s)].reduce((a, b) => a + b, 0);
  const ret = alloc(16, 8);
  const live0 = e.live();

  // option<own<counter>> in and out: the handle goes to lib and comes back, renumbered
  const h = e.mk(41);
  e.maybe(1, h, ret);
  const back = u32()[(ret >> 2) + 1];
  eq([u8()[ret], e.get(back)], [1, 41], 'option<own>: some(handle) moved there and back');
  e.drop(back);
  e.maybe(0, 0, ret);
  eq(u8()[ret], 0, 'option<own>: none stays none');

  // result<own<counter>, string>: the ok handle moved, the error string copied
  e.try_make(7, ret);
  const made = u32()[(ret >> 2) + 1];
  eq([u8()[ret], e.get(made)], [0, 7], 'result<own, string>: ok(handle) moved to the caller');
  e.drop(made);
  e.try_make(0, ret);
  const [ep, en] = [u32()[(ret >> 2) + 1], u32()[(ret >> 2) + 2]];
  eq([u8()[ret], new TextDecoder().decode(u8().slice(ep, ep + en))], [1, 'zero'],
    "result<own, string>: err(string) copied into the caller's memory");

  // list<string> both ways
  const words = ['', 'a', 'membrane', 'x'.repeat(4096)];
  const list = alloc(8 * words.length, 4);
  words.forEach((w, i) => {
    const [p, n] = str(w);
    u32()[(list >> 2) + 2 * i] = p;
    u32()[(list >> 2) + 2 * i + 1] = n;
  });
  eq(e.names(list, words.length), words.reduce((a, w) => a + sumBytes(w), 0),
    'list<string>: every element copied into the callee');
  const [sp, sn] = str('héllo');
  e.repeat(sp, sn, 3, ret);
  const [lp, ln] = [u32()[ret >> 2], u32()[(ret >> 2) + 1]];
  const got = [];
  for (let i = 0; i < ln; i++) {
    const p = u32()[(lp >> 2) + 2 * i], n = u32()[(lp >> 2) + 2 * i + 1];
    got.push([p !== sp, new TextDecoder().decode(u8().slice(p, p + n))]);
  }
  eq(got, [[true, 'héllo'], [true, 'héllo'], [true, 'héllo']],
    "list<string> result: the list and each string copied into the caller's memory");

  // record { name: string, c: own<counter> } as a flat parameter
  const [np_, nn] = str('abc');
  eq(e.named_get(np_, nn, e.mk(100)), 100 + sumBytes('abc'), 'record { string, own }: both crossed');

  // list<own<counter>> moves every element; list<borrow<counter>> lends every element
  const hs = [1, 2, 3].map((v) => e.mk(v * 10));
  const hl = alloc(4 * hs.length, 4);
  hs.forEach((x, i) => { u32()[(hl >> 2) + i] = x; });
  eq(e.peek_all(hl, hs.length), 60, 'list<borrow>: each element lent (the reps, into the definer)');
  eq(e.take_all(hl, hs.length), 60, 'list<own>: each element moved');
  // more than 16 flat parameters: a tuple in memory, copied, its string and handle rewritten
  const tup = alloc(136, 8);
  let want = 0n;
  for (let i = 0; i < 15; i++) {
    const v = BigInt(i + 1) * 1000000007n;
    new BigUint64Array(e.memory.buffer, APP + tup + 8 * i, 1)[0] = v;
    want += v;
  }
  const [wp, wn] = str('wide!');
  u32()[(tup >> 2) + 30] = wp;
  u32()[(tup >> 2) + 31] = wn;
  u32()[(tup >> 2) + 32] = e.mk(5);
  eq(e.wide(tup), want + BigInt(sumBytes('wide!')) + 5n, 'parameters in memory: copied and rewritten');
  // a handle in a variant case joined with a u64 travels as an i64
  eq(e.mixed(0, BigInt(e.mk(77))), 77n, 'result<own, u64>: ok(handle) widened to i64, moved');
  eq(e.mixed(1, 1n << 40n), 1n << 40n, 'result<own, u64>: err(u64) untouched');
  // variants in variants
  eq([e.deep(0, 0, 0), e.deep(1, 0, 0), e.deep(1, 1, e.mk(33))], [1000, 2000, 33],
    'option<option<own>>: the handle moved only in the innermost some');
  eq(e.live(), live0, 'every counter dropped: nothing leaked');
  let err = null;
  try {
    e.get(hs[0]);
  } catch (x) {
    err = x;
  }
  assert.ok(err && err.stack.split('\n')[1].includes('at membrane: use of dropped handle ('),
    `a handle moved away in a list is gone from the caller's table: ${err && err.stack}`);
  checks++;
}

// ---- a reactor output: membrane:teardown, for the embedder to call ----
{
  const rout = join(tmp, 'reactor.wasm');
  run(opt.membrane, ['link', `svc=${join(tmp, 'svc.wasm')}`, `lib=${join(tmp, 'lib.wasm')}`,
    `app=${join(tmp, 'app.wasm')}`, '--wit', join(dir, 'counter.wit'),
    '--world', 'lib=example:counter/lib', '--world', 'svc=example:counter/svc',
    '--world', 'app=example:counter/app',
    '--export', 'svc.example:counter/inspect#give=give', '--export', 'lib.example:counter/api#live=live',
    '-o', rout]);
  run(opt['wasm-validate'], [...vflags, rout]);
  const r = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(rout)), {}).exports;
  eq(Object.keys(r).sort(), ['give', 'live', 'membrane:teardown'], 'a reactor exports membrane:teardown');
  r.give(1);
  r.give(2);
  eq(r.live(), 2, "two counters held in svc's table (the host called svc directly)");
  r['membrane:teardown']();
  eq(r.live(), 0, 'membrane:teardown dropped them and ran the destructors');
}

// ---- traps, each in a fresh instance ----
const trapCases = [
  ['double_drop', 'membrane: use of dropped handle'],
  ['use_after_drop', 'membrane: use of dropped handle'],
  ['move_after_drop', 'membrane: use of dropped handle'],
  ['move_after_drop_nested', 'membrane: use of dropped handle'],
  ['never_issued', 'membrane: unknown handle'],
  ['wrong_type', 'membrane: handle of wrong resource type'],
  ['wrong_type_in_list', 'membrane: handle of wrong resource type'],
  ['wrong_type_drop', 'membrane: handle of wrong resource type'],
  ['borrow_kept', 'membrane: borrow outlived its call'],
  ['move_lent', 'membrane: lent handle dropped or moved'],
  ['drop_lent', 'membrane: lent handle dropped or moved'],
  ['use_after_destroy', 'membrane: use of destroyed resource'],
  ['dup_after_destroy', 'membrane: use of destroyed resource'],
  ['sum_too_long', 'membrane: list too long to copy'],
];
for (const [name, msg] of trapCases) traps(name, msg);

// ---- the same module twice: two distinct resource types ----
// lib and lib2 are both lib.wasm; app uses lib's counter, svc lib2's. A borrow of app's
// counter reaches svc, which passes it to lib2: a handle of the wrong type.
{
  const out2 = join(tmp, 'twice.wasm');
  run(opt.membrane, [
    'link', `app=${join(tmp, 'app.wasm')}`, `lib=${join(tmp, 'lib.wasm')}`,
    `lib2=${join(tmp, 'lib.wasm')}`, `svc=${join(tmp, 'svc.wasm')}`,
    '--wit', join(dir, 'counter.wit'), '--world', 'lib=example:counter/lib',
    '--world', 'lib2=example:counter/lib', '--world', 'svc=example:counter/svc',
    '--world', 'app=example:counter/app', '--wire', 'app.example:counter/api=lib',
    '--wire', 'app.example:counter/text=lib', '--wire', 'app.example:counter/nested=lib',
    '--wire', 'svc.example:counter/api=lib2',
    '-o', out2]);
  run(opt['wasm-validate'], [...vflags, out2]);
  const m2 = new WebAssembly.Module(readFileSync(out2));
  const e = new WebAssembly.Instance(m2, {}).exports;
  eq(e.basic(), 18, "app's own lib works as before");
  eq(e.live(), 0, 'and cleans up');
  let err = null;
  try {
    e.peek();
  } catch (x) {
    err = x;
  }
  assert.ok(err instanceof WebAssembly.RuntimeError, `expected a trap, got ${err}`);
  const top = err.stack.split('\n')[1];
  assert.ok(top.includes('at membrane: handle of wrong resource type ('), `top frame is ${top}`);
  checks++;
}

// ---- the legacy wit-bindgen intrinsics (DIR_legacy): canonical_abi.resource_*_R ----
{
  const ldir = `${dir}_legacy`;
  for (const m of ['lib', 'app'])
    run(opt.wat2wasm, [join(ldir, `${m}.wat`), '-o', join(tmp, `legacy_${m}.wasm`)]);
  const lout = join(tmp, 'legacy.wasm');
  run(opt.membrane, ['link', `app=${join(tmp, 'legacy_app.wasm')}`, `lib=${join(tmp, 'legacy_lib.wasm')}`,
    '--wit', join(ldir, 'legacy.wit'), '--world', 'lib=example:legacy/lib', '-o', lout]);
  run(opt['wasm-validate'], [...vflags, lout]);
  const lm = new WebAssembly.Module(readFileSync(lout));
  const lfresh = () => new WebAssembly.Instance(lm, {}).exports;
  const e = lfresh();
  eq(e.own_refcount(), 42, 'legacy: new, clone, get, drop in the definer; the destructor once');
  eq(e.user_refcount(), 7, "legacy: a user's clone of a handle it was given; the destructor once");
  eq(e.dtors(), 2, 'legacy: canonical_abi_drop_counter ran once per resource');
  const d = e.dtors();
  e._start();
  eq([e.dtors() - d, e.last()], [1, 99], 'legacy: teardown runs canonical_abi_drop_counter');
  for (const [name, msg] of [['get_after_drop', 'membrane: use of dropped handle'],
                             ['double_drop', 'membrane: use of dropped handle']]) {
    let err = null;
    try {
      lfresh()[name]();
    } catch (x) {
      err = x;
    }
    assert.ok(err instanceof WebAssembly.RuntimeError, `legacy ${name}: got ${err}`);
    assert.ok(err.stack.split('\n')[1].includes(`at ${msg} (`), `legacy ${name}: ${err.stack}`);
    checks++;
  }
}

// ---- caller-memory access (DIR_caller): membrane:caller read/write/size ----
{
  const cdir = `${dir}_caller`;
  for (const m of ['kern', 'app', 'tool'])
    run(opt.wat2wasm, [join(cdir, `${m}.wat`), '-o', join(tmp, `caller_${m}.wasm`)]);
  const cout = join(tmp, 'caller.wasm');
  run(opt.membrane, ['link', `app=${join(tmp, 'caller_app.wasm')}`, `kern=${join(tmp, 'caller_kern.wasm')}`,
    `tool=${join(tmp, 'caller_tool.wasm')}`, '--grant-caller-memory', 'kern',
    '--wit', join(cdir, 'kern.wit'), '--world', 'kern=example:kern/kern',
    ...['sum', 'fill', 'pages', 'memory', 'sum_out_of_bounds', 'probe'].flatMap((n) => ['--export', `app.${n}`]),
    '--export', 'tool.tool_sum', '--export', 'tool.tool_pages', '--export', 'kern.sum=kern_sum',
    '-o', cout]);
  run(opt['wasm-validate'], [...vflags, cout]);
  const cm = new WebAssembly.Module(readFileSync(cout));
  const e = new WebAssembly.Instance(cm, {}).exports;
  eq(e.sum(), 10, "kern reads app's memory");
  eq(e.tool_sum(), 30, "kern reads tool's memory when tool calls");
  eq([e.pages(), e.tool_pages()], [2, 3], "size is the calling instance's memory");
  e.fill(100, 5, 0x7a);
  eq(Array.from(new Uint8Array(e.memory.buffer, appBase(cout) + 99, 7)), [0, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0],
    "kern writes app's memory");
  eq(e.sum(), 10, 'and the caller global was restored (a second call works)');
  eq(e.probe(), 2003, 'through an adapter (a string parameter) kern knows its caller too');
  for (const [name, msg] of [['kern_sum', 'membrane: no calling instance']]) {
    let err = null;
    try {
      e[name](0, 1);
    } catch (x) {
      err = x;
    }
    assert.ok(err instanceof WebAssembly.RuntimeError, `${name}: got ${err}`);
    assert.ok(err.stack.split('\n')[1].includes(`at ${msg} (`), `${name}: ${err.stack}`);
    checks++;
  }
  let err = null;
  try {
    e.sum_out_of_bounds();
  } catch (x) {
    err = x;
  }
  assert.ok(err instanceof WebAssembly.RuntimeError &&
    (single ? err.stack.includes('membrane: out of bounds') : /out of bounds/.test(err.message)),
    `reading past the caller's memory traps: ${err}`);
  checks++;
}

// ---- the same on wasm-interp (wabt): results, and each trap's function by name ----
// wasm-interp prints no names, so the trapping function is the target of the last call
// its trace shows (the glue's trap functions are leaves), named by wasm-objdump.
if (opt['wasm-interp'] && opt['wasm-objdump'] && !single) {
  const interp = (file) => {
    const r = spawnSync(opt['wasm-interp'], ['--enable-multi-memory', '--run-all-exports', '--trace', file],
      { encoding: 'utf8', maxBuffer: 1 << 28 });
    return r.stdout + r.stderr;
  };
  const linkExports = (names, file) => {
    run(opt.membrane, [
      'link', `app=${join(tmp, 'app.wasm')}`, `lib=${join(tmp, 'lib.wasm')}`,
      `svc=${join(tmp, 'svc.wasm')}`, '--wit', join(dir, 'counter.wit'),
      '--world', 'lib=example:counter/lib', '--world', 'svc=example:counter/svc',
      '--world', 'app=example:counter/app', ...names.flatMap((n) => ['--export', `app.${n}`]),
      '-o', file]);
    run(opt['wasm-validate'], [...vflags, file]);
  };
  const ok = join(tmp, 'interp.wasm');
  linkExports(['basic', 'via_svc', 'dup_refcount', 'destroy_then_drop', 'live', 'dtors', 'many100k'], ok);
  const r = spawnSync(opt['wasm-interp'], ['--enable-multi-memory', '--run-all-exports', ok],
    { encoding: 'utf8', maxBuffer: 1 << 26 });
  const text = r.stdout + r.stderr;
  for (const line of ['basic() => i32:18', 'via_svc() => i32:444', 'dup_refcount() => i32:1',
                      'destroy_then_drop() => i32:1', 'live() => i32:0', 'dtors() => i32:8',
                      'many100k() => i32:100001']) {
    assert.ok(text.includes(line), `wasm-interp: expected '${line}'`);
    checks++;
  }
  for (const [name, msg] of trapCases) {
    const file = join(tmp, `interp_${name}.wasm`);
    linkExports([name], file);
    const out = interp(file);
    assert.ok(out.includes(`${name}() => error: unreachable executed`), `wasm-interp ${name}: ${out.slice(-300)}`);
    const calls = [...out.matchAll(/\| call \$(\d+)/g)];
    const fn = calls[calls.length - 1][1];
    const dump = spawnSync(opt['wasm-objdump'], ['-x', file], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
    const m = dump.match(new RegExp(`func\\[${fn}\\][^<\\n]*<([^>]*)>`));
    assert.ok(m && m[1] === msg, `wasm-interp ${name}: trapped in func ${fn} <${m && m[1]}>, expected <${msg}>`);
    checks++;
  }
  // the same module twice: the wrong-type trap on wasm-interp too
  const tw = join(tmp, 'interp_twice.wasm');
  run(opt.membrane, [
    'link', `app=${join(tmp, 'app.wasm')}`, `lib=${join(tmp, 'lib.wasm')}`,
    `lib2=${join(tmp, 'lib.wasm')}`, `svc=${join(tmp, 'svc.wasm')}`,
    '--wit', join(dir, 'counter.wit'), '--world', 'lib=example:counter/lib',
    '--world', 'lib2=example:counter/lib', '--world', 'svc=example:counter/svc',
    '--world', 'app=example:counter/app', '--wire', 'app.example:counter/api=lib',
    '--wire', 'app.example:counter/text=lib', '--wire', 'app.example:counter/nested=lib',
    '--wire', 'svc.example:counter/api=lib2', '--export', 'app.peek', '-o', tw]);
  run(opt['wasm-validate'], [...vflags, tw]);
  const tout = interp(tw);
  assert.ok(tout.includes('peek() => error: unreachable executed'), `wasm-interp twice: ${tout.slice(-300)}`);
  const tcalls = [...tout.matchAll(/\| call \$(\d+)/g)];
  const tfn = tcalls[tcalls.length - 1][1];
  const tdump = spawnSync(opt['wasm-objdump'], ['-x', tw], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
  const tm = tdump.match(new RegExp(`func\\[${tfn}\\][^<\\n]*<([^>]*)>`));
  assert.ok(tm && tm[1] === 'membrane: handle of wrong resource type', `wasm-interp twice: <${tm && tm[1]}>`);
  checks++;
}

console.log(`resources: ${checks} checks passed`);
