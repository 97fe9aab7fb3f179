// examples/browser in a real browser: the page (index.html) and the single-memory output
// of `membrane virt` (hello.virt.wasm) served over HTTP on 127.0.0.1, loaded in headless
// Chromium (Debian's chromium, driven by npm's playwright-core); the text the page shows
// must be examples/browser/expected.txt. Before that, on Node: the module has exactly one
// memory, no multi-memory needed, and imports nothing but preview1 functions.
//
// usage: node browser.mjs PLAYWRIGHT_CORE_DIR CHROMIUM EXAMPLE_DIR HELLO.virt.wasm
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [pwDir, chromiumPath, dir, wasmPath] = process.argv.slice(2);
const fail = (msg) => {
  console.log(`FAIL: ${msg}`);
  process.exit(1);
};

const bytes = readFileSync(wasmPath);
const mod = new WebAssembly.Module(bytes);
const imports = WebAssembly.Module.imports(mod);
if (imports.some((i) => i.module !== 'wasi_snapshot_preview1' || i.kind !== 'function'))
  fail(`unexpected imports ${JSON.stringify(imports)}`);
if (!imports.some((i) => i.name === 'fd_write') || !imports.some((i) => i.name === 'proc_exit'))
  fail(`fd_write and proc_exit must be imported: ${JSON.stringify(imports)}`);
const mems = WebAssembly.Module.exports(mod).filter((e) => e.kind === 'memory');
if (mems.length !== 1) fail(`expected one exported memory, got ${mems.length}`);

const files = {
  '/': ['text/html', join(dir, 'index.html')],
  '/index.html': ['text/html', join(dir, 'index.html')],
  '/hello.virt.wasm': ['application/wasm', wasmPath],
};
const server = createServer((req, res) => {
  const f = files[req.url];
  if (!f) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': f[0] }).end(readFileSync(f[1]));
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${server.address().port}/`;

const { chromium } = await import(pathToFileURL(join(pwDir, 'index.mjs')).href);
const browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
let text;
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-done]', { timeout: 30000 }).catch(() => {});
  if (errors.length) fail(`errors in the page: ${errors.join('; ')}`);
  text = await page.textContent('#out');
  console.log(`browser: ${browser.version()}`);
} finally {
  await browser.close();
  server.close();
}
const want = readFileSync(join(dir, 'expected.txt'), 'utf8').trimEnd();
if ((text ?? '').trimEnd() !== want) fail(`the page shows:\n${text}\nexpected:\n${want}`);
console.log(`ok: the page shows the program's ${want.split('\n').length} lines`);
