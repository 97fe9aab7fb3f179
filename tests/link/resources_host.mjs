// Resources the host defines (issue 10, item 7), on Node 26: an instance that only
// drops handles of a resource no instance of the composition defines uses the host's
// resource, as the 2022 wit-bindgen JS hosts did. tests/link/resources_host/: app drops
// the host's `file` (legacy canonical_abi.resource_drop_file) and `dir` (example:host/fs
// [resource-drop]dir; no instance exports example:host/fs), tool drops `file` too, lib
// defines a resource of its own (the glue is in the output). Checked:
//   - `membrane link` keeps both drops as imports of the output (one `file` import for
//     app and tool), the output validates, and `membrane inspect` (--json and text)
//     lists both resources as host-defined;
//   - run with a JS host providing the drops, the host sees exactly the i32 values it
//     gave out (and the ones app made up), in order: no adapter or handle table touches
//     them; lib's own resource still runs its destructor through the glue;
//   - `membrane virt` of a WASI program dropping the same resources: the drops stay
//     imports next to WASI, the host sees its values, stdout arrives through wasi-virt.
//
// usage: node resources_host.mjs --membrane PATH --wat2wasm PATH --wasm-validate PATH DIR
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';

const opt = {};
const argv = process.argv.slice(2);
while (argv.length > 1) opt[argv.shift().replace(/^--/, '')] = argv.shift();
const dir = argv[0];
if (!opt.membrane || !opt.wat2wasm || !opt['wasm-validate'] || !dir) {
  process.stderr.write('usage: node resources_host.mjs --membrane P --wat2wasm P --wasm-validate P DIR\n');
  process.exit(2);
}
const tmp = mkdtempSync(join(tmpdir(), 'mb-hostres-'));
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
for (const m of ['app', 'tool', 'lib', 'prog'])
  run(opt.wat2wasm, [join(dir, `${m}.wat`), '-o', join(tmp, `${m}.wasm`)]);

// ---- membrane link ----
const out = join(tmp, 'out.wasm');
const link = run(opt.membrane, ['link', `app=${join(tmp, 'app.wasm')}`, `tool=${join(tmp, 'tool.wasm')}`,
  `lib=${join(tmp, 'lib.wasm')}`, '--wit', join(dir, 'host.wit'), '--world', 'app=example:host/app',
  '-o', out]);
eq(link.stderr, '', 'link: no warnings');
run(opt['wasm-validate'], ['--enable-multi-memory', out]);
const module = new WebAssembly.Module(readFileSync(out));
eq(WebAssembly.Module.imports(module).map((i) => `${i.kind} ${i.module}.${i.name}`).sort(), [
  'function canonical_abi.resource_drop_file',
  'function example:host/fs.[resource-drop]dir',
  'function example:host/fs.open-dir',
  'function host.open',
], 'link: the drops stay imports of the output, one for app and tool');

const info = JSON.parse(run(opt.membrane, ['inspect', '--json', out]).stdout);
eq(info.imports.filter((i) => i.field.includes('drop')).map((i) => [i.module, i.field, i.type]), [
  ['canonical_abi', 'resource_drop_file', '(i32) -> ()'],
  ['example:host/fs', '[resource-drop]dir', '(i32) -> ()'],
], 'inspect: the drop imports, (i32) -> ()');
eq(info.host_resources.map((r) => [r.interface, r.name, r.definer, `${r.drop_module}.${r.drop_field}`]), [
  ['canonical_abi', 'file', 'host', 'canonical_abi.resource_drop_file'],
  ['example:host/fs', 'dir', 'host', 'example:host/fs.[resource-drop]dir'],
], 'inspect --json: both resources are host-defined');
eq(info.resources.types.map((t) => [t.interface, t.name, t.definer_name]),
  [['canonical_abi', 'counter', 'lib']], "inspect --json: lib's counter is the only resource type of the glue");
{
  const text = run(opt.membrane, ['inspect', out]).stdout;
  for (const line of ['canonical_abi file  host-defined, dropped through the import canonical_abi.resource_drop_file',
                      'example:host/fs dir  host-defined, dropped through the import example:host/fs.[resource-drop]dir'])
    assert.ok(text.includes(line), `inspect text lacks "${line}":\n${text}`);
  checks++;
}
{
  const dry = run(opt.membrane, ['link', `app=${join(tmp, 'app.wasm')}`, `tool=${join(tmp, 'tool.wasm')}`,
    `lib=${join(tmp, 'lib.wasm')}`, '--wit', join(dir, 'host.wit'), '--world', 'app=example:host/app',
    '--dry-run']).stdout;
  for (const line of [
    "app imports example:host/fs.[resource-drop]dir (func) <- host import (resource 'dir' is host-defined",
    "tool imports canonical_abi.resource_drop_file (func) <- host import (resource 'file' is host-defined",
    'lib imports canonical_abi.resource_drop_counter (func) <- membrane:glue (resource intrinsic)'])
    assert.ok(dry.includes(line), `--dry-run lacks "${line}":\n${dry}`);
  checks++;
}

// The host: handles it chooses (no table indices), and a log of what it is given back.
const hostRun = (mod, extra = {}) => {
  const log = [];
  const handles = [0, 1, -1, 0x7fffffff];
  const given = [];
  const imports = {
    host: { open: (n) => { given.push(handles[n]); return handles[n]; } },
    canonical_abi: { resource_drop_file: (h) => { log.push(['file', h]); } },
    'example:host/fs': {
      'open-dir': (n) => 1000 + n,
      '[resource-drop]dir': (h) => { log.push(['dir', h]); },
    },
    ...extra,
  };
  return { log, given, imports, instance: () => new WebAssembly.Instance(mod, imports).exports };
};
{
  const h = hostRun(module);
  const e = h.instance();
  eq(e.run(), 1, 'run returns');
  eq(h.given, [0, 1, -1], 'the host gave out 0, 1, -1');
  eq(h.log, [['file', -1], ['dir', 1007], ['file', 0], ['file', 1], ['file', 12345], ['dir', -2]],
    'the host is given back exactly its values, in order (tool\'s drop included)');
  eq(e.cycle(), 1, "lib's own resource: the destructor ran once through the glue");
  e._start();
  eq(h.log.at(-1), ['file', 0x7fffffff], '_start drops the host handle 0x7fffffff; teardown leaves it alone');
  eq(h.log.length, 7, 'teardown at the end of _start drops nothing of the host');
}

// ---- membrane virt ----
{
  const vout = join(tmp, 'virt.wasm');
  const virt = run(opt.membrane, ['virt', `prog=${join(tmp, 'prog.wasm')}`, '-o', vout]);
  eq(virt.stderr, '', 'virt: no warnings');
  run(opt['wasm-validate'], ['--enable-multi-memory', vout]);
  const vm = new WebAssembly.Module(readFileSync(vout));
  const imps = WebAssembly.Module.imports(vm).map((i) => `${i.module}.${i.name}`);
  for (const want of ['canonical_abi.resource_drop_file', 'example:host/fs.[resource-drop]dir', 'host.open'])
    assert.ok(imps.includes(want), `virt: the output lacks the import ${want}: ${imps}`);
  checks++;
  const vinfo = JSON.parse(run(opt.membrane, ['inspect', '--json', vout]).stdout);
  eq(vinfo.host_resources.map((r) => [r.interface, r.name]),
    [['canonical_abi', 'file'], ['example:host/fs', 'dir']], 'virt: inspect lists both as host-defined');
  const stdout = join(tmp, 'stdout');
  const { openSync, closeSync } = await import('node:fs');
  const fd = openSync(stdout, 'w');
  const wasi = new WASI({ version: 'preview1', args: ['prog'], env: {}, stdout: fd, returnOnExit: true });
  const h = hostRun(vm, { wasi_snapshot_preview1: wasi.wasiImport });
  const inst = new WebAssembly.Instance(vm, h.imports);
  eq(wasi.start(inst), 0, 'virt: exit status 0');
  closeSync(fd);
  eq(readFileSync(stdout, 'utf8'), 'dropped\n', 'virt: stdout through wasi-virt');
  eq(h.log, [['file', 0], ['dir', 1], ['file', 0x7fffffff]], 'virt: the host is given back exactly its values');
}

process.stdout.write(`resources_host: ${checks} checks passed\n`);
