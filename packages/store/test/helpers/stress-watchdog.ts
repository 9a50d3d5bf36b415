/**
 * Watchdog thread of the stress test. A deadlocked store blocks the main thread inside
 * lock() (it waits on stripe and class locks like any thread), so a timer on the main thread
 * would never fire and the run would hang. This thread watches progress counters that the
 * main thread and the workers bump; when one stops moving it prints the locks that are held
 * (straight to fd 2: the main thread relays nothing any more) and kills the process, which
 * fails the test.
 */
import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { doneSlot, heldLocks, MAIN_BEAT } from './stress-locks.ts';

export interface WatchdogData {
  control: SharedArrayBuffer;
  stripes: number;
  largestClass: number;
  /** Int32 counters: [0] main thread heartbeat, [1..n] worker ops (-1 once a worker is done),
   * [n + 1] set to 1 when the test is over. */
  progress: SharedArrayBuffer;
  workers: number;
  stallMs: number;
}

const d = workerData as WatchdogData;
const progress = new Int32Array(d.progress);
const done = doneSlot(d.workers);
const last = Array.from({ length: d.workers + 1 }, (_, i) => Atomics.load(progress, i));
const since = last.map(() => Date.now());

while (Atomics.load(progress, done) === 0) {
  Atomics.wait(progress, done, 0, 250);
  const now = Date.now();
  for (let i = 0; i <= d.workers; i++) {
    const v = Atomics.load(progress, i);
    if (v !== last[i] || (v <= 0 && i !== MAIN_BEAT)) {
      // (a worker at 0 has not started; at -1 it is done)
      last[i] = v;
      since[i] = now;
    } else if (now - since[i] > d.stallMs && Atomics.load(progress, done) === 0) {
      // Held locks sampled twice: a lock that stays held with the same owner is the culprit.
      const first = heldLocks(d.control, d.stripes, d.largestClass);
      Atomics.wait(progress, done, 0, 100);
      const second = new Set(heldLocks(d.control, d.stripes, d.largestClass));
      const stuck = first.filter((h) => second.has(h));
      const who = i === MAIN_BEAT ? 'the main thread' : `worker ${i}`;
      writeSync(
        2,
        `\nstress watchdog: ${who} made no progress for ${d.stallMs} ms (deadlock or endless ` +
          `loop in the store). Locks held throughout: ${stuck.join(', ') || 'none'}\n` +
          `progress counters: ${Array.from(progress).join(' ')}\n`,
      );
      process.kill(process.pid, 'SIGKILL');
    }
  }
}
