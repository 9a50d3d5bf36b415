/**
 * Memory cap: a 64 MiB store fed 1 GiB of mixed-size values keeps only what fits, and the
 * process's resident memory grows by about the cap, not by what was written. The filling runs
 * in a child process (helpers/memory-fill.ts) so other tests' memory cannot blur its RSS.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { MiB, type StoreStats } from '../src/index.ts';

const LIMIT_MIB = 64;
const TOTAL_MIB = 1024;
/**
 * RSS allowed over the baseline besides item memory and the hash table: 16 MiB. The child
 * allocates next to nothing per write, so its V8 heap stays flat; what remains is process noise: V8
 * growing a heap page or two and its young generation, JIT code for the paths the fill runs,
 * the 1 MiB read buffer, malloc arenas. Observed growth is 53-59 MiB, under the cap itself
 * (chunks never carved are never touched), so the bound (about 80 MiB) leaves 20+ MiB of room
 * for that noise, while a leak of 3% of the 1 GiB written (1 KiB a write) would fail.
 */
const SLACK = 16 * MiB;

interface FillResult {
  limit: number;
  written: number;
  writes: number;
  notStored: number;
  fillMs: number;
  present: number;
  corrupt: number;
  recentOk: number;
  recentBytes: number;
  checkOk: boolean;
  checkErrors: string[];
  stats: StoreStats;
  rss: { baseline: number; afterCreate: number; afterFill: number; afterGc: number; peak: number };
}

const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

t.test('a 64 MiB store fed 1 GiB keeps to its cap', { timeout: 60_000 }, async (t) => {
  const child = fileURLToPath(new URL('./helpers/memory-fill.ts', import.meta.url));
  // The child runs without tap's coverage collection: it slows the fill several times over,
  // and the child's memory figures are what this test is about, not its coverage.
  const childEnv = { ...process.env };
  delete childEnv.NODE_V8_COVERAGE;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', child, String(LIMIT_MIB), String(TOTAL_MIB)],
    { maxBuffer: 1024 * 1024, timeout: 50_000, env: childEnv },
  );
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as FillResult;
  const s = r.stats;
  const limit = LIMIT_MIB * MiB;

  t.ok(r.written >= TOTAL_MIB * MiB, `wrote ${mib(r.written)} in ${r.writes} values`);
  t.ok(s.total_malloced <= limit, `total_malloced ${mib(s.total_malloced)} <= limit`);
  t.ok(s.bytes <= limit, `bytes ${mib(s.bytes)} <= limit`);
  t.equal(s.limit_maxbytes, limit, 'limit_maxbytes is the limit');
  t.ok(s.evictions > 0, `evicted ${s.evictions} items to make room`);
  t.ok(r.present < r.writes - r.notStored, `kept ${r.present} of ${r.writes} values`);
  t.equal(r.present, s.curr_items, 'every item the store counts is readable');
  t.equal(r.corrupt, 0, 'no value read back differs from what was written');
  t.ok(
    r.recentOk >= 100,
    `the newest ${r.recentOk} stored values (${mib(r.recentBytes)}) are all readable and intact`,
  );
  t.ok(r.notStored < r.writes / 100, `under 1% of writes failed (${r.notStored})`);
  t.ok(r.checkOk, 'store.check() passes', { errors: r.checkErrors });

  // Reserving the store commits nothing: shared memory is zero-filled lazily by the OS.
  const reserve = r.rss.afterCreate - r.rss.baseline;
  t.ok(reserve < 8 * MiB, `creating the store added ${mib(reserve)} of RSS`);

  // The table's whole range is reserved up front too; only buckets in use are touched.
  const allowed = limit + s.hash_bytes + SLACK;
  const growth = r.rss.peak - r.rss.baseline;
  t.ok(
    growth <= allowed,
    `peak RSS grew ${mib(growth)} over a ${mib(r.rss.baseline)} baseline; allowed ` +
      `${mib(allowed)} (limit + ${mib(s.hash_bytes)} hash table + ${mib(SLACK)} slack)`,
  );
  // And the measurement does see the store: the pages it filled are resident.
  t.ok(growth >= limit / 2, 'RSS grew by at least half the cap, so it measures the store');
  t.ok(
    r.rss.afterGc - r.rss.baseline <= allowed,
    `RSS after the fill and a GC: ${mib(r.rss.afterGc - r.rss.baseline)} over the baseline`,
  );
  t.comment(
    `fill ${r.fillMs} ms; RSS baseline ${mib(r.rss.baseline)}, after create ` +
      `${mib(r.rss.afterCreate)}, after fill ${mib(r.rss.afterFill)}, peak ${mib(r.rss.peak)}, ` +
      `after gc ${mib(r.rss.afterGc)}; items ${s.curr_items}, evictions ${s.evictions}, ` +
      `bytes ${mib(s.bytes)}, pages ${s.total_pages}/${s.max_pages}, not stored ${r.notStored}`,
  );
});
