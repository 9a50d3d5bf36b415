/**
 * The slab allocator: item memory is `maxPages` pages, handed to slab classes on demand and
 * never returned (memcached's slabs.c without the rebalancer, for now). A class hands out
 * chunks from its free list, then carves its newest page, then asks for a new page, and when
 * memory is full pulls an item from its own LRU tail (lru.ts) and reuses that chunk.
 */
import type { Engine } from './engine.ts';
import { requestedBytes } from './items.ts';
import {
  C_PAGE_LIMIT,
  C_PAGES_LOCK,
  C_PAGES_USED,
  classBase,
  H_HNEXT,
  H_META,
  K_CARVE_LEFT,
  K_CARVE_NEXT,
  K_FREE_COUNT,
  K_FREE_HEAD,
  K_LOCK,
  K_LRU_TAIL_FAILS,
  K_OUTOFMEMORY,
  K_PAGES,
  K_PER_PAGE,
  K_REQUESTED_LO,
  K_SIZE,
  K_USED,
  pageRef,
  REF_UNIT,
  S_FREE,
} from './layout.ts';
import { lock, unlock } from './lock.ts';
import { addTwo, pullTail } from './lru.ts';

/** memcached tries this many LRU pulls before answering out of memory. */
const ALLOC_TRIES = 10;

/** The smallest class whose chunks hold `size` bytes, or 0 if none does. */
export function classFor(e: Engine, size: number): number {
  const sizes = e.settings.classSizes;
  if (size > e.chunkMax) return 0;
  // Binary search over the few dozen class sizes.
  let lo = 1;
  let hi = e.largest;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sizes[mid] >= size) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * A chunk of class `cls` for an item of `size` bytes, or 0 when memory is full and nothing
 * can be evicted. The chunk's META holds only its class id; the caller fills the rest.
 */
export function alloc(e: Engine, cls: number, size: number): number {
  const ctl = e.ctl;
  const k = classBase(cls);
  let ref = 0;
  lock(ctl, k + K_LOCK, e.owner);
  try {
    ref = takeFree(e, k);
    if (ref === 0 && (ctl[k + K_CARVE_LEFT] > 0 || newPage(e, cls))) ref = carve(e, k);
    if (ref === 0) {
      for (let i = 0; i < ALLOC_TRIES && ref === 0; i++) {
        ref = pullTail(e, cls, e.settings.evict);
        if (ref === 0 && ctl[k + K_USED] === 0) break;
      }
      if (ref === 0) {
        ctl[k + K_OUTOFMEMORY]++;
        ctl[k + K_LRU_TAIL_FAILS]++;
      }
    } else {
      ctl[k + K_USED]++;
    }
    if (ref !== 0) {
      addTwo(ctl, k + K_REQUESTED_LO, size);
      e.m32[ref * 2 + H_META] = cls << 8;
    }
  } finally {
    unlock(ctl, k + K_LOCK);
  }
  if (e.pendingChain !== 0) {
    const chain = e.pendingChain;
    e.pendingChain = 0;
    freeChain(e, chain);
  }
  return ref;
}

function takeFree(e: Engine, k: number): number {
  const ctl = e.ctl;
  const ref = ctl[k + K_FREE_HEAD];
  if (ref === 0) return 0;
  ctl[k + K_FREE_HEAD] = e.m32[ref * 2 + H_HNEXT];
  ctl[k + K_FREE_COUNT]--;
  return ref;
}

function carve(e: Engine, k: number): number {
  const ctl = e.ctl;
  const ref = ctl[k + K_CARVE_NEXT];
  ctl[k + K_CARVE_NEXT] = ref + ctl[k + K_SIZE] / REF_UNIT;
  ctl[k + K_CARVE_LEFT]--;
  return ref;
}

/** Gives class `cls` a fresh page to carve. Caller holds the class lock. */
function newPage(e: Engine, cls: number): boolean {
  const ctl = e.ctl;
  let page = -1;
  lock(ctl, C_PAGES_LOCK, e.owner);
  if (ctl[C_PAGES_USED] < Math.min(ctl[C_PAGE_LIMIT], e.settings.maxPages)) {
    page = ctl[C_PAGES_USED];
    e.owners[page] = cls; // owner first: the crawler reads pages below C_PAGES_USED unlocked
    Atomics.store(ctl, C_PAGES_USED, page + 1);
  }
  unlock(ctl, C_PAGES_LOCK);
  if (page < 0) return false;
  const k = classBase(cls);
  ctl[k + K_PAGES]++;
  ctl[k + K_CARVE_NEXT] = pageRef(page, e.settings.pageSize);
  ctl[k + K_CARVE_LEFT] = ctl[k + K_PER_PAGE];
  return true;
}

/** Returns a chunk that is in no hash chain and no LRU list to its class. No lock held. */
export function free(e: Engine, ref: number): void {
  const k = classBase((e.m32[ref * 2 + H_META] >>> 8) & 0xff);
  lock(e.ctl, k + K_LOCK, e.owner);
  pushFree(e, ref);
  unlock(e.ctl, k + K_LOCK);
}

/** Puts a chunk in use on its class's free list, taking its bytes off the class's count.
 * Caller holds the class lock. */
export function pushFree(e: Engine, ref: number): void {
  const ctl = e.ctl;
  const w = ref * 2;
  const cls = (e.m32[w + H_META] >>> 8) & 0xff;
  const k = classBase(cls);
  addTwo(ctl, k + K_REQUESTED_LO, -requestedBytes(e, ref));
  e.m32[w + H_META] = (cls << 8) | S_FREE;
  e.m32[w + H_HNEXT] = ctl[k + K_FREE_HEAD];
  ctl[k + K_FREE_HEAD] = ref;
  ctl[k + K_FREE_COUNT]++;
  ctl[k + K_USED]--;
}

/** Frees a chain of data chunks. No class lock held. */
export function freeChain(e: Engine, first: number): void {
  let cur = first;
  while (cur !== 0) {
    const next = e.m32[cur * 2 + H_HNEXT];
    free(e, cur);
    cur = next;
  }
}
