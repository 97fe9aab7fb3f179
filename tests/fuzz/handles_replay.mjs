// handles_replay.mjs — replays fuzz_handles' glue calls on the real wasm32 glue.
//
// usage: node handles_replay.mjs GLUE.wasm TRACE
//
// TRACE is what fuzz_handles writes under MB_FUZZ_TRACE: the glue calls of each input's
// clean run, in order, with the results the glue compiled natively gave (which the
// harness had already checked against the native runtime's single operations). Each
// input starts with `R MAX` (a fresh glue instance, its tables limited to MAX handles);
// then, with `= ` before the expected values:
//   C NAME ARGS = ERR RESULT       an `_e` export: its code, then mb_result()
//   T NAME ARGS = CODE RESULT      a trapping export: CODE 0 returns RESULT, else it traps
//                                  in the function named after that error's message
//   Y DEFINER NAME = ERR RESULT    mb_type_new_e with the name in the glue's memory, no
//                                  destructor (the native run logs destructor calls; here
//                                  results alone are compared)
//   E CALLER CALLEE N (H W)xN = CODE SCOPE OUT...   mb_call_enter through mb_args
//   L SCOPE FROM TYPE H TO = CODE RESULT            mb_call_leave
//   I = COUNT                      mb_resource_count()
// So the wasm32 build (its layout, its allocator, clang's wasm code for the same C)
// agrees with the native one on every result and trap. Exit 1 at the first difference.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const [glueFile, traceFile] = process.argv.slice(2);
const module = new WebAssembly.Module(readFileSync(glueFile));
const MESSAGES = [
  null, 'membrane: unknown handle', 'membrane: use of dropped handle',
  'membrane: handle of wrong resource type', 'membrane: borrow outlived its call',
  'membrane: lent handle dropped or moved', 'membrane: use of destroyed resource',
  'membrane: handle table exhausted', 'membrane: resource.new/rep outside the definer',
  'membrane: borrowed handle used as owned',
  'membrane: call scope is not the innermost open call',
  'membrane: instance torn down during a call', 'membrane: resource type defined twice',
  'membrane: unknown instance', 'membrane: unknown resource type', 'membrane: out of memory',
  'membrane: invalid argument',
];
// the runtime's max_handles: after its realloc and alloc_user pointers (wasm32)
const RT_MAX_HANDLES = 8;

let g = null;
let lineNo = 0;
let line = '';
const fail = (msg) => {
  console.error(`${traceFile}:${lineNo}: ${line}\n  ${msg}`);
  process.exit(1);
};
const i32 = (s) => Number(s) | 0;

// Runs fn; returns [code, value]: code 0 and the result, or the trap's code.
const run = (fn) => {
  try {
    return [0, fn() ?? 0];
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError)) throw e;
    const top = e.stack.split('\n')[1] ?? '';
    const code = MESSAGES.findIndex((m) => m && top.includes(`at ${m} (`));
    if (code < 0) fail(`a trap outside the named trap functions: ${top}`);
    return [code, 0];
  }
};

let inputs = 0;
let calls = 0;
for (line of readFileSync(traceFile, 'utf8').split('\n')) {
  lineNo++;
  if (!line) continue;
  const [lhs, rhs] = line.split(' = ');
  const w = lhs.split(' ');
  const want = (rhs ?? '').split(' ').map(i32);
  const kind = w[0];
  if (kind === 'R') {
    g = new WebAssembly.Instance(module, {}).exports;
    const view = new DataView(g.memory.buffer);
    view.setUint32(g.mb_rt_store.value + RT_MAX_HANDLES, Number(w[1]), true);
    inputs++;
    continue;
  }
  calls++;
  if (kind === 'C') {
    const err = g[w[1]](...w.slice(2).map(i32));
    if (err !== want[0] || g.mb_result() !== want[1])
      fail(`gave ${err} ${g.mb_result()}, native glue ${want[0]} ${want[1]}`);
  } else if (kind === 'T') {
    const [code, value] = run(() => g[w[1]](...w.slice(2).map(i32)));
    if (code !== want[0] || (code === 0 && value !== want[1]))
      fail(`gave ${code ? 'trap ' + MESSAGES[code] : value}, native glue ${want[0] ? 'trap ' + MESSAGES[want[0]] : want[1]}`);
  } else if (kind === 'Y') {
    const bytes = new TextEncoder().encode(w[2]);
    const p = g.mb_alloc(bytes.length);
    new Uint8Array(g.memory.buffer, p, bytes.length).set(bytes);
    const err = g.mb_type_new_e(i32(w[1]), p, bytes.length, 0);
    if (err !== want[0] || g.mb_result() !== want[1])
      fail(`gave ${err} ${g.mb_result()}, native glue ${want[0]} ${want[1]}`);
  } else if (kind === 'E') {
    const n = i32(w[3]);
    const args = () => new Int32Array(g.memory.buffer, g.mb_args.value, 2 * n);
    const a = args();
    for (let i = 0; i < 2 * n; i++) a[i] = i32(w[4 + i]);
    const [code, scope] = run(() => g.mb_call_enter(i32(w[1]), i32(w[2]), n));
    if (code !== want[0]) fail(`gave ${code ? 'trap ' + MESSAGES[code] : 'no trap'}, native glue ${want[0] ? 'trap ' + MESSAGES[want[0]] : 'no trap'}`);
    if (code === 0) {
      const outs = Array.from({ length: n }, (_, i) => args()[2 * i]);
      assert.deepEqual([scope, ...outs], want.slice(1, 2 + n), `${traceFile}:${lineNo}: ${line}`);
    }
  } else if (kind === 'L') {
    const [code, value] = run(() => g.mb_call_leave(...w.slice(1).map(i32)));
    if (code !== want[0] || (code === 0 && value !== want[1]))
      fail(`gave ${code ? 'trap ' + MESSAGES[code] : value}, native glue ${want[0] ? 'trap ' + MESSAGES[want[0]] : want[1]}`);
  } else if (kind === 'I') {
    if (g.mb_resource_count() !== want[0])
      fail(`${g.mb_resource_count()} live resources, native glue ${want[0]}`);
  } else {
    fail('unknown trace line');
  }
}
if (inputs === 0) fail('no input in the trace');
console.log(`${inputs} inputs, ${calls} glue calls agree`);
