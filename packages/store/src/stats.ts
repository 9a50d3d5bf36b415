/**
 * Snapshots of the store's counters with memcached's field names (`stats`, `stats slabs`,
 * `stats items`). Each class is read under its lock, so a class's numbers agree with each
 * other; totals are sums over classes.
 */
import type { Engine } from './engine.ts';
import {
  C_BUCKETS,
  C_CURR_ITEMS,
  C_EXPAND_COUNT,
  C_NOW,
  C_PAGE_LIMIT,
  C_PAGES_USED,
  classBase,
  H_TIME,
  K_CARVE_LEFT,
  K_CRAWLER_CHECKED,
  K_CRAWLER_RECLAIMED,
  K_EVICTED_ACTIVE,
  K_EVICTED_LO,
  K_EVICTED_NONZERO,
  K_EVICTED_TIME,
  K_EVICTED_UNFETCHED,
  K_EXPIRED_UNFETCHED,
  K_ITEMS,
  K_LOCK,
  K_LRU,
  K_LRU_TAIL_FAILS,
  K_MOVES_TO_COLD,
  K_MOVES_TO_WARM,
  K_MOVES_WITHIN_LRU,
  K_OUTOFMEMORY,
  K_PAGES,
  K_PER_PAGE,
  K_RECLAIMED_LO,
  K_REQUESTED_LO,
  K_SIZE,
  K_TOTAL_ITEMS_LO,
  K_USED,
  SEG_COLD,
  SEG_HOT,
  SEG_WARM,
} from './layout.ts';
import { lock, unlock } from './lock.ts';
import { readTwo } from './lru.ts';

/** The store's part of memcached's general `stats`. */
export interface StoreStats {
  curr_items: number;
  total_items: number;
  bytes: number;
  limit_maxbytes: number;
  total_malloced: number;
  evictions: number;
  reclaimed: number;
  expired_unfetched: number;
  evicted_unfetched: number;
  evicted_active: number;
  crawler_reclaimed: number;
  crawler_items_checked: number;
  lru_tail_fails: number;
  hash_power_level: number;
  hash_bytes: number;
  hash_is_expanding: number;
  hash_buckets: number;
  hash_expansions: number;
  slab_global_page_pool: number;
  total_pages: number;
  max_pages: number;
}

/** One line group of `stats slabs`. */
export interface SlabClassStats {
  id: number;
  chunk_size: number;
  chunks_per_page: number;
  total_pages: number;
  total_chunks: number;
  used_chunks: number;
  free_chunks: number;
  free_chunks_end: number;
  mem_requested: number;
}

/** One line group of `stats items`. */
export interface ItemClassStats {
  id: number;
  number: number;
  number_hot: number;
  number_warm: number;
  number_cold: number;
  age_hot: number;
  age_warm: number;
  age: number;
  mem_requested: number;
  evicted: number;
  evicted_nonzero: number;
  evicted_time: number;
  outofmemory: number;
  tailrepairs: number;
  reclaimed: number;
  expired_unfetched: number;
  evicted_unfetched: number;
  evicted_active: number;
  crawler_reclaimed: number;
  crawler_items_checked: number;
  lrutail_reflocked: number;
  moves_to_cold: number;
  moves_to_warm: number;
  moves_within_lru: number;
  direct_reclaims: number;
  total_items: number;
}

function ageOfTail(e: Engine, cls: number, seg: number): number {
  const tail = e.ctl[classBase(cls) + K_LRU + seg * 3 + 1];
  return tail === 0 ? 0 : e.ctl[C_NOW] - e.m32[tail * 2 + H_TIME];
}

export function itemStats(e: Engine): ItemClassStats[] {
  const out: ItemClassStats[] = [];
  const ctl = e.ctl;
  for (let id = 1; id <= e.largest; id++) {
    const k = classBase(id);
    lock(ctl, k + K_LOCK, e.owner);
    try {
      if (ctl[k + K_PAGES] === 0) continue;
      out.push({
        id,
        number: ctl[k + K_ITEMS],
        number_hot: ctl[k + K_LRU + SEG_HOT * 3 + 2],
        number_warm: ctl[k + K_LRU + SEG_WARM * 3 + 2],
        number_cold: ctl[k + K_LRU + SEG_COLD * 3 + 2],
        age_hot: ageOfTail(e, id, SEG_HOT),
        age_warm: ageOfTail(e, id, SEG_WARM),
        age: ageOfTail(e, id, SEG_COLD),
        mem_requested: readTwo(ctl, k + K_REQUESTED_LO),
        evicted: readTwo(ctl, k + K_EVICTED_LO),
        evicted_nonzero: ctl[k + K_EVICTED_NONZERO] >>> 0,
        evicted_time: ctl[k + K_EVICTED_TIME],
        outofmemory: ctl[k + K_OUTOFMEMORY] >>> 0,
        tailrepairs: 0,
        reclaimed: readTwo(ctl, k + K_RECLAIMED_LO),
        expired_unfetched: ctl[k + K_EXPIRED_UNFETCHED] >>> 0,
        evicted_unfetched: ctl[k + K_EVICTED_UNFETCHED] >>> 0,
        evicted_active: ctl[k + K_EVICTED_ACTIVE] >>> 0,
        crawler_reclaimed: ctl[k + K_CRAWLER_RECLAIMED] >>> 0,
        crawler_items_checked: ctl[k + K_CRAWLER_CHECKED] >>> 0,
        lrutail_reflocked: 0,
        moves_to_cold: ctl[k + K_MOVES_TO_COLD] >>> 0,
        moves_to_warm: ctl[k + K_MOVES_TO_WARM] >>> 0,
        moves_within_lru: ctl[k + K_MOVES_WITHIN_LRU] >>> 0,
        direct_reclaims: 0,
        total_items: readTwo(ctl, k + K_TOTAL_ITEMS_LO),
      });
    } finally {
      unlock(ctl, k + K_LOCK);
    }
  }
  return out;
}

export function slabStats(e: Engine): SlabClassStats[] {
  const out: SlabClassStats[] = [];
  const ctl = e.ctl;
  for (let id = 1; id <= e.largest; id++) {
    const k = classBase(id);
    lock(ctl, k + K_LOCK, e.owner);
    try {
      const pages = ctl[k + K_PAGES];
      if (pages === 0) continue;
      const perPage = ctl[k + K_PER_PAGE];
      const total = pages * perPage;
      out.push({
        id,
        chunk_size: ctl[k + K_SIZE],
        chunks_per_page: perPage,
        total_pages: pages,
        total_chunks: total,
        used_chunks: ctl[k + K_USED],
        free_chunks: total - ctl[k + K_USED],
        free_chunks_end: ctl[k + K_CARVE_LEFT],
        mem_requested: readTwo(ctl, k + K_REQUESTED_LO),
      });
    } finally {
      unlock(ctl, k + K_LOCK);
    }
  }
  return out;
}

export function storeStats(e: Engine): StoreStats {
  const ctl = e.ctl;
  let total = 0;
  let bytes = 0;
  let evictions = 0;
  let reclaimed = 0;
  let expiredUnfetched = 0;
  let evictedUnfetched = 0;
  let evictedActive = 0;
  let crawlerReclaimed = 0;
  let crawlerChecked = 0;
  let tailFails = 0;
  for (let id = 1; id <= e.largest; id++) {
    const k = classBase(id);
    lock(ctl, k + K_LOCK, e.owner);
    total += readTwo(ctl, k + K_TOTAL_ITEMS_LO);
    bytes += readTwo(ctl, k + K_REQUESTED_LO);
    evictions += readTwo(ctl, k + K_EVICTED_LO);
    reclaimed += readTwo(ctl, k + K_RECLAIMED_LO);
    expiredUnfetched += ctl[k + K_EXPIRED_UNFETCHED] >>> 0;
    evictedUnfetched += ctl[k + K_EVICTED_UNFETCHED] >>> 0;
    evictedActive += ctl[k + K_EVICTED_ACTIVE] >>> 0;
    crawlerReclaimed += ctl[k + K_CRAWLER_RECLAIMED] >>> 0;
    crawlerChecked += ctl[k + K_CRAWLER_CHECKED] >>> 0;
    tailFails += ctl[k + K_LRU_TAIL_FAILS] >>> 0;
    unlock(ctl, k + K_LOCK);
  }
  const buckets = Atomics.load(ctl, C_BUCKETS);
  const power = 31 - Math.clz32(buckets);
  const pages = Atomics.load(ctl, C_PAGES_USED);
  return {
    curr_items: Atomics.load(ctl, C_CURR_ITEMS),
    total_items: total,
    bytes,
    limit_maxbytes: Math.min(ctl[C_PAGE_LIMIT], e.settings.maxPages) * e.settings.pageSize,
    total_malloced: pages * e.settings.pageSize,
    evictions,
    reclaimed,
    expired_unfetched: expiredUnfetched,
    evicted_unfetched: evictedUnfetched,
    evicted_active: evictedActive,
    crawler_reclaimed: crawlerReclaimed,
    crawler_items_checked: crawlerChecked,
    lru_tail_fails: tailFails,
    hash_power_level: power,
    hash_bytes: buckets * 4,
    hash_is_expanding: buckets !== 1 << power ? 1 : 0,
    hash_buckets: buckets,
    hash_expansions: Atomics.load(ctl, C_EXPAND_COUNT),
    slab_global_page_pool: Math.max(0, Math.min(ctl[C_PAGE_LIMIT], e.settings.maxPages) - pages),
    total_pages: pages,
    max_pages: e.settings.maxPages,
  };
}
