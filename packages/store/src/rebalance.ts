/**
 * Moving a page from one slab class to another (memcached's `slabs reassign` and the
 * automover behind `slabs automove`), so memory follows a workload whose item sizes shift.
 * The source class gives up one page: its live items are evicted, its free chunks leave the
 * free list, and the page is re-carved as free chunks of the destination class.
 *
 * Locks: the source class lock while the page is emptied (item stripes only try-locked, as in
 * eviction), then the pages lock, then, separately, the destination class lock.
 */
import type { Engine } from './engine.ts';
import { hashOfItem, removeItem } from './hashtable.ts';
import { firstDataChunk, requestedBytes } from './items.ts';
import {
  C_PAGES_LOCK,
  chunkRef,
  classBase,
  H_HNEXT,
  H_META,
  K_CARVE_LEFT,
  K_CARVE_NEXT,
  K_EVICTED_LO,
  K_FREE_COUNT,
  K_FREE_HEAD,
  K_ITEMS,
  K_LOCK,
  K_PAGES,
  K_PER_PAGE,
  K_REQUESTED_LO,
  K_SIZE,
  K_USED,
  REF_UNIT,
  S_CHAINED,
  S_DATA,
  S_FREE,
  S_LINKED,
} from './layout.ts';
import { lock, tryLock, unlock } from './lock.ts';
import { addTwo, unlinkFromSegment } from './lru.ts';
import { freeChain } from './slabs.ts';

/** Outcomes, named after memcached's replies to `slabs reassign`. */
export const Reassign = { OK: 0, BUSY: 1, BADCLASS: 2, NOSPARE: 3, SAME: 4 } as const;
export type ReassignResult = (typeof Reassign)[keyof typeof Reassign];

export function reassignPage(e: Engine, src: number, dst: number): ReassignResult {
  if (src === dst) return Reassign.SAME;
  if (src === -1) src = pickSource(e, dst);
  if (src < 1 || src > e.largest || dst < 1 || dst > e.largest) return Reassign.BADCLASS;
  const ctl = e.ctl;
  const ks = classBase(src);
  const chains: number[] = [];
  let page = -1;
  lock(ctl, ks + K_LOCK, e.owner);
  try {
    if (ctl[ks + K_PAGES] < 2) return Reassign.NOSPARE;
    page = choosePage(e, src);
    if (page < 0) return Reassign.NOSPARE;
    const status = emptyPage(e, src, page, chains);
    if (status !== Reassign.OK) return status;
    lock(ctl, C_PAGES_LOCK, e.owner);
    e.owners[page] = dst;
    unlock(ctl, C_PAGES_LOCK);
    ctl[ks + K_PAGES]--;
  } finally {
    unlock(ctl, ks + K_LOCK);
    for (const c of chains) freeChain(e, c);
  }
  giveFreshPage(e, dst, page);
  return Reassign.OK;
}

/** memcached picks any class with a page to spare when the source is -1. */
function pickSource(e: Engine, dst: number): number {
  let best = -1;
  let bestFree = -1;
  for (let id = 1; id <= e.largest; id++) {
    const k = classBase(id);
    if (id === dst || e.ctl[k + K_PAGES] < 2) continue;
    const free = e.ctl[k + K_PAGES] * e.ctl[k + K_PER_PAGE] - e.ctl[k + K_USED];
    if (free > bestFree) {
      best = id;
      bestFree = free;
    }
  }
  return best;
}

/** The page of `cls` with the fewest items in use, preferring pages fully carved. */
function choosePage(e: Engine, cls: number): number {
  const s = e.settings;
  const size = e.ctl[classBase(cls) + K_SIZE];
  const perPage = Math.floor(s.pageSize / size);
  let best = -1;
  let bestUsed = Number.MAX_SAFE_INTEGER;
  for (let p = 0; p < s.maxPages; p++) {
    if (e.owners[p] !== cls) continue;
    let used = 0;
    for (let i = 0; i < perPage; i++) {
      const meta = e.m32[chunkRef(p, s.pageSize, size, i) * 2 + H_META];
      if ((meta & (S_LINKED | S_DATA)) !== 0) used++;
    }
    if (used < bestUsed) {
      best = p;
      bestUsed = used;
    }
  }
  return best;
}

/** Evicts the page's items and drops its free chunks from the free list. Class lock held. */
function emptyPage(e: Engine, cls: number, page: number, chains: number[]): ReassignResult {
  const ctl = e.ctl;
  const m32 = e.m32;
  const k = classBase(cls);
  const size = ctl[k + K_SIZE];
  const perPage = ctl[k + K_PER_PAGE];
  const first = chunkRef(page, e.settings.pageSize, size, 0);
  const last = chunkRef(page, e.settings.pageSize, size, perPage);
  // Pass 1: can every chunk go? Data chunks belong to items whose head lives elsewhere, and
  // an allocated chunk that is not linked yet is being written by another thread.
  const carveNext = ctl[k + K_CARVE_NEXT];
  const carving = ctl[k + K_CARVE_LEFT] > 0 && carveNext >= first && carveNext < last;
  for (let i = 0; i < perPage; i++) {
    const ref = chunkRef(page, e.settings.pageSize, size, i);
    if (carving && ref >= carveNext) break;
    const meta = m32[ref * 2 + H_META];
    if ((meta & S_DATA) !== 0) return Reassign.BUSY;
    if ((meta & (S_LINKED | S_FREE)) === 0) return Reassign.BUSY;
  }
  // Pass 2: evict the items.
  for (let i = 0; i < perPage; i++) {
    const ref = chunkRef(page, e.settings.pageSize, size, i);
    if (carving && ref >= carveNext) break;
    const w = ref * 2;
    const meta = m32[w + H_META];
    if ((meta & S_LINKED) === 0) continue;
    const hash = hashOfItem(e, ref);
    const stripe = e.stripeIndex(hash);
    if (!tryLock(ctl, stripe, e.owner)) return Reassign.BUSY;
    try {
      if ((meta & S_CHAINED) !== 0) chains.push(firstDataChunk(e, ref));
      removeItem(e, ref, hash);
      unlinkFromSegment(e, cls, ref);
      ctl[k + K_ITEMS]--;
      ctl[k + K_USED]--;
      addTwo(ctl, k + K_REQUESTED_LO, -requestedBytes(e, ref));
      addTwo(ctl, k + K_EVICTED_LO, 1);
      m32[w + H_META] = (cls << 8) | S_FREE;
      m32[w + H_HNEXT] = 0;
    } finally {
      unlock(ctl, stripe);
    }
  }
  // Pass 3: rebuild the free list without this page's chunks.
  let head = 0;
  let tail = 0;
  let count = 0;
  let cur = ctl[k + K_FREE_HEAD];
  while (cur !== 0) {
    const next = m32[cur * 2 + H_HNEXT];
    if (cur < first || cur >= last) {
      if (tail === 0) head = cur;
      else m32[tail * 2 + H_HNEXT] = cur;
      tail = cur;
      count++;
    }
    cur = next;
  }
  if (tail !== 0) m32[tail * 2 + H_HNEXT] = 0;
  ctl[k + K_FREE_HEAD] = head;
  ctl[k + K_FREE_COUNT] = count;
  if (carving) ctl[k + K_CARVE_LEFT] = 0;
  // Clear the page so no stale header is mistaken for an item (the crawler scans pages).
  e.m8.fill(0, first * REF_UNIT, last * REF_UNIT);
  return Reassign.OK;
}

/** Carves a page just given to `cls` into its free list. */
function giveFreshPage(e: Engine, cls: number, page: number): void {
  const ctl = e.ctl;
  const m32 = e.m32;
  const k = classBase(cls);
  const size = ctl[k + K_SIZE];
  const perPage = ctl[k + K_PER_PAGE];
  lock(ctl, k + K_LOCK, e.owner);
  let head = ctl[k + K_FREE_HEAD];
  for (let i = perPage - 1; i >= 0; i--) {
    const ref = chunkRef(page, e.settings.pageSize, size, i);
    m32[ref * 2 + H_META] = (cls << 8) | S_FREE;
    m32[ref * 2 + H_HNEXT] = head;
    head = ref;
  }
  ctl[k + K_FREE_HEAD] = head;
  ctl[k + K_FREE_COUNT] += perPage;
  ctl[k + K_PAGES]++;
  unlock(ctl, k + K_LOCK);
}
