// Runs the wasm32 build of virt/ (the glue module) on Node 26 through its exports:
// resource.new/rep/drop, own moves, borrows, dup, destroy, teardown, a table of more
// than 100,000 handles, destructors called through the funcref table (and calling back
// in), and every trap checked by the function name the engine puts in the stack trace.
//
// usage: node virt_glue.mjs GLUE.wasm
import assert from 'node:assert/strict';
import fs from 'node:fs';

const glueBytes = fs.readFileSync(process.argv[2]);
const { instance: glue } = await WebAssembly.instantiate(glueBytes, {});
const g = glue.exports;
for (const name of ['memory', '__indirect_function_table', 'mb_resource_new', 'mb_resource_new_e',
                    'mb_result', 'mb_err_message', 'mb_alloc'])
  assert.ok(name in g, `glue exports ${name}`);
assert.equal(WebAssembly.Module.imports(new WebAssembly.Module(glueBytes)).length, 0,
  'the glue imports nothing');

// Destructors are wasm functions of type (func (param i32)) in the glue's table. This
// module has two, `a` and `b`, each calling env.log(which, rep).
const dtorModule = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x0a, 0x02, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x01, 0x7f, 0x00, // types
  0x02, 0x0b, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6c, 0x6f, 0x67, 0x00, 0x00, // env.log
  0x03, 0x03, 0x02, 0x01, 0x01, // two functions of type 1
  0x07, 0x09, 0x02, 0x01, 0x61, 0x00, 0x01, 0x01, 0x62, 0x00, 0x02, // exports a, b
  0x0a, 0x13, 0x02, // code: i32.const k, local.get 0, call log
  0x08, 0x00, 0x41, 0x01, 0x20, 0x00, 0x10, 0x00, 0x0b,
  0x08, 0x00, 0x41, 0x02, 0x20, 0x00, 0x10, 0x00, 0x0b,
]);
let log = [];
let onDtor = null;
const { instance: dtors } = await WebAssembly.instantiate(dtorModule, {
  env: {
    log: (which, rep) => {
      log.push([which, rep]);
      if (onDtor) onDtor(which, rep);
    },
  },
});
const table = g.__indirect_function_table;
const dtorA = table.grow(2);
table.set(dtorA, dtors.exports.a);
table.set(dtorA + 1, dtors.exports.b);

const message = (code) => {
  const mem = new Uint8Array(g.memory.buffer);
  let p = g.mb_err_message(code), s = '';
  while (mem[p]) s += String.fromCharCode(mem[p++]);
  return s;
};
const CODES = {
  INVALID_HANDLE: 1, DROPPED: 2, WRONG_TYPE: 3, BORROW_OUTLIVED: 4, LENT: 5, DESTROYED: 6,
  TABLE_EXHAUSTED: 7, NOT_DEFINER: 8, NOT_OWN: 9, SCOPE: 10, BUSY: 11,
};
// A trap: RuntimeError "unreachable", with the message as the trapping function's name.
const traps = (fn, msg) => {
  let err = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof WebAssembly.RuntimeError, `expected a trap "${msg}", got ${err}`);
  assert.match(err.message, /unreachable/);
  const top = err.stack.split('\n')[1];
  assert.ok(top.includes(`at ${msg} (`), `trap "${msg}": top frame is ${top}`);
};
const typeName = (s) => {
  const bytes = new TextEncoder().encode(s);
  const p = g.mb_alloc(bytes.length);
  new Uint8Array(g.memory.buffer, p, bytes.length).set(bytes);
  return [p, bytes.length];
};

// ---- setup: two libraries (the same module twice) and two clients ----
const lib = g.mb_instance_new(), lib2 = g.mb_instance_new();
const app = g.mb_instance_new(), svc = g.mb_instance_new();
assert.deepEqual([lib, lib2, app, svc], [0, 1, 2, 3]);
const t = g.mb_type_new(lib, ...typeName('counter'), dtorA);
const t2 = g.mb_type_new(lib2, ...typeName('counter'), dtorA + 1);
const plain = g.mb_type_new(lib, ...typeName('plain'), 0);
assert.notEqual(t, t2);
traps(() => g.mb_type_new(lib, ...typeName('counter'), 0), 'membrane: resource type defined twice');

// ---- error codes and messages through the _e exports ----
assert.equal(message(CODES.DROPPED), 'membrane: use of dropped handle');
assert.equal(message(CODES.WRONG_TYPE), 'membrane: handle of wrong resource type');
assert.equal(message(99), 'membrane: unknown error');
assert.equal(g.mb_resource_new_e(lib, t, 5), 0);
const h5 = g.mb_result();
assert.equal(h5, 1);
assert.equal(g.mb_resource_rep_e(lib, t, h5), 0);
assert.equal(g.mb_result(), 5);
assert.equal(g.mb_resource_drop_e(lib, t, h5), 0);
assert.deepEqual(log, [[1, 5]]);
assert.equal(g.mb_resource_drop_e(lib, t, h5), CODES.DROPPED);
assert.equal(g.mb_result(), 0);
assert.equal(g.mb_resource_new_e(app, t, 1), CODES.NOT_DEFINER);
log = [];

// ---- new, rep, own moves both ways, drop by the holder ----
const h = g.mb_resource_new(lib, t, 1234);
assert.equal(g.mb_resource_rep(lib, t, h), 1234);
const a = g.mb_own_move(lib, t, h, app);
assert.equal(g.mb_handle_count(lib), 0);
assert.equal(g.mb_handle_count(app), 1);
traps(() => g.mb_resource_rep(lib, t, h), 'membrane: use of dropped handle');
traps(() => g.mb_resource_rep(app, t, a), 'membrane: resource.new/rep outside the definer');
traps(() => g.mb_resource_new(app, t, 1), 'membrane: resource.new/rep outside the definer');
traps(() => g.mb_resource_rep(lib, t, 0), 'membrane: unknown handle');
const back = g.mb_own_move(app, t, a, lib);
assert.equal(g.mb_resource_rep(lib, t, back), 1234);
const a2 = g.mb_own_move(lib, t, back, app);
g.mb_resource_drop(app, t, a2);
assert.deepEqual(log, [[1, 1234]]);
traps(() => g.mb_resource_drop(app, t, a2), 'membrane: use of dropped handle');
log = [];

// ---- the same module twice: two types ----
const x1 = g.mb_own_move(lib, t, g.mb_resource_new(lib, t, 10), app);
const x2 = g.mb_own_move(lib2, t2, g.mb_resource_new(lib2, t2, 20), app);
traps(() => g.mb_resource_drop(app, t2, x1), 'membrane: handle of wrong resource type');
traps(() => g.mb_resource_drop(app, t, x2), 'membrane: handle of wrong resource type');
traps(() => g.mb_resource_rep(lib2, t2, g.mb_own_move(app, t, x1, lib2)),
      'membrane: handle of wrong resource type');
g.mb_teardown(lib2); // drops the t counter it was handed: destructor a
g.mb_resource_drop(app, t2, x2); // destructor b
assert.deepEqual(log, [[1, 10], [2, 20]]);
log = [];

// ---- borrows ----
const o = g.mb_own_move(lib, t, g.mb_resource_new(lib, t, 77), app);
let sc = g.mb_call_begin(app, svc);
const b = g.mb_borrow_lend(sc, t, o);
assert.ok(b > 0);
traps(() => g.mb_resource_drop(app, t, o), 'membrane: lent handle dropped or moved');
traps(() => g.mb_own_move(app, t, o, svc), 'membrane: lent handle dropped or moved');
traps(() => g.mb_own_move(svc, t, b, app), 'membrane: borrowed handle used as owned');
traps(() => g.mb_call_end(sc), 'membrane: borrow outlived its call');
traps(() => g.mb_teardown(svc), 'membrane: instance torn down during a call');
// nested: svc passes its borrow into the definer, which gets the rep
const inner = g.mb_call_begin(svc, lib);
assert.equal(g.mb_borrow_lend(inner, t, b), 77);
traps(() => g.mb_call_end(sc), 'membrane: call scope is not the innermost open call');
g.mb_call_end(inner);
g.mb_resource_drop(svc, t, b);
g.mb_call_end(sc);
assert.deepEqual(log, []);

// ---- dup: reference counted, destructor once ----
const d1 = g.mb_resource_dup(app, t, o);
const d2 = g.mb_own_move(app, t, g.mb_resource_dup(app, t, d1), svc);
g.mb_resource_drop(app, t, o);
g.mb_resource_drop(app, t, d1);
assert.deepEqual(log, []);
g.mb_resource_drop(svc, t, d2);
assert.deepEqual(log, [[1, 77]]);
log = [];

// ---- destroy: destructor now, the other copies null ----
const e1 = g.mb_own_move(lib, t, g.mb_resource_new(lib, t, 88), app);
const e2 = g.mb_own_move(app, t, g.mb_resource_dup(app, t, e1), lib);
g.mb_resource_destroy(app, t, e1);
assert.deepEqual(log, [[1, 88]]);
traps(() => g.mb_resource_rep(lib, t, e2), 'membrane: use of destroyed resource');
traps(() => g.mb_resource_dup(lib, t, e2), 'membrane: use of destroyed resource');
traps(() => g.mb_resource_destroy(lib, t, e2), 'membrane: use of destroyed resource');
sc = g.mb_call_begin(lib, svc);
traps(() => g.mb_borrow_lend(sc, t, e2), 'membrane: use of destroyed resource');
g.mb_call_end(sc);
g.mb_resource_drop(lib, t, e2); // frees the null handle, no second destructor call
assert.deepEqual(log, [[1, 88]]);
log = [];

// ---- a destructor calling back into the glue: dropping a child handle ----
const child = g.mb_resource_new(lib, t, 2);
const parent = g.mb_resource_new(lib, t, 1);
onDtor = (which, rep) => {
  if (rep === 1) g.mb_resource_drop(lib, t, child);
};
g.mb_resource_drop(lib, t, parent);
onDtor = null;
assert.deepEqual(log, [[1, 1], [1, 2]]);
log = [];

// ---- teardown: newest first ----
for (let i = 0; i < 5; i++) g.mb_own_move(lib, t, g.mb_resource_new(lib, t, 100 + i), app);
g.mb_resource_new(lib, plain, 9); // no destructor: just freed
g.mb_teardown(app);
assert.deepEqual(log, [[1, 104], [1, 103], [1, 102], [1, 101], [1, 100]]);
g.mb_teardown(lib);
assert.equal(g.mb_handle_count(app), 0);
assert.equal(g.mb_handle_count(lib), 0);
assert.equal(g.mb_resource_count(), 0);
log = [];

// ---- the fused adapter entries: mb_args, mb_call_enter, mb_call_leave ----
{
  const args = () => new Int32Array(g.memory.buffer, g.mb_args.value, 32);
  const put = (...pairs) => pairs.forEach(([h, word], i) => args().set([h, word], 2 * i));
  const own = (type) => type << 1, borrow = (type) => type << 1 | 1;
  const o1 = g.mb_own_move(lib, t, g.mb_resource_new(lib, t, 501), app);
  const o2 = g.mb_own_move(lib, t, g.mb_resource_new(lib, t, 502), app);
  // own + borrow into the definer: the own moves, the borrow arrives as the rep
  put([o1, own(t)], [o2, borrow(t)]);
  const scope = g.mb_call_enter(app, lib, 2);
  assert.ok(scope > 0, 'a borrow opens a scope');
  const [inLib, , rep2] = args();
  assert.equal(g.mb_resource_rep(lib, t, inLib), 501);
  assert.equal(rep2, 502);
  traps(() => g.mb_resource_drop(app, t, o1), 'membrane: use of dropped handle');
  traps(() => g.mb_resource_drop(app, t, o2), 'membrane: lent handle dropped or moved');
  const o1back = g.mb_call_leave(scope, lib, t, inLib, app);
  assert.equal(g.mb_resource_rep(lib, t, g.mb_own_move(app, t, o1back, lib)), 501);
  g.mb_teardown(lib);
  g.mb_resource_drop(app, t, o2); // no longer lent: the scope is closed
  assert.deepEqual(log.sort(), [[1, 501], [1, 502]]);
  log = [];
  // owns only: no scope; a borrow into a non-definer is a borrow handle the callee must drop
  const o3 = g.mb_own_move(lib, t, g.mb_resource_new(lib, t, 503), app);
  put([o3, own(t)]);
  assert.equal(g.mb_call_enter(app, svc, 1), 0, 'no borrow, no scope');
  const inSvc = args()[0];
  put([inSvc, borrow(t)]);
  const sc2 = g.mb_call_enter(svc, app, 1);
  const bor = args()[0];
  assert.ok(bor > 0);
  traps(() => g.mb_call_end(sc2), 'membrane: borrow outlived its call');
  g.mb_resource_drop(app, t, bor);
  g.mb_call_end(sc2);
  // the traps of the single operations, by name
  traps(() => { put([o3, own(t)]); g.mb_call_enter(app, svc, 1); }, 'membrane: use of dropped handle');
  traps(() => { put([inSvc, own(t2)]); g.mb_call_enter(svc, app, 1); },
        'membrane: handle of wrong resource type');
  traps(() => { put([0, own(t)]); g.mb_call_enter(svc, app, 1); }, 'membrane: unknown handle');
  traps(() => g.mb_call_enter(svc, app, 17), 'membrane: invalid argument');
  traps(() => g.mb_call_leave(0, app, t, inSvc, svc), 'membrane: use of dropped handle');
  // the full operation when the callee's table has to grow: 20 owns into a fresh table
  const fresh = g.mb_instance_new();
  const many = [];
  for (let i = 0; i < 20; i++) many.push(g.mb_own_move(lib, t, g.mb_resource_new(lib, t, 600 + i), app));
  put(...many.slice(0, 16).map((x) => [x, own(t)]));
  assert.equal(g.mb_call_enter(app, fresh, 16), 0);
  const moved = Array.from(args().subarray(0, 32)).filter((_, i) => i % 2 === 0);
  put(...many.slice(16).map((x) => [x, own(t)]));
  g.mb_call_enter(app, fresh, 4);
  moved.push(...Array.from(args().subarray(0, 8)).filter((_, i) => i % 2 === 0));
  assert.equal(g.mb_handle_count(fresh), 20);
  assert.equal(new Set(moved).size, 20);
  for (let i = 0; i < 20; i++)
    assert.equal(g.mb_resource_rep(lib, t, g.mb_call_leave(0, fresh, t, moved[i], lib)), 600 + i);
  g.mb_teardown(svc);
  g.mb_teardown(lib);
  assert.equal(g.mb_handle_count(fresh), 0);
  assert.equal(g.mb_resource_count(), 0);
  log = [];
}

// ---- more than 100,000 live handles, then reuse of the freed slots ----
const N = 150000;
const hs = new Int32Array(N);
for (let i = 0; i < N; i++) hs[i] = g.mb_resource_new(lib, plain, i);
assert.equal(g.mb_handle_count(lib), N);
for (let i = 0; i < N; i++) assert.equal(g.mb_resource_rep(lib, plain, hs[i]), i);
for (let i = 0; i < N; i += 2) g.mb_resource_drop(lib, plain, hs[i]);
const pages = g.memory.buffer.byteLength;
for (let i = 0; i < N; i += 2) {
  const old = hs[i];
  hs[i] = g.mb_resource_new(lib, plain, -i);
  if (i === 0) {
    assert.notEqual(hs[i], old);
    traps(() => g.mb_resource_rep(lib, plain, old), 'membrane: use of dropped handle');
  }
}
assert.equal(g.memory.buffer.byteLength, pages, 'reused slots need no more memory');
for (let i = 0; i < N; i++) assert.equal(g.mb_resource_rep(lib, plain, hs[i]), i % 2 ? i : -i | 0);
g.mb_teardown(lib);
assert.equal(g.mb_handle_count(lib), 0);
assert.equal(g.mb_resource_count(), 0);

console.log('virt glue: all checks passed');
