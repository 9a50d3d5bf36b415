/**
 * Coverage-guided fuzzing (scripts/fuzz/jazzer): the seed inputs and every saved finding
 * replay cleanly through the request-path harness, and a short jazzer run (fixed seed) grows
 * coverage past the seeds and finds no crash or hang. The long run is
 * `node_modules/.bin/node scripts/fuzz/jazzer/run.ts --seconds 600`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { needsCompat, weakenVersionNeeds } from '../scripts/fuzz/jazzer/glibc-compat.ts';
import { createHarness } from '../scripts/fuzz/jazzer/harness.ts';
import { dictionary, seedInputs } from '../scripts/fuzz/jazzer/seeds.ts';

const root = join(import.meta.dirname, '..');
const regressions = join(import.meta.dirname, 'fixtures', 'jazzer');

t.test('seeds and saved findings replay through the harness; the store stays sound', (t) => {
  const harness = createHarness();
  const inputs = seedInputs();
  if (existsSync(regressions)) {
    for (const f of readdirSync(regressions)) inputs.push(readFileSync(join(regressions, f)));
  }
  for (const input of inputs) t.doesNotThrow(() => harness.run(input));
  t.doesNotThrow(() => harness.check());
  // The seeds reach real replies (values, stats, binary responses), not only errors.
  t.ok(harness.repliedBytes > 10_000, `replied ${harness.repliedBytes} bytes`);
  t.end();
});

t.test('the dictionary is libFuzzer syntax: one quoted entry per line', (t) => {
  const lines = dictionary().trimEnd().split('\n');
  t.ok(lines.length > 50);
  for (const line of lines) t.match(line, /^"([\x20-\x21\x23-\x5b\x5d-\x7e]|\\x[0-9a-f]{2})+"$/);
  t.end();
});

t.test('the glibc adapter weakens only the version needs it is given, once', (t) => {
  const self = readFileSync(process.execPath);
  const copy = Buffer.from(self);
  t.same(weakenVersionNeeds(copy), { needs: 0, symbols: 0 }, 'node needs no glibc 2.38');
  t.ok(copy.equals(self), 'and is left byte for byte as it was');
  // Node's binary needs GLIBCXX_3.4.21 (libstdc++ of GCC 5) for some of its symbols.
  const first = weakenVersionNeeds(copy, new Set(['GLIBCXX_3.4.21']));
  t.equal(first.needs, 1, 'the one version need is made weak');
  t.ok(first.symbols > 0, `${first.symbols} symbols unversioned`);
  t.notOk(copy.equals(self));
  t.same(
    weakenVersionNeeds(copy, new Set(['GLIBCXX_3.4.21'])),
    { needs: 0, symbols: 0 },
    'idempotent',
  );
  t.throws(() => weakenVersionNeeds(Buffer.from('not an elf file at all, just text here....')), {
    message: /not a little-endian 64-bit ELF file/,
  });
  t.end();
});

t.test('a short jazzer run grows coverage and finds nothing', (t) => {
  const work = mkdtempSync(join(tmpdir(), 'slabcache-jazzer-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  // A plain environment: none of tap's NODE_OPTIONS hooks or V8 coverage (the child runs the
  // built dist code under jazzer's own instrumentation, not the sources tap counts).
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() };
  const r = spawnSync(
    process.execPath,
    [
      'scripts/fuzz/jazzer/run.ts',
      ...['--runs', '15000', '--seconds', '60', '--seed', '20261127'],
      ...['--corpus', join(work, 'corpus'), '--findings', join(work, 'findings')],
    ],
    { cwd: root, env, timeout: 110_000, encoding: 'utf8' },
  );
  t.equal(r.status, 0, r.stdout + r.stderr);
  const m =
    /jazzer: seed \d+, (\d+) executions .* coverage (\d+) edges.* crashes (\d+), hangs (\d+)/.exec(
      r.stdout,
    );
  t.ok(m, r.stdout);
  if (m === null) return t.end();
  t.equal(Number(m[1]), 15000, 'every requested execution ran');
  // The seeds alone reach 1,385 edges of the instrumented packages; mutation must add.
  t.ok(Number(m[2]) > 1450, `coverage ${m[2]} edges`);
  t.equal(Number(m[3]), 0, 'crashes');
  t.equal(Number(m[4]), 0, 'hangs');
  t.equal(readdirSync(join(work, 'findings')).length, 0);
  if (needsCompat()) t.comment('ran the prebuilt addon through the glibc < 2.38 adapter');
  t.end();
});
