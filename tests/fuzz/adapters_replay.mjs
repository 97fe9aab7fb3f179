// adapters_replay.mjs — fuzz_handles' corpus through fused inline adapters, on Node 26.
//
// usage: node adapters_replay.mjs MEMBRANE WAT2WASM GLUE.wasm ADAPTERS_DIR DIR...
//
// ADAPTERS_DIR (tests/fuzz/adapters) is linked once with `membrane link`: app calls lib
// (which defines resource r) and svc through adapters that move own handles, lend
// borrows (to lib, the definer: the rep; to svc: a borrow handle svc must drop) and open
// and close the call scope inline, as linker/fuse_fast.c writes them, falling back to
// the glue for the rest. Each corpus file is read as a sequence of app's calls (below),
// with handle arguments mostly taken from earlier results, on a fresh instance of the
// fused module and, operation by operation, on a fresh standalone glue
// (mb_virt_glue.wasm) doing what the adapter must do with the single trapping exports
// (mb_own_move, mb_call_begin, mb_borrow_lend, mb_call_end, ...). Both must give the same
// values, and trap at the same call with the same message (the trapping function's
// name); after a trap (which ends the instance) the file goes on with fresh instances of
// both. Exit 1 at the first difference.
//
// Byte b % 11 selects: new(v), mv(h), lend(h), both(a, b), drop(h), dup(h), destroy(h),
// peek(h, keep), hold(h), give(x), sdrop(x); h are app's handles, x svc's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [membrane, wat2wasm, glueFile, dir, ...corpora] = process.argv.slice(2);
const tmp = mkdtempSync(join(tmpdir(), 'mb-fz-adapters-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const sh = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
};
for (const m of ['lib', 'svc', 'app']) sh(wat2wasm, [join(dir, `${m}.wat`), '-o', join(tmp, `${m}.wasm`)]);
const fusedFile = join(tmp, 'fused.wasm');
sh(membrane, ['link', `app=${join(tmp, 'app.wasm')}`, `lib=${join(tmp, 'lib.wasm')}`,
  `svc=${join(tmp, 'svc.wasm')}`, '--wit', join(dir, 'handles.wit'),
  '--world', 'lib=fuzz:handles/lib', '--world', 'svc=fuzz:handles/svc-w',
  '--world', 'app=fuzz:handles/app', '-o', fusedFile]);
const fused = new WebAssembly.Module(readFileSync(fusedFile));
const glue = new WebAssembly.Module(readFileSync(glueFile));

// A call: [0, value] or [trap message, 0].
const call = (fn) => {
  try {
    return [0, fn() ?? 0];
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError)) throw e;
    const top = e.stack.split('\n')[1] ?? '';
    const m = /at (membrane: [^(]*) \(/.exec(top);
    return [m ? m[1] : `trap outside the glue: ${e.message}: ${top}`, 0];
  }
};

const files = [];
const walk = (p) => {
  if (statSync(p).isDirectory()) for (const f of readdirSync(p).sort()) walk(join(p, f));
  else files.push(p);
};
corpora.forEach(walk);

let ops = 0, traps = 0;
for (const file of files) {
  const bytes = readFileSync(file);
  let pos = 0;
  const next = () => (pos < bytes.length ? bytes[pos++] : 0);
  // fresh instances of both, at the start and after each trap (which ends an instance)
  let f, g, A, L, S, R, appPool, svcPool;
  const start = () => {
    f = new WebAssembly.Instance(fused, {}).exports;
    g = new WebAssembly.Instance(glue, {}).exports;
    [A, L, S] = [g.mb_instance_new(), g.mb_instance_new(), g.mb_instance_new()];
    const name = g.mb_alloc(1);
    new Uint8Array(g.memory.buffer)[name] = 'r'.charCodeAt(0);
    R = g.mb_type_new(L, name, 1, 0);
    appPool = [];
    svcPool = [];
  };
  start();
  const pick = (pool) => {
    const b = next();
    if (b < 208 && pool.length) return pool[b % pool.length];
    switch (b & 7) {
      case 0: return 0;
      case 1: return -1;
      case 2: return pool.length ? (pool[b % pool.length] + (1 << 26)) & 0x7fffffff : 1;
      case 3: return 0x7fffffff;
      default: return b >> 3;
    }
  };
  // what each of app's calls must do, with the glue's single operations
  const model = {
    new: (v) => g.mb_own_move(L, R, g.mb_resource_new(L, R, v), A),
    mv: (h) => g.mb_own_move(L, R, g.mb_own_move(A, R, h, L), A),
    lend: (h) => {
      const s = g.mb_call_begin(A, L);
      const rep = g.mb_borrow_lend(s, R, h);
      g.mb_call_end(s);
      return rep;
    },
    both: (a, b) => {
      const s = g.mb_call_begin(A, L);
      const x = g.mb_own_move(A, R, a, L);
      g.mb_borrow_lend(s, R, b);
      const y = g.mb_own_move(L, R, x, A);
      g.mb_call_end(s);
      return y;
    },
    drop: (h) => g.mb_resource_drop(A, R, h),
    dup: (h) => g.mb_resource_dup(A, R, h),
    destroy: (h) => g.mb_resource_destroy(A, R, h),
    peek: (h, keep) => {
      const s = g.mb_call_begin(A, S);
      const b = g.mb_borrow_lend(s, R, h);
      if (!keep) g.mb_resource_drop(S, R, b);
      g.mb_call_end(s);
      return b;
    },
    hold: (h) => g.mb_own_move(A, R, h, S),
    give: (x) => g.mb_own_move(S, R, x, A),
    sdrop: (x) => g.mb_resource_drop(S, R, x),
  };
  const names = Object.keys(model);
  for (let n = 0; n < 200 && pos < bytes.length; n++) {
    let op = names[next() % names.length];
    // nothing to pass yet: make something first (else every file would trap at once)
    if (!appPool.length && op !== 'new') op = 'new';
    if (!svcPool.length && (op === 'give' || op === 'sdrop')) op = 'hold';
    let args;
    if (op === 'new') args = [next()];
    else if (op === 'both') args = [pick(appPool), pick(appPool)];
    else if (op === 'peek') args = [pick(appPool), (next() & 7) === 0 ? 1 : 0];
    else if (op === 'give' || op === 'sdrop') args = [pick(svcPool)];
    else args = [pick(appPool)];
    const want = call(() => model[op](...args));
    const got = call(() => f[op](...args));
    ops++;
    if (want[0] !== got[0] || want[1] !== got[1]) {
      console.error(`${file}: call ${n}: ${op}(${args.join(', ')}): fused adapter gave ` +
        `${got[0] || 'value ' + got[1]}, the glue's single operations ${want[0] || 'value ' + want[1]}`);
      process.exit(1);
    }
    if (want[0]) {
      traps++;
      start();
      continue;
    }
    if (['new', 'mv', 'both', 'dup', 'give'].includes(op)) appPool.push(want[1]);
    if (op === 'hold') svcPool.push(want[1]);
    if (appPool.length > 64) appPool.shift();
    if (svcPool.length > 64) svcPool.shift();
  }
}
if (files.length === 0) {
  console.error('no corpus file');
  process.exit(1);
}
console.log(`${files.length} files, ${ops} adapter calls agree (${traps} of them the same trap)`);
