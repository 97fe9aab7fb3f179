// Runs a WASI preview1 command on Node 26's node:wasi with the guest's stdout and
// stderr on ours; exits with the guest's exit status.
//
// usage: node run.mjs [--preopen GUEST=HOSTDIR]... [--env K=V]... [--argv0 NAME]
//                     [--count-calls FILE] MODULE.wasm [ARGS...]
//
// --count-calls FILE: at exit, write to FILE a JSON object {function: calls} of every
// host wasi_snapshot_preview1 function the module called (what reached the host, e.g.
// fd_sync through a :rw mount).
import { WASI } from 'node:wasi';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

const preopens = {};
const env = {};
let argv0 = null;
let countFile = null;
const argv = process.argv.slice(2);
while (argv.length && argv[0].startsWith('--')) {
  const opt = argv.shift(), val = argv.shift() ?? '';
  const eq = val.indexOf('=');
  if (opt === '--preopen' && eq > 0) preopens[val.slice(0, eq)] = val.slice(eq + 1);
  else if (opt === '--env' && eq > 0) env[val.slice(0, eq)] = val.slice(eq + 1);
  else if (opt === '--argv0') argv0 = val;
  else if (opt === '--count-calls') countFile = val;
  else {
    process.stderr.write(`run.mjs: bad option ${opt} ${val}\n`);
    process.exit(2);
  }
}
const path = argv.shift();
const wasi = new WASI({ version: 'preview1', args: [argv0 ?? basename(path), ...argv], env,
                        preopens, returnOnExit: true });
const module = new WebAssembly.Module(readFileSync(path));
const imports = wasi.getImportObject();
const counts = {};
if (countFile !== null) {
  const p1 = imports.wasi_snapshot_preview1;
  for (const [name, fn] of Object.entries(p1)) {
    p1[name] = (...args) => {
      counts[name] = (counts[name] ?? 0) + 1;
      return fn(...args);
    };
  }
}
const instance = new WebAssembly.Instance(module, imports);
// Node 20's node:wasi can free its native state in a garbage collection that runs while
// the guest is still calling it (an abort in uv_mutex_destroy from uvwasi_fd_table_free,
// inside fd_write, seen with the large memory of a --memory single output): the objects
// stay reachable until the end.
globalThis.mbKeepAlive = [wasi, instance];
try {
  process.exitCode = wasi.start(instance);
} finally {
  if (countFile !== null) writeFileSync(countFile, JSON.stringify(counts) + '\n');
}
