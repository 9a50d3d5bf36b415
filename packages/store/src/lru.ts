/**
 * Segmented LRU per slab class, as memcached 1.5+: new items enter HOT; HOT and WARM are
 * capped at a share of the class's items and drain from their tails; a tail item that was
 * read twice since it last moved (ACTIVE) goes to WARM, others go to COLD; eviction takes
 * from COLD's tail. Reads never take the class lock: they only set FETCHED, then ACTIVE, in
 * the item's META word, and the LRU acts on the bits when the item reaches a tail.
 *
 * Every function here runs under the class lock (see lock.ts).
 */
import type { Engine } from './engine.ts';
import { hashOfItem, removeItem } from './hashtable.ts';
import { ALIVE, deadReason, firstDataChunk, requestedBytes } from './items.ts';
import {
  C_HOT_PCT,
  C_NOW,
  C_WARM_PCT,
  classBase,
  H_EXPTIME,
  H_META,
  H_NEXT,
  H_PREV,
  H_TIME,
  K_EVICTED_ACTIVE,
  K_EVICTED_LO,
  K_EVICTED_NONZERO,
  K_EVICTED_TIME,
  K_EVICTED_UNFETCHED,
  K_EXPIRED_UNFETCHED,
  K_ITEMS,
  K_LRU,
  K_MOVES_TO_COLD,
  K_MOVES_TO_WARM,
  K_MOVES_WITHIN_LRU,
  K_RECLAIMED_LO,
  K_REQUESTED_LO,
  S_ACTIVE,
  S_CHAINED,
  S_FETCHED,
  S_LINKED,
  S_SEG_MASK,
  S_SEG_SHIFT,
  SEG_COLD,
  SEG_HOT,
  SEG_WARM,
} from './layout.ts';
import { tryLock, unlock } from './lock.ts';

export function segmentOf(e: Engine, ref: number): number {
  return (e.m32[ref * 2 + H_META] & S_SEG_MASK) >>> S_SEG_SHIFT;
}

export function lruCount(e: Engine, cls: number, seg: number): number {
  return e.ctl[classBase(cls) + K_LRU + seg * 3 + 2];
}

export function lruTail(e: Engine, cls: number, seg: number): number {
  return e.ctl[classBase(cls) + K_LRU + seg * 3 + 1];
}

export function lruHead(e: Engine, cls: number, seg: number): number {
  return e.ctl[classBase(cls) + K_LRU + seg * 3];
}

export function linkHead(e: Engine, cls: number, seg: number, ref: number): void {
  const ctl = e.ctl;
  const m32 = e.m32;
  const l = classBase(cls) + K_LRU + seg * 3;
  const w = ref * 2;
  const head = ctl[l];
  m32[w + H_PREV] = 0;
  m32[w + H_NEXT] = head;
  if (head !== 0) m32[head * 2 + H_PREV] = ref;
  else ctl[l + 1] = ref;
  ctl[l] = ref;
  ctl[l + 2]++;
  const meta = m32[w + H_META];
  if ((meta & S_SEG_MASK) !== seg << S_SEG_SHIFT) {
    Atomics.and(m32, w + H_META, ~S_SEG_MASK);
    if (seg !== 0) Atomics.or(m32, w + H_META, seg << S_SEG_SHIFT);
  }
}

export function unlinkFromSegment(e: Engine, cls: number, ref: number): void {
  const ctl = e.ctl;
  const m32 = e.m32;
  const w = ref * 2;
  const l = classBase(cls) + K_LRU + segmentOf(e, ref) * 3;
  const prev = m32[w + H_PREV];
  const next = m32[w + H_NEXT];
  if (prev !== 0) m32[prev * 2 + H_NEXT] = next;
  else ctl[l] = next;
  if (next !== 0) m32[next * 2 + H_PREV] = prev;
  else ctl[l + 1] = prev;
  m32[w + H_PREV] = 0;
  m32[w + H_NEXT] = 0;
  ctl[l + 2]--;
}

function moveTo(e: Engine, cls: number, ref: number, seg: number): void {
  unlinkFromSegment(e, cls, ref);
  Atomics.and(e.m32, ref * 2 + H_META, ~S_ACTIVE);
  linkHead(e, cls, seg, ref);
}

/** Moves a few tail items so HOT and WARM stay within their shares. Bounded work. */
export function balance(e: Engine, cls: number, budget: number): void {
  const ctl = e.ctl;
  const k = classBase(cls);
  const total = ctl[k + K_ITEMS];
  const hotMax = Math.floor((total * ctl[C_HOT_PCT]) / 100);
  const warmMax = Math.floor((total * ctl[C_WARM_PCT]) / 100);
  while (budget-- > 0) {
    if (ctl[k + K_LRU + SEG_HOT * 3 + 2] > hotMax && ctl[k + K_LRU + SEG_HOT * 3 + 2] > 1) {
      const t = ctl[k + K_LRU + SEG_HOT * 3 + 1];
      const active = (e.m32[t * 2 + H_META] & S_ACTIVE) !== 0;
      moveTo(e, cls, t, active ? SEG_WARM : SEG_COLD);
      ctl[k + (active ? K_MOVES_TO_WARM : K_MOVES_TO_COLD)]++;
    } else if (ctl[k + K_LRU + SEG_WARM * 3 + 2] > warmMax) {
      const t = ctl[k + K_LRU + SEG_WARM * 3 + 1];
      const active = (e.m32[t * 2 + H_META] & S_ACTIVE) !== 0;
      moveTo(e, cls, t, active ? SEG_WARM : SEG_COLD);
      ctl[k + (active ? K_MOVES_WITHIN_LRU : K_MOVES_TO_COLD)]++;
    } else {
      return;
    }
  }
}

const SEARCH_DEPTH = 5; // memcached's lru_pull_tail looks at 5 items per call

/**
 * Frees one item from the tails of this class's LRU (COLD first, then WARM, then HOT) and
 * returns its chunk for reuse, or 0. Expired items are reclaimed before anything live is
 * evicted; an ACTIVE item gets a second chance in WARM. Items whose stripe lock is busy are
 * skipped (tryLock: this runs under the class lock). A chained victim's data chunks are left
 * in e.pendingChain for the caller to free after it drops the class lock.
 */
export function pullTail(e: Engine, cls: number, evict: boolean): number {
  const k = classBase(cls);
  const ctl = e.ctl;
  const m32 = e.m32;
  for (let seg = SEG_COLD; seg >= SEG_HOT; seg--) {
    let cur = ctl[k + K_LRU + seg * 3 + 1];
    let tries = SEARCH_DEPTH;
    while (cur !== 0 && tries-- > 0) {
      const prev = m32[cur * 2 + H_PREV];
      if (deadReason(e, cur) === ALIVE) {
        if ((m32[cur * 2 + H_META] & S_ACTIVE) !== 0) {
          moveTo(e, cls, cur, SEG_WARM);
          ctl[k + K_MOVES_TO_WARM]++;
          cur = prev;
          continue;
        }
        if (!evict) {
          cur = prev;
          continue;
        }
      }
      const hash = hashOfItem(e, cur);
      const stripe = e.stripeIndex(hash);
      if (!tryLock(ctl, stripe, e.owner)) {
        cur = prev;
        continue;
      }
      try {
        // Re-read under the item lock: a touch may have revived it.
        const reason = deadReason(e, cur);
        if (reason === ALIVE && !evict) {
          cur = prev;
          continue;
        }
        const w = cur * 2;
        const meta = m32[w + H_META];
        if (reason !== ALIVE) {
          addTwo(ctl, k + K_RECLAIMED_LO, 1);
          if ((meta & S_FETCHED) === 0) ctl[k + K_EXPIRED_UNFETCHED]++;
        } else {
          addTwo(ctl, k + K_EVICTED_LO, 1);
          ctl[k + K_EVICTED_TIME] = ctl[C_NOW] - m32[w + H_TIME];
          if (m32[w + H_EXPTIME] !== 0) ctl[k + K_EVICTED_NONZERO]++;
          if ((meta & S_FETCHED) === 0) ctl[k + K_EVICTED_UNFETCHED]++;
          if ((meta & S_ACTIVE) !== 0) ctl[k + K_EVICTED_ACTIVE]++;
        }
        addTwo(ctl, k + K_REQUESTED_LO, -requestedBytes(e, cur));
        removeItem(e, cur, hash);
        unlinkFromSegment(e, cls, cur);
        ctl[k + K_ITEMS]--;
        if ((meta & S_CHAINED) !== 0) e.pendingChain = firstDataChunk(e, cur);
        Atomics.and(m32, w + H_META, ~(S_LINKED | S_ACTIVE | S_FETCHED | S_CHAINED | S_SEG_MASK));
        return cur;
      } finally {
        unlock(ctl, stripe);
      }
    }
  }
  return 0;
}

/** Adds to a counter kept as two words (low, high) under a lock. */
export function addTwo(ctl: Int32Array, at: number, n: number): void {
  const lo = (ctl[at] >>> 0) + n;
  if (lo >= 4294967296) {
    ctl[at] = lo - 4294967296;
    ctl[at + 1]++;
  } else if (lo < 0) {
    ctl[at] = lo + 4294967296;
    ctl[at + 1]--;
  } else {
    ctl[at] = lo;
  }
}

export function readTwo(ctl: Int32Array, at: number): number {
  return (ctl[at + 1] >>> 0) * 4294967296 + (ctl[at] >>> 0);
}
