/**
 * Mutexes in shared memory: one Int32 word each, 0 when free, else the owner's id shifted
 * left by one with bit 0 set once some thread waits (Drepper's three-state futex mutex with the
 * owner recorded, so a lock left by a dead thread can be found).
 *
 * Lock order (take them top to bottom, never upward; the only exception is a tryLock):
 *
 *   lock             guards                                        taken while holding
 *   split lock       growing the hash table (one bucket at a time)  nothing
 *   stripe lock      hash chains of its buckets, item contents      split lock, or nothing
 *                    (value, flags, exptime, CAS, TIME)
 *   class lock       free list, carving, LRU lists, class stats     one stripe lock, or nothing
 *   pages lock       the page counter and page-owner table          one class lock
 *
 * Holding a class lock, a thread may need an item's stripe lock (eviction, crawling): that
 * would invert the order, so it only ever uses tryLock there and skips the item on failure,
 * as memcached's lru_pull_tail does with item_trylock. No thread holds two stripe locks or
 * two class locks at once.
 */

import type { Engine } from './engine.ts';
import {
  C_FLUSH_LOCK,
  C_PAGES_LOCK,
  C_SPLIT_LOCK,
  classBase,
  K_LOCK,
  STRIPES_BASE,
} from './layout.ts';

const WAITERS = 1;
const SPINS = 100;

export function tryLock(words: Int32Array, index: number, owner: number): boolean {
  return Atomics.compareExchange(words, index, 0, owner) === 0;
}

export function lock(words: Int32Array, index: number, owner: number): void {
  if (Atomics.compareExchange(words, index, 0, owner) !== 0) lockSlow(words, index, owner);
}

function lockSlow(words: Int32Array, index: number, owner: number): void {
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(words, index) === 0 && Atomics.compareExchange(words, index, 0, owner) === 0) {
      return;
    }
  }
  for (;;) {
    const seen = Atomics.load(words, index);
    if (seen === 0) {
      // Take it marked as waited-on: we cannot know whether others still sleep on it.
      if (Atomics.compareExchange(words, index, 0, owner | WAITERS) === 0) return;
      continue;
    }
    if (
      (seen & WAITERS) === 0 &&
      Atomics.compareExchange(words, index, seen, seen | WAITERS) !== seen
    ) {
      continue;
    }
    Atomics.wait(words, index, seen | WAITERS, 50);
  }
}

export function unlock(words: Int32Array, index: number): void {
  if ((Atomics.exchange(words, index, 0) & WAITERS) !== 0) Atomics.notify(words, index, 1);
}

/** The owner id a thread uses in lock words: never 0, bit 0 clear. */
export function ownerId(threadId: number): number {
  return ((threadId + 1) & 0x3fffffff) << 1;
}

/** The thread id recorded in a lock word, or -1 when free. */
export function lockOwner(words: Int32Array, index: number): number {
  const v = Atomics.load(words, index);
  return v === 0 ? -1 : (v >>> 1) - 1;
}

/** Every lock word of a store, for recovery and self-checks: stripes, classes, the rest. */
export function lockWords(e: Engine): number[] {
  const s = e.settings;
  const words = [C_SPLIT_LOCK, C_PAGES_LOCK, C_FLUSH_LOCK];
  for (let id = 1; id <= s.largestClass; id++) words.push(classBase(id) + K_LOCK);
  for (let i = 0; i < s.stripes; i++) words.push(STRIPES_BASE + i);
  return words;
}

/** Frees the locks `threadId` holds and wakes their waiters; returns how many it freed. */
export function recoverLocks(e: Engine, threadId: number): number {
  const owner = ownerId(threadId);
  let n = 0;
  for (const w of lockWords(e)) {
    const v = Atomics.load(e.ctl, w);
    if (v !== 0 && (v & ~WAITERS) === owner && Atomics.compareExchange(e.ctl, w, v, 0) === v) {
      Atomics.notify(e.ctl, w);
      n++;
    }
  }
  return n;
}
