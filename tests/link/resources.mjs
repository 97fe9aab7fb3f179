// The resource ABI through `membrane link`, on Node 26: tests/link/resources/ (WIT and
// three WAT modules: lib defines `counter` and `other`, svc uses them and exports
// functions taking and returning handles, app uses both) is fused with --wit/--world,
// validated, and every rule is checked: own moves both ways, borrows (into the definer
// as the rep, into a user as a handle it must drop), dup reference counting, destroy,
// destructors exactly once, teardown at the end of _start, a table of more than 100,000
// live handles, and each trap by the message the engine shows as the trapping
// function's name.
//
// usage: node resources.mjs --membrane PATH --wat2wasm PATH --wasm-validate PATH DIR
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const opt = {};
const argv = process.argv.slice(2);
while (argv.length > 1) opt[argv.shift().replace(/^--/, '')] = argv.shift();
const dir = argv[0];
if (!opt.membrane || !opt.wat2wasm || !opt['wasm-validate'] || !dir) {
  process.stderr.write('usage: node resources.mjs --membrane P --wat2wasm P --wasm-validate P DIR\n');
  process.exit(2);
}
const tmp = mkdtempSync(join(tmpdir(), 'mb-res-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}\n${r.stderr}`);
  return r;
};
for (const m of ['lib', 'svc', 'app'])
  run(opt.wat2wasm, [join(dir, `${m}.wat`), '-o', join(tmp, `${m}.wasm`)]);
const out = join(tmp, 'out.wasm');
const link = run(opt.membrane, [
  'link', `app=${join(tmp, 'app.wasm')}`, `lib=${join(tmp, 'lib.wasm')}`,
  `svc=${join(tmp, 'svc.wasm')}`, '--wit', join(dir, 'counter.wit'),
  '--world', 'lib=example:counter/lib', '--world', 'svc=example:counter/svc',
  '--world', 'app=example:counter/app', '-o', out]);
assert.equal(link.stderr, '', 'no warnings');
run(opt['wasm-validate'], ['--enable-multi-memory', out]);

const module = new WebAssembly.Module(readFileSync(out));
assert.deepEqual(WebAssembly.Module.imports(module), [], 'the fused module imports nothing');
const fresh = () => new WebAssembly.Instance(module, {}).exports;

let checks = 0;
const traps = (name, msg, ...args) => {
  const e = fresh();
  let err = null;
  try {
    e[name](...args);
  } catch (x) {
    err = x;
  }
  assert.ok(err instanceof WebAssembly.RuntimeError, `${name}: expected a trap "${msg}", got ${err}`);
  const top = err.stack.split('\n')[1];
  assert.ok(top.includes(`at ${msg} (`), `${name}: trap "${msg}": top frame is ${top}`);
  checks++;
};
const eq = (got, want, what) => {
  assert.deepEqual(got, want, what);
  checks++;
};

// ---- the rules that do not trap, in one instance ----
{
  const e = fresh();
  eq(e.scale(3n, 1.5, 0.25), 4.75, 'a function without handles is a direct call');
  eq(e.first_handle(), 1, 'handles are small indices of the caller\'s own table');
  eq(e.basic(), 18, 'constructor result, methods (borrow), merge (own in, own out)');
  eq(e.live(), 0, 'everything basic() created was destroyed');
  eq(e.dtors(), 4, 'one destructor call per counter: first_handle\'s, and basic()\'s three (the one merge consumed too)');
  eq(e.via_svc(), 444, 'borrow lent on through a user, own moved into and out of a user');
  eq(e.live(), 0, 'svc dropped what it was given');
  eq(e.dup_refcount(), 1, 'dup: the destructor runs once, when the last owner drops');
  eq(e.destroy_then_drop(), 1, 'destroy runs the destructor now; the null handle drops quietly');
  assert.ok(e.other() > 0);
  checks++;
  eq(e.many(100001), 100001, 'more than 100,000 live handles in one table');
  eq(e.live(), 0, 'all of them dropped');
  const before = e.dtors();
  e.basic();
  eq(e.dtors() - before, 3, 'the table is usable after growing');
}

// ---- teardown at the end of the command entry ----
{
  const e = fresh();
  const d0 = e.dtors();
  e._start();
  eq(e.dtors() - d0, 3, "teardown after _start runs the destructors of app's leftovers (one dup'd)");
  eq(e.live(), 0, 'nothing leaks when a client goes away');
}

// ---- traps, each in a fresh instance ----
traps('double_drop', 'membrane: use of dropped handle');
traps('use_after_drop', 'membrane: use of dropped handle');
traps('move_after_drop', 'membrane: use of dropped handle');
traps('never_issued', 'membrane: unknown handle');
traps('wrong_type', 'membrane: handle of wrong resource type');
traps('wrong_type_drop', 'membrane: handle of wrong resource type');
traps('borrow_kept', 'membrane: borrow outlived its call');
traps('move_lent', 'membrane: lent handle dropped or moved');
traps('use_after_destroy', 'membrane: use of destroyed resource');
traps('dup_after_destroy', 'membrane: use of destroyed resource');

console.log(`resources: ${checks} checks passed`);
