// Runs a WASI preview1 command module on Node's node:wasi (Node 26: multi-memory).
//
// usage: node wasi_run.mjs [--dir HOST=GUEST]... [--env NAME=VALUE]...
//                          [--expect-stdout TEXT] MODULE.wasm [ARGS...]
//
// Exit status: the guest's exit code; 1 when --expect-stdout is given and the guest's
// stdout differs (both are printed), 2 on bad usage.
import { WASI } from 'node:wasi';
import { readFileSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function usage(msg) {
  process.stderr.write(`wasi_run: ${msg}\n` +
    'usage: node wasi_run.mjs [--dir HOST=GUEST]... [--env NAME=VALUE]... ' +
    '[--expect-stdout TEXT] MODULE.wasm [ARGS...]\n');
  process.exit(2);
}

const preopens = {};
const env = {};
let expectStdout = null;
const argv = process.argv.slice(2);
while (argv.length > 0 && argv[0].startsWith('--')) {
  const opt = argv.shift();
  const val = argv.shift();
  if (val === undefined) usage(`${opt} needs a value`);
  const eq = val.indexOf('=');
  if (opt === '--dir' && eq > 0) preopens[val.slice(eq + 1)] = val.slice(0, eq);
  else if (opt === '--env' && eq > 0) env[val.slice(0, eq)] = val.slice(eq + 1);
  else if (opt === '--expect-stdout') expectStdout = val;
  else usage(`bad option ${opt} ${val}`);
}
if (argv.length === 0) usage('no module given');
const modulePath = argv[0];

// node:wasi writes to a file descriptor, so stdout is captured through a temp file.
let capDir = null;
let capPath = null;
let capFd = 1;
if (expectStdout !== null) {
  capDir = mkdtempSync(join(tmpdir(), 'wasi_run-'));
  capPath = join(capDir, 'stdout');
  capFd = openSync(capPath, 'w+');
}

let code;
try {
  const wasi = new WASI({
    version: 'preview1',
    args: argv,
    env,
    preopens,
    stdout: capFd,
    returnOnExit: true,
  });
  const module = await WebAssembly.compile(readFileSync(modulePath));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  // Node 20's node:wasi can free its native state in a garbage collection that runs while
  // the guest is still calling it (an abort in uv_mutex_destroy from uvwasi_fd_table_free,
  // inside fd_write, seen with the large memory of a --memory single output): the objects
  // stay reachable until the end.
  globalThis.mbKeepAlive = [wasi, instance];
  code = wasi.start(instance);
} finally {
  if (capDir !== null) closeSync(capFd);
}

if (expectStdout !== null) {
  const got = readFileSync(capPath, 'utf8');
  rmSync(capDir, { recursive: true, force: true });
  if (got !== expectStdout) {
    process.stderr.write(`wasi_run: ${modulePath}: stdout differs\n` +
      `expected: ${JSON.stringify(expectStdout)}\n` +
      `got:      ${JSON.stringify(got)}\n`);
    if (code === 0) code = 1;
  }
}
process.exitCode = code;
