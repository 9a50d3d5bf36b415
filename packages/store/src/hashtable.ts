/**
 * The hash index: chained buckets in shared memory, grown by linear hashing so that growth
 * never stops the world. The table's whole address range is reserved up front (the OS
 * commits it lazily) and the number of buckets in use, B = 2^n + p, lives in one word:
 * bucket of hash h is h mod 2^n, or h mod 2^(n+1) when that is below the split pointer p.
 * Growing splits one bucket at a time (bucket p into p and p + 2^n) under that bucket's
 * stripe lock, then bumps B. memcached's assoc.c grows into a new table with a background
 * thread; this needs neither the copy nor the thread.
 *
 * Why readers see a consistent B: a reader holds the stripe lock of its key, and the only
 * split that changes where its key lives is the split of its own bucket, which needs that
 * same stripe lock (stripes divide 2^n, so a bucket and its split image share a stripe).
 */

import type { Engine } from './engine.ts';
import { murmur3 } from './hash.ts';
import { keyEquals, keyOffset, nkeyOf } from './items.ts';
import { C_BUCKETS, C_CURR_ITEMS, C_EXPAND_COUNT, C_SPLIT_LOCK, H_HNEXT } from './layout.ts';
import { lock, tryLock, unlock } from './lock.ts';

export function bucketOf(e: Engine, hash: number): number {
  const b = e.ctl[C_BUCKETS];
  const low = 1 << (31 - Math.clz32(b));
  const i = hash & (low - 1);
  return i < b - low ? hash & (2 * low - 1) : i;
}

/** Finds the item with this key; sets e.foundPrev and e.foundBucket. Caller holds the stripe. */
export function find(e: Engine, hash: number, key: Uint8Array, koff: number, klen: number): number {
  const bucket = bucketOf(e, hash);
  e.foundBucket = bucket;
  let prev = 0;
  let ref = e.table[bucket];
  const m32 = e.m32;
  while (ref !== 0) {
    if (keyEquals(e, ref, key, koff, klen)) {
      e.foundPrev = prev;
      return ref;
    }
    prev = ref;
    ref = m32[ref * 2 + H_HNEXT];
  }
  e.foundPrev = 0;
  return 0;
}

/** Puts `ref` where `old` was (old found by find(); 0 = none: insert at the bucket head). */
export function replaceOrInsert(e: Engine, old: number, ref: number): void {
  const m32 = e.m32;
  if (old === 0) {
    m32[ref * 2 + H_HNEXT] = e.table[e.foundBucket];
    e.table[e.foundBucket] = ref;
    Atomics.add(e.ctl, C_CURR_ITEMS, 1);
    return;
  }
  m32[ref * 2 + H_HNEXT] = m32[old * 2 + H_HNEXT];
  if (e.foundPrev === 0) e.table[e.foundBucket] = ref;
  else m32[e.foundPrev * 2 + H_HNEXT] = ref;
}

/** Removes the item just found (e.foundPrev / e.foundBucket still describe it). */
export function removeFound(e: Engine, ref: number): void {
  const next = e.m32[ref * 2 + H_HNEXT];
  if (e.foundPrev === 0) e.table[e.foundBucket] = next;
  else e.m32[e.foundPrev * 2 + H_HNEXT] = next;
  Atomics.sub(e.ctl, C_CURR_ITEMS, 1);
}

export function hashOfItem(e: Engine, ref: number): number {
  return murmur3(e.m8, keyOffset(e, ref), nkeyOf(e, ref));
}

/** Removes an item known to be linked, by walking its bucket. Caller holds its stripe. */
export function removeItem(e: Engine, ref: number, hash: number): boolean {
  const bucket = bucketOf(e, hash);
  let prev = 0;
  let cur = e.table[bucket];
  while (cur !== 0 && cur !== ref) {
    prev = cur;
    cur = e.m32[cur * 2 + H_HNEXT];
  }
  if (cur === 0) return false;
  e.foundPrev = prev;
  e.foundBucket = bucket;
  removeFound(e, ref);
  return true;
}

/** Splits buckets while the table holds more than one item a bucket (each further item in a
 * chain is another random memory access on every lookup). Called with no lock
 * held; one thread grows at a time and the others carry on. */
export function maybeGrow(e: Engine, maxSplits: number): void {
  const ctl = e.ctl;
  if (ctl[C_CURR_ITEMS] <= ctl[C_BUCKETS]) return;
  if (ctl[C_BUCKETS] >= e.settings.maxBuckets) return;
  if (!tryLock(ctl, C_SPLIT_LOCK, e.owner)) return;
  try {
    for (let i = 0; i < maxSplits; i++) {
      const b = ctl[C_BUCKETS];
      if (b >= e.settings.maxBuckets || ctl[C_CURR_ITEMS] <= b) break;
      splitOne(e, b);
    }
  } finally {
    unlock(ctl, C_SPLIT_LOCK);
  }
}

function splitOne(e: Engine, b: number): void {
  const low = 1 << (31 - Math.clz32(b));
  const p = b - low;
  const stripe = e.stripeIndex(p);
  lock(e.ctl, stripe, e.owner);
  try {
    const m32 = e.m32;
    const table = e.table;
    const wideMask = 2 * low - 1;
    let keepTail = 0;
    let moveTail = 0;
    let ref = table[p];
    table[p] = 0;
    table[p + low] = 0;
    while (ref !== 0) {
      const next = m32[ref * 2 + H_HNEXT];
      m32[ref * 2 + H_HNEXT] = 0;
      if ((hashOfItem(e, ref) & wideMask) === p) {
        if (keepTail === 0) table[p] = ref;
        else m32[keepTail * 2 + H_HNEXT] = ref;
        keepTail = ref;
      } else {
        if (moveTail === 0) table[p + low] = ref;
        else m32[moveTail * 2 + H_HNEXT] = ref;
        moveTail = ref;
      }
      ref = next;
    }
    Atomics.store(e.ctl, C_BUCKETS, b + 1);
    if (b + 1 === 2 * low) Atomics.add(e.ctl, C_EXPAND_COUNT, 1);
  } finally {
    unlock(e.ctl, stripe);
  }
}
