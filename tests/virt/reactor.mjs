// A JS host driving a WASI reactor through `membrane virt --export` (issue 10, item 8),
// on Node 26. progs/reactor.c is run two ways:
//   direct  on node:wasi, as it is: its `memory` is its own;
//   virt    `membrane virt app=REACTOR --export app._initialize --export app.greet
//           --export app.calls --export app.initialized --export app.memory=app_memory`:
//           `memory` is wasi-virt's (node:wasi reads the iovecs there), the program's
//           own memory is `app_memory`.
// Both: the host calls _initialize (wasi.initialize), greet(7) and greet(-3), reads each
// greeting from the program's memory at the pointer greet returns, and stdout must be
// the same. Under virt `memory` is not the program's (the greeting is not at that
// address there) and the exports are exactly the chosen ones plus `memory`.
//
// usage: node reactor.mjs --membrane PATH --wasm-validate PATH REACTOR.wasm
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';

const opt = {};
const argv = process.argv.slice(2);
while (argv.length > 1) opt[argv.shift().replace(/^--/, '')] = argv.shift();
const prog = argv[0];
if (!opt.membrane || !opt['wasm-validate'] || !prog) {
  process.stderr.write('usage: node reactor.mjs --membrane P --wasm-validate P REACTOR.wasm\n');
  process.exit(2);
}
const tmp = mkdtempSync(join(tmpdir(), 'mb-reactor-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}\n${r.stderr}`);
  return r;
};
let checks = 0;
const eq = (got, want, what) => {
  assert.deepEqual(got, want, what);
  checks++;
};

const cstring = (memory, ptr) => {
  const b = new Uint8Array(memory.buffer);
  let end = ptr;
  while (end < b.length && b[end] !== 0) end++;
  return Buffer.from(b.subarray(ptr, end)).toString('utf8');
};

// Instantiates the module, lets the host drive it; returns what it saw.
function drive(path, programMemory) {
  const out = join(tmp, `${programMemory}.stdout`);
  const fd = openSync(out, 'w');
  const wasi = new WASI({ version: 'preview1', args: ['reactor'], env: {}, stdout: fd, returnOnExit: true });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path)), wasi.getImportObject());
  const e = inst.exports;
  const before = e.initialized();
  wasi.initialize(inst); // calls _initialize, WASI reads `memory`
  const mem = e[programMemory];
  const seen = { before, after: e.initialized(), greetings: [], ptrs: [] };
  for (const n of [7, -3]) {
    const p = e.greet(n);
    seen.ptrs.push(p);
    seen.greetings.push(cstring(mem, p));
  }
  seen.calls = e.calls();
  closeSync(fd);
  seen.stdout = readFileSync(out, 'utf8');
  return { seen, exports: e };
}

const direct = drive(prog, 'memory').seen;
eq(direct.before, 0, 'direct: nothing initialized before _initialize');
eq(direct.after, 42, 'direct: _initialize ran the constructors');
eq(direct.greetings, ['hello 7 from the reactor', 'hello -3 from the reactor'], 'direct: the greetings');
eq(direct.stdout, 'greet(7): hello 7 from the reactor\ngreet(-3): hello -3 from the reactor\n', 'direct: stdout');

const out = join(tmp, 'virt.wasm');
const virt = run(opt.membrane, ['virt', `app=${prog}`, '--export', 'app._initialize', '--export', 'app.greet',
  '--export', 'app.calls', '--export', 'app.initialized', '--export', 'app.memory=app_memory', '-o', out]);
eq(virt.stderr, '', 'virt: no warnings');
run(opt['wasm-validate'], ['--enable-multi-memory', out]);
const module = new WebAssembly.Module(readFileSync(out));
eq(WebAssembly.Module.exports(module).map((x) => `${x.kind} ${x.name}`).sort(), [
  'function _initialize', 'function calls', 'function greet', 'function initialized',
  'memory app_memory', 'memory memory',
], 'virt: exactly the chosen exports and wasi-virt\'s memory');
const info = JSON.parse(run(opt.membrane, ['inspect', '--json', out]).stdout);
const idx = (name) => info.exports.find((x) => x.name === name).index;
assert.notEqual(idx('memory'), idx('app_memory'), 'memory and app_memory are different memories');
checks++;

const v = drive(out, 'app_memory');
eq(v.seen.before, 0, 'virt: nothing initialized before _initialize');
eq(v.seen.after, 42, 'virt: _initialize ran the program\'s constructors');
eq(v.seen.greetings, direct.greetings, 'virt: the greetings read from app_memory');
eq(v.seen.ptrs, direct.ptrs, 'virt: at the same addresses as in the direct run');
eq(v.seen.calls, 2, 'virt: calls');
eq(v.seen.stdout, direct.stdout, 'virt: stdout through wasi-virt, as direct');
const mem = v.exports.memory;
assert.ok(mem instanceof WebAssembly.Memory && mem !== v.exports.app_memory, 'virt: memory is another memory');
assert.notEqual(cstring(mem, v.seen.ptrs[0]), direct.greetings[0], "virt: `memory` is not the program's");
checks++;

process.stdout.write(`reactor: ${checks} checks passed\n`);
