/**
 * Concurrency stress: several worker threads hammer one store with random mixed operations on
 * overlapping keys while the main thread crawls, advances the clock and flushes. The store is
 * small so eviction runs all the time, some values are chained, and the hash table starts
 * small so it grows during the run. Every value read is verified (helpers/stress-values.ts);
 * afterwards the structural self-check must pass.
 */
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { type ItemView, KiB, MiB, Read, Store } from '../src/index.ts';
import { doneSlot, heldLocks, MAIN_BEAT } from './helpers/stress-locks.ts';
import {
  KEY_APPEND,
  KEY_COUNTER,
  KEY_PLAIN,
  KEY_PRIVATE,
  keyName,
  verifyValue,
} from './helpers/stress-values.ts';
import type { WatchdogData } from './helpers/stress-watchdog.ts';
import type { StressReport, StressWorkerData } from './helpers/stress-worker.ts';

// STRESS_WORKERS and STRESS_MS make a longer soak: STRESS_MS=60000 node stress.test.ts
const WORKERS = Number(process.env.STRESS_WORKERS ?? 4);
const RUN_MS = Number(process.env.STRESS_MS ?? 7000);
const MAX_OPS = Number(process.env.STRESS_MAX_OPS ?? 400_000);
const PRIME_OPS = Math.ceil(16_000 / WORKERS); // 16k small items in all: enough to outgrow 4096 buckets
const N_PLAIN = 24_000;
const N_APPEND = 600;
const N_COUNTER = 64;
const N_PRIVATE = 256; // per worker, few enough that a worker revisits each before eviction
const T0 = 1_700_000_000;
const TICK_MS = 200; // the store's clock advances a second every TICK_MS, so TTLs run out
const FIRST_FLUSH_MS = 3000; // after the priming adds, so the table has grown by then
const FLUSH_EVERY_MS = 2000;
const CRAWL_EVERY_MS = 2; // the crawler takes 8 pages (of 128) this often
/** If the workers are not done by then, something is stuck (though still moving). */
const WATCHDOG_MS = RUN_MS + 20_000;
/** A thread that makes no progress for this long is deadlocked: the watchdog kills the run. */
const STALL_MS = 15_000;

// Room for a long soak run; the watchdog below fails a stuck run well before this.
t.setTimeout(WATCHDOG_MS + 60_000);

t.test('worker threads hammer one store on overlapping keys', async (t) => {
  const store = Store.create({
    memoryLimit: 8 * MiB,
    pageSize: 64 * KiB,
    slabChunkMax: 16 * KiB,
    itemSizeMax: 256 * KiB,
    hashPower: 12,
    startTime: T0,
  });
  const bucketsBefore = store.stats().hash_buckets;
  const go = new SharedArrayBuffer(4);
  const progressBuf = new SharedArrayBuffer(4 * (WORKERS + 2));
  const progress = new Int32Array(progressBuf);
  const beat = () => Atomics.add(progress, MAIN_BEAT, 1);
  const watchdogData: WatchdogData = {
    control: store.shared.control,
    stripes: store.settings.stripes,
    largestClass: store.settings.largestClass,
    progress: progressBuf,
    workers: WORKERS,
    stallMs: STALL_MS,
  };
  const watchdog = new Worker(new URL('./helpers/stress-watchdog.ts', import.meta.url), {
    workerData: watchdogData,
  });
  watchdog.unref();
  t.teardown(() => {
    Atomics.store(progress, doneSlot(WORKERS), 1);
    Atomics.notify(progress, doneSlot(WORKERS));
  });
  const reports: StressReport[] = [];
  const failures: string[] = [];
  let ready = 0;

  const workers: Worker[] = [];
  const finished: Promise<void>[] = [];
  for (let w = 1; w <= WORKERS; w++) {
    const workerData: StressWorkerData = {
      shared: store.shared,
      threadId: w,
      workers: WORKERS,
      seed: 0x9e3779b9 * w,
      maxOps: MAX_OPS,
      primeOps: PRIME_OPS,
      runMs: RUN_MS,
      nPlain: N_PLAIN,
      nAppend: N_APPEND,
      nCounter: N_COUNTER,
      nPrivate: N_PRIVATE,
      go,
      progress: progressBuf,
    };
    const worker = new Worker(new URL('./helpers/stress-worker.ts', import.meta.url), {
      workerData,
    });
    workers.push(worker);
    finished.push(
      new Promise<void>((resolve) => {
        let done = false;
        worker.on('message', (m: { type: string; report?: StressReport }) => {
          if (m.type === 'ready') {
            if (++ready === WORKERS) {
              Atomics.store(new Int32Array(go), 0, 1);
              Atomics.notify(new Int32Array(go), 0);
            }
          } else if (m.type === 'done' && m.report) {
            reports.push(m.report);
            done = true;
          }
        });
        worker.on('error', (err) => failures.push(`worker ${w} died: ${err.stack ?? err}`));
        worker.on('exit', (code) => {
          if (!done) failures.push(`worker ${w} exited (code ${code}) without a report`);
          resolve();
        });
      }),
    );
  }

  // The main thread's part while the workers run: crawl, tick the clock, flush now and then,
  // and watch the counters. It waits on stripe and class locks like any other thread.
  let running = WORKERS;
  for (const f of finished) f.then(() => running--);
  const start = Date.now();
  let goAt = 0; // when the workers were let go: the schedule below counts from there
  let crawlSteps = 0;
  let crawlReclaimed = 0;
  let flushes = 0;
  let tick = 0;
  let nextTick = 0;
  let nextFlush = 0;
  let maxItems = 0;
  let nextSample = 0;
  let nextCrawl = 0;
  let stuck = false;
  while (running > 0) {
    beat();
    const now = Date.now();
    if (ready === WORKERS) {
      if (goAt === 0) {
        goAt = now;
        nextTick = now + TICK_MS;
        nextFlush = now + FIRST_FLUSH_MS;
      }
      if (now >= nextCrawl) {
        crawlReclaimed += store.crawl(8);
        crawlSteps += 8;
        nextCrawl = now + CRAWL_EVERY_MS;
      }
      if (now >= nextTick) {
        store.setTime(T0 + ++tick);
        nextTick += TICK_MS;
      }
      // The first flush waits until the table has begun to grow (or the run is nearly over),
      // so a slow, loaded machine still sees the growth happen under load.
      const mayFlush = () =>
        flushes > 0 || store.stats().hash_buckets > bucketsBefore || now - goAt > RUN_MS * 0.8;
      if (now >= nextFlush && mayFlush()) {
        store.flushAll();
        flushes++;
        nextFlush += FLUSH_EVERY_MS;
      }
      if (now >= nextSample) {
        maxItems = Math.max(maxItems, store.stats().curr_items);
        nextSample = now + 100;
      }
    }
    if (now - start > WATCHDOG_MS) {
      stuck = true;
      break;
    }
    await new Promise((r) => setImmediate(r));
  }
  if (stuck) {
    const held = heldLocks(
      store.shared.control,
      store.settings.stripes,
      store.settings.largestClass,
    );
    for (const w of workers) await w.terminate();
    t.fail(`workers did not finish in ${WATCHDOG_MS} ms (deadlock?)`, { held });
    return;
  }
  await Promise.all(finished);
  const elapsed = Date.now() - goAt;

  t.same(failures, [], 'no worker died');
  t.equal(reports.length, WORKERS, 'every worker reported');
  const errors = reports.flatMap((r) => r.errors);
  t.same(errors, [], 'no worker saw a torn, misplaced or stale value, or a backward CAS');

  // The self-check walks every structure; only meaningful now that nobody writes.
  const report = store.check();
  t.ok(report.ok, 'store.check() passes after the run', { errors: report.errors });

  // Every item left must still be whole.
  const buf = new Uint8Array(store.settings.itemSizeMax);
  let len = 0;
  const reader = {
    onHit(item: ItemView) {
      len = item.valueLength;
      item.copyValue(buf, 0);
    },
  };
  const enc = new TextEncoder();
  let left = 0;
  const bad: string[] = [];
  const verifyAll = (kind: number, n: number, owner = 0) => {
    for (let i = 0; i < n; i++) {
      beat();
      const name = keyName(kind, i, owner);
      const key = enc.encode(name);
      if (store.get(key, 0, key.length, reader) !== Read.HIT) continue;
      left++;
      const why = verifyValue(kind, key, buf, len);
      if (why !== null && bad.length < 20) bad.push(`${name}: ${why}`);
    }
  };
  verifyAll(KEY_PLAIN, N_PLAIN);
  verifyAll(KEY_APPEND, N_APPEND);
  verifyAll(KEY_COUNTER, N_COUNTER);
  for (let w = 1; w <= WORKERS; w++) verifyAll(KEY_PRIVATE, N_PRIVATE, w);
  t.same(bad, [], `all ${left} items left verify`);
  t.ok(store.check().ok, 'store.check() still passes after the reads');

  const stats = store.stats();
  const total = (name: string) => reports.reduce((s, r) => s + (r.counts[name] ?? 0), 0);
  const ops = reports.map((r) => r.ops);
  t.ok(
    ops.every((n) => n > 1000),
    'every worker got real work done',
    { ops },
  );
  t.ok(stats.evictions > 0, `eviction ran concurrently (${stats.evictions} evictions)`);
  t.ok(
    stats.hash_buckets > bucketsBefore,
    `hash table grew during the run (${bucketsBefore} -> ${stats.hash_buckets} buckets, ` +
      `${stats.hash_expansions} expansions)`,
  );
  t.ok(flushes >= 1, `flushAll ran during the run (${flushes} times)`);
  t.ok(crawlSteps > 0, `crawler ran during the run (${crawlSteps} pages)`);
  // Low bars: a loaded machine (tap with coverage, other tests alongside) runs far fewer ops.
  t.ok(total('verified') > 2000, `workers verified ${total('verified')} values`);
  t.ok(total('verified_chained') > 20, `${total('verified_chained')} of them chained items`);
  t.ok(stats.total_malloced <= store.settings.memoryLimit, 'item memory stayed within the limit');

  t.comment(
    `${WORKERS} workers, ${elapsed} ms: ops ${ops.join(' / ')} (${ops.reduce((a, b) => a + b, 0)} total); ` +
      `verified ${total('verified')} reads, ${total('hit')} hits, ${total('miss')} misses, ` +
      `${total('miss_flushed')} flushed, ${total('miss_expired')} expired`,
  );
  t.comment(
    `writes: set ${total('set_STORED')} stored / ${total('set_NO_MEMORY')} no-memory; ` +
      `append ${total('append_STORED')}, prepend ${total('prepend_STORED')}, ` +
      `append too-large ${total('append_TOO_LARGE') + total('prepend_TOO_LARGE')}; ` +
      `cas ${total('cas_STORED')} stored / ${total('cas_EXISTS')} exists; ` +
      `incr/decr ok ${total('arith_0')}`,
  );
  t.comment(
    `store: evictions ${stats.evictions}, reclaimed ${stats.reclaimed}, crawler reclaimed ` +
      `${stats.crawler_reclaimed} (${crawlReclaimed} by main), lru_tail_fails ` +
      `${stats.lru_tail_fails}, hash ${bucketsBefore} -> ${stats.hash_buckets} buckets ` +
      `(${stats.hash_expansions} expansions), peak curr_items ${maxItems}, flushes ${flushes}, ` +
      `clock ticks ${tick}, crawl steps ${crawlSteps}, pages ${stats.total_pages}/${stats.max_pages}`,
  );
});
