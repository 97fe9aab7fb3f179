// The isolation of --memory single, on any Node (no WASI): the application (placed last)
// writes everywhere in its own memory and cannot reach the library's region; the
// library's fixed region is bounds-checked (trap `membrane: out of bounds`) and its
// memory.grow returns -1 once the region is full. The multi-memory output of the same
// link gives the same results, its traps being the engine's own.
//
// usage: node run.mjs FUSED.wasm single|multi|trusted
import { readFileSync } from 'node:fs';

const [file, mode] = process.argv.slice(2);
const { instance } = await WebAssembly.instantiate(readFileSync(file), {});
const x = instance.exports;
let failed = 0;
function check(what, got, want) {
  const ok = Object.is(got, want);
  console.log(`${what}: ${got}${ok ? '' : `  (expected ${want})`}`);
  if (!ok) failed++;
}
function trap(fn) {
  try {
    fn();
    return 'no trap';
  } catch (e) {
    if (e.stack.includes('membrane: out of bounds')) return 'trap membrane: out of bounds';
    if (/out of bounds/.test(e.message)) return 'trap out of bounds';
    return `trap ${e.message}`;
  }
}
const libTrap = mode === 'single' ? 'trap membrane: out of bounds' : 'trap out of bounds';

check('lib state at start', x.lib_check(), 1);
check('app data segment', x.load(100), 0x44505041);
check('app size', x.size(), 1);
check('app grow', x.grow(1), 1);
check('app size after grow', x.size(), 2);
check('app scribbled bytes', x.scribble(), 131072);
check('app bytes not scribbled', x.others(), 0);
check('lib state after the app scribbled', x.lib_check(), 1);
check('app store past its end', trap(() => x.store(131070, 1)), 'trap out of bounds');
check('app store at 2^32-4', trap(() => x.store(0xFFFFFFFC, 1)), 'trap out of bounds');
check('lib state after the app tried', x.lib_check(), 1);
check('lib size', x.lib_size(), 1);
check('lib grow past its region', x.lib_grow(5), -1);
check('lib size after failed grow', x.lib_size(), 1);
check('lib store at its end', trap(() => x.lib_store(65532, 7)), 'no trap');
check('lib load at its end', x.lib_load(65532), 7);
check('lib store past its end', trap(() => x.lib_store(65533, 1)),
  mode === 'trusted' ? 'no trap' : libTrap);
check('lib i64 store past its end (offset 8)', trap(() => x.lib_store64(65524, 1n)),
  mode === 'trusted' ? 'no trap' : libTrap);
check('lib fill past its end', trap(() => x.lib_fill(65530, 0, 100)),
  mode === 'trusted' ? 'trap membrane: out of bounds' : libTrap);
check('lib grow', x.lib_grow(1), 1);
check('lib size after grow', x.lib_size(), 2);
check('lib store in its new page', trap(() => x.lib_store(131068, 9)), 'no trap');
check('lib grow when full', x.lib_grow(1), -1);
check('lib store past its grown end', trap(() => x.lib_store(131069, 1)),
  mode === 'trusted' ? 'no trap' : libTrap);
// trusted, the library's store ran one byte into the application's region (the guarantee
// --trust gives up)
check('app bytes after the lib wrote', x.others(), mode === 'trusted' ? 1 : 0);
check('lib state at the end', x.lib_check(), 1);

// ops: SIMD, atomics and f64 in a checked region of one page
const opsTrap = mode === 'multi' ? 'trap out of bounds' : 'trap membrane: out of bounds';
check('ops v128 store', trap(() => x.ops_v128_store(0)), 'no trap');
check('ops v128 load', x.ops_v128_load(0), 4);
check('ops v128 store at its end', trap(() => x.ops_v128_store(65504)), 'no trap');
check('ops v128 store past its end', trap(() => x.ops_v128_store(65505)), opsTrap);
check('ops lane store', trap(() => x.ops_lane_store(100)), 'no trap');
check('ops lane load', x.ops_lane_load(100), 7);
check('ops lane store past its end', trap(() => x.ops_lane_store(65533)), opsTrap);
check('ops cmpxchg', x.ops_cas(200, 0, 9), 0);
check('ops cmpxchg again', x.ops_cas(200, 9, 11), 9);
check('ops cmpxchg past its end', trap(() => x.ops_cas(65536, 0, 1)), opsTrap);
check('ops i64 atomic add', x.ops_add64(208, 5n), 0n);
check('ops i64 atomic add again', x.ops_add64(208, 5n), 5n);
check('ops i64 atomic add past its end', trap(() => x.ops_add64(65536, 1n)), opsTrap);
check('ops f64 store', trap(() => x.ops_f64_store(300, 1.5)), 'no trap');
check('ops f64 load', x.ops_f64_load(300), 1.5);
check('ops f64 store past its end', trap(() => x.ops_f64_store(65530, 1)), opsTrap);
check('ops grow when full', x.ops_grow(), -1);
check('lib state after ops', x.lib_check(), 1);
process.exitCode = failed ? 1 : 0;
