// Runs a GC module and its permuted twin on Node 26 and requires the same results.
//
// usage: node gc_run.mjs [--compile-only] GC_PERMUTE MODULE.wasm
//
// GC_PERMUTE (gc_permute.c) checks the binary model on MODULE and writes the twin, whose
// every index space was permuted (types as far as rec groups and supertypes allow).
// wasm-validate (wabt 1.0.32) cannot validate GC, so V8 does: both must compile with
// `new WebAssembly.Module`. Every export that is a function without parameters is called
// on both; results (or the trap) must agree, and `check` must exist and not be 0.
// --compile-only: a module with imports (wasm-opt -ttf output) is only compiled, and
// its imports and exports must be the same before and after.
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';

const args = process.argv.slice(2);
const compileOnly = args[0] === '--compile-only';
if (compileOnly) args.shift();
const [tool, input] = args;
if (!tool || !input) {
  process.stderr.write('usage: node gc_run.mjs GC_PERMUTE MODULE.wasm\n');
  process.exit(2);
}
const name = basename(input);
const work = mkdtempSync(join(tmpdir(), 'gc_run-'));
const out = join(work, 'permuted.wasm');
let failures = 0;
const fail = (msg) => { failures++; process.stderr.write(`gc_run: ${name}: ${msg}\n`); };

const r = spawnSync(tool, [input, out], { encoding: 'utf8' });
process.stderr.write(r.stderr);
if (r.status !== 0) {
  fail(`gc_permute failed (status ${r.status})`);
} else {
  const a = readFileSync(input), b = readFileSync(out);
  if (Buffer.compare(a, b) === 0) fail('the permuted module is byte-identical to the input');
  const run = (bytes, which) => {
    let mod;
    try {
      mod = new WebAssembly.Module(bytes);
    } catch (e) {
      fail(`${which} does not compile: ${e.message}`);
      return null;
    }
    if (compileOnly)
      return { imports: JSON.stringify(WebAssembly.Module.imports(mod)),
               exports: JSON.stringify(WebAssembly.Module.exports(mod)) };
    const inst = new WebAssembly.Instance(mod, {});
    const results = {};
    for (const { name: ex, kind } of WebAssembly.Module.exports(mod)) {
      const f = inst.exports[ex];
      if (kind !== 'function' || f.length !== 0) continue;
      try {
        results[ex] = String(f());
      } catch (e) {
        results[ex] = `trap: ${e.message}`;
      }
    }
    return results;
  };
  const want = run(a, 'the input'), got = run(b, 'the permuted module');
  if (want && got) {
    if (compileOnly) ;
    else if (!('check' in want)) fail('no export `check`');
    else if (want.check === '0' || want.check.startsWith('trap')) fail(`check() is ${want.check}`);
    for (const k of Object.keys(want))
      if (want[k] !== got[k]) fail(`${k}(): ${want[k]} before, ${got[k]} after permuting`);
    if (!failures) process.stdout.write(`${name}: ${JSON.stringify(want)} before and after\n`);
  }
}
rmSync(work, { recursive: true, force: true });
process.exit(failures ? 1 : 0);
