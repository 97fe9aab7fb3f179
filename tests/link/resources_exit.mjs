// WASI proc_exit with the resource ABI, on Node 26: tests/link/resources_exit/ fused with
// --wit/--world; proc_exit from app, and from svc in the middle of a call that lent it a
// handle, runs each destructor exactly once before the host's proc_exit gets the code.
//
// usage: node resources_exit.mjs --membrane PATH --wat2wasm PATH --wasm-validate PATH
//          [--memory single] DIR
// --memory single: the link with one memory (lib and svc fixed regions of 64 pages),
// validated without multi-memory; run it on an engine without multi-memory (Node 20).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const opt = {};
const argv = process.argv.slice(2);
while (argv.length > 1) opt[argv.shift().replace(/^--/, '')] = argv.shift();
const dir = argv[0];
const tmp = mkdtempSync(join(tmpdir(), 'mb-exit-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}\n${r.stderr}`);
  return r;
};
for (const m of ['lib', 'svc', 'app'])
  run(opt.wat2wasm, [join(dir, `${m}.wat`), '-o', join(tmp, `${m}.wasm`)]);
const out = join(tmp, 'out.wasm');
run(opt.membrane, ['link', `app=${join(tmp, 'app.wasm')}`, `lib=${join(tmp, 'lib.wasm')}`,
  `svc=${join(tmp, 'svc.wasm')}`, '--wit', join(dir, 'exit.wit'), '--world', 'lib=test:exit/lib',
  '--world', 'svc=test:exit/svc', '--world', 'app=test:exit/app', '-o', out,
  ...(opt.memory === 'single'
    ? ['--memory', 'single', '--memory-size', 'lib=64', '--memory-size', 'svc=64'] : [])]);
run(opt['wasm-validate'], [...(opt.memory === 'single' ? [] : ['--enable-multi-memory']), out]);
const module = new WebAssembly.Module(readFileSync(out));
assert.deepEqual(WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`),
  ['wasi_snapshot_preview1.proc_exit'], 'app and svc share the one host proc_exit');

class Exit extends Error {}
let checks = 0;
for (const entry of ['direct', 'in_call']) {
  let e, code = null, dtorsAtExit = null;
  const imports = { wasi_snapshot_preview1: { proc_exit: (c) => {
    code = c;
    dtorsAtExit = e.dtors();
    throw new Exit();
  } } };
  e = new WebAssembly.Instance(module, imports).exports;
  assert.throws(() => e[entry](7), Exit, `${entry}: proc_exit reached the host`);
  assert.equal(code, 7, `${entry}: the host got the exit code`);
  assert.equal(dtorsAtExit, 2, `${entry}: both destructors ran before the host's proc_exit`);
  assert.equal(e.dtors(), 2, `${entry}: each exactly once`);
  checks += 4;
}
console.log(`resources_exit: ${checks} checks passed`);
