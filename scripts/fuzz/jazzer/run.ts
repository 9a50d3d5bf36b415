/**
 * Coverage-guided fuzzing of the server's request path (text, meta and binary parsers and the
 * commands behind them) with jazzer.js (libFuzzer driving instrumented JavaScript).
 *
 *   node_modules/.bin/node scripts/fuzz/jazzer/run.ts [--seconds 600] [--runs N] [--seed N]
 *     [--corpus DIR] [--findings DIR]
 *
 * Builds the packages first (jazzer instruments the built dist code), seeds the corpus
 * (seeds.ts), and stops at the first finding, the run count or the time limit. Prints one
 * report line: executions, coverage, crashes, hangs. Exits 1 on a finding, whose input is in
 * the findings folder: turn it into a regression input in test/fixtures/jazzer/.
 * The corpus is kept between runs (default node_modules/.cache/slabcache-jazzer/corpus).
 * SLABCACHE_JAZZER_LOG=1 shows libFuzzer's own progress (jazzer reads JAZZER_* as options).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jazzerEnvironment } from './glibc-compat.ts';
import { dictionary, seedInputs } from './seeds.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const cache = join(root, 'node_modules', '.cache', 'slabcache-jazzer');

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const seconds = Number(option('seconds', '600'));
const runs = Number(option('runs', '-1'));
const seed = Number(option('seed', String(Date.now() % 2 ** 31)));
const corpus = resolve(option('corpus', join(cache, 'corpus')));
const findings = resolve(option('findings', join(cache, 'findings')));
if (!(seconds > 0) || !Number.isInteger(runs) || !Number.isInteger(seed)) {
  console.error(
    'usage: run.ts [--seconds S>0] [--runs N] [--seed N] [--corpus DIR] [--findings DIR]',
  );
  process.exit(2);
}

// jazzer instruments the JavaScript that runs, so the dist code must be current.
execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-b'], { cwd: root, stdio: 'inherit' });

mkdirSync(cache, { recursive: true });
mkdirSync(corpus, { recursive: true });
mkdirSync(findings, { recursive: true });
for (const [i, input] of seedInputs().entries()) writeFileSync(join(corpus, `seed-${i}`), input);
const dict = join(cache, 'memcached.dict');
writeFileSync(dict, dictionary());
const findingsBefore = new Set(readdirSync(findings));

const cli = join(
  dirname(fileURLToPath(import.meta.resolve('@jazzer.js/core/package.json'))),
  'dist',
  'cli.js',
);
const args = [
  cli,
  join(here, 'target.mjs'),
  corpus,
  // Only our packages' code is instrumented (and the harness's test scaffolding is not).
  '--includes',
  '/packages/',
  '--excludes',
  'node_modules',
  '--timeout',
  '10000',
  '--',
  `-max_total_time=${seconds}`,
  `-runs=${runs}`,
  `-seed=${seed}`,
  `-dict=${dict}`,
  `-artifact_prefix=${findings}/`,
  '-rss_limit_mb=4096',
  '-print_final_stats=1',
];
// Through `env -u NODE_OPTIONS`: a module preloaded that way (a test runner's process hooks)
// may catch SIGALRM, and libFuzzer then cannot install its hang watchdog on that signal; the
// first tick would end the run.
const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, ...args], {
  cwd: root,
  env: { ...process.env, ...jazzerEnvironment(root) },
  stdio: ['ignore', 'inherit', 'pipe'],
});
let tail = '';
let coverage = '';
child.stderr.on('data', (chunk: Buffer) => {
  const s = chunk.toString();
  if (process.env.SLABCACHE_JAZZER_LOG) process.stderr.write(s);
  tail = (tail + s).slice(-64 * 1024);
  const cov = [...s.matchAll(/cov: (\d+) ft: (\d+) corp: (\d+)/g)].pop();
  if (cov) coverage = `coverage ${cov[1]} edges, ${cov[2]} features, corpus ${cov[3]} inputs`;
});
const started = Date.now();
const [code, signal] = await new Promise<[number | null, string | null]>((done) =>
  child.on('close', (c, s) => done([c, s])),
);
const elapsed = ((Date.now() - started) / 1000).toFixed(0);

// libFuzzer's own "#N DONE" status line (printed before its final statistics, which jazzer's
// asynchronous mode may cut short when it exits).
const done = /#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/.exec(tail);
if (done) coverage = `coverage ${done[2]} edges, ${done[3]} features, corpus ${done[4]} inputs`;
const found = readdirSync(findings).filter((f) => !findingsBefore.has(f));
const crashes = found.filter((f) => /^(crash|oom|leak)-/.test(f));
const hangs = found.filter((f) => f.startsWith('timeout-'));
console.log(
  `jazzer: seed ${seed}, ${done ? `${done[1]} executions in ${elapsed} s` : 'no executions reported'}, ` +
    `${coverage || 'no coverage reported'}, crashes ${crashes.length}, hangs ${hangs.length}`,
);
if (code !== 0 || done === null || found.length > 0) {
  console.log(tail.split('\n').slice(-40).join('\n'));
  console.log(`jazzer exited with ${signal ?? `code ${code}`}`);
  for (const f of found) console.log(`finding: ${join(findings, f)}`);
  process.exit(1);
}
