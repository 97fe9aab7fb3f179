// Runs the fused counter example on Node 26 (node:wasi), then asks lib how many
// destructors ran: the generated _start tears every instance down after main returns,
// so the counter app left alive is destroyed too. A trap prints the message the glue's
// trapping function is named after.
//
// usage: node run.mjs FUSED.wasm [ARG...]
import { WASI } from 'node:wasi';
import { readFileSync } from 'node:fs';

const [file, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: ['app', ...args], env: {}, returnOnExit: true });
const { instance } = await WebAssembly.instantiate(readFileSync(file), wasi.getImportObject());
// Node 20's node:wasi can free its native state in a garbage collection that runs while
// the guest is still calling it (an abort in uv_mutex_destroy from uvwasi_fd_table_free,
// inside fd_write, seen with the large memory of a --memory single output): the objects
// stay reachable until the end.
globalThis.mbKeepAlive = [wasi, instance];
try {
  const code = wasi.start(instance);
  console.log(`exit ${code}; destructors run in lib: ${instance.exports.destroyed()}`);
} catch (e) {
  const frame = e.stack.split('\n')[1].trim();
  console.log(`trap: ${e.message}, ${frame.replace(/ \(wasm:.*/, '')}`);
  process.exitCode = 3;
}
