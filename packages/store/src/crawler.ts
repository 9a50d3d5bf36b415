/**
 * The crawler: walks item memory a page at a time and reclaims items that are expired or
 * flushed, so their memory returns before the LRU reaches them (memcached's lru_crawler,
 * walking pages instead of LRU lists: a page position stays valid whatever others free).
 * Takes locks in the documented order: the item's stripe, then its class.
 */
import type { Engine } from './engine.ts';
import { murmur3 } from './hash.ts';
import { hashOfItem, removeItem } from './hashtable.ts';
import { ALIVE, deadReason, getCas, keyOffset, requestedBytes } from './items.ts';
import {
  C_NOW,
  C_PAGES_USED,
  C_STARTED,
  chunkRef,
  classBase,
  H_EXPTIME,
  H_META,
  H_NBYTES,
  H_NEXT,
  H_TIME,
  K_CRAWLER_CHECKED,
  K_CRAWLER_RECLAIMED,
  K_LOCK,
  K_LRU,
  S_DATA,
  S_FETCHED,
  S_LINKED,
  SEG_COLD,
} from './layout.ts';
import { unlinkItem } from './lifecycle.ts';
import { lock, unlock } from './lock.ts';

export interface CrawlResult {
  nextPage: number;
  reclaimed: number;
}

export function crawlStep(e: Engine, page: number): CrawlResult {
  const ctl = e.ctl;
  const pagesUsed = Atomics.load(ctl, C_PAGES_USED);
  if (pagesUsed === 0) return { nextPage: 0, reclaimed: 0 };
  if (page >= pagesUsed) page = 0;
  const cls = e.owners[page];
  if (cls === 0) return { nextPage: page + 1, reclaimed: 0 };
  const size = e.settings.classSizes[cls];
  const perPage = Math.floor(e.settings.pageSize / size);
  const m32 = e.m32;
  let reclaimed = 0;
  let checked = 0;
  for (let i = 0; i < perPage; i++) {
    const ref = chunkRef(page, e.settings.pageSize, size, i);
    const meta = m32[ref * 2 + H_META];
    if ((meta & S_LINKED) === 0 || (meta & S_DATA) !== 0) continue;
    checked++;
    if (deadReason(e, ref) === ALIVE) continue;
    // The unlocked reads above may race with a rewrite of this chunk; everything is checked
    // again under the stripe lock that the key (as it reads now) maps to.
    const nkey = meta & 0xff;
    if (nkey === 0) continue;
    const stripe = e.stripeIndex(murmur3(e.m8, keyOffset(e, ref), nkey));
    lock(ctl, stripe, e.owner);
    try {
      const now = m32[ref * 2 + H_META];
      if ((now & S_LINKED) === 0 || (now & S_DATA) !== 0) continue;
      const hash = hashOfItem(e, ref);
      if (e.stripeIndex(hash) !== stripe || deadReason(e, ref) === ALIVE) continue;
      if (!removeItem(e, ref, hash)) continue;
      const k = classBase((now >>> 8) & 0xff);
      unlinkItem(e, ref, true);
      lock(ctl, k + K_LOCK, e.owner);
      ctl[k + K_CRAWLER_RECLAIMED]++;
      unlock(ctl, k + K_LOCK);
      reclaimed++;
    } finally {
      unlock(ctl, stripe);
    }
  }
  const k = classBase(cls);
  lock(ctl, k + K_LOCK, e.owner);
  ctl[k + K_CRAWLER_CHECKED] += checked;
  unlock(ctl, k + K_LOCK);
  return { nextPage: page + 1 >= pagesUsed ? 0 : page + 1, reclaimed };
}

/** One item's metadata, as `lru_crawler metadump` prints it. */
export interface ItemMeta {
  key: Buffer;
  classId: number;
  /** Store-relative expiry second, 0 = never. */
  exptime: number;
  ttl: number;
  idle: number;
  cas: number;
  fetched: boolean;
  size: number;
}

/** Reads every live item's metadata, page by page, each under its stripe lock. */
export function collectItems(e: Engine, classes: Set<number> | null): ItemMeta[] {
  const out: ItemMeta[] = [];
  const ctl = e.ctl;
  const m32 = e.m32;
  const pages = Atomics.load(ctl, C_PAGES_USED);
  for (let page = 0; page < pages; page++) {
    const cls = e.owners[page];
    if (cls === 0 || (classes !== null && !classes.has(cls))) continue;
    const size = e.settings.classSizes[cls];
    const perPage = Math.floor(e.settings.pageSize / size);
    for (let i = 0; i < perPage; i++) {
      const ref = chunkRef(page, e.settings.pageSize, size, i);
      const meta = m32[ref * 2 + H_META];
      if ((meta & S_LINKED) === 0 || (meta & S_DATA) !== 0 || (meta & 0xff) === 0) continue;
      const stripe = e.stripeIndex(murmur3(e.m8, keyOffset(e, ref), meta & 0xff));
      lock(ctl, stripe, e.owner);
      try {
        const now = m32[ref * 2 + H_META];
        if ((now & S_LINKED) === 0 || (now & S_DATA) !== 0) continue;
        const hash = hashOfItem(e, ref);
        if (e.stripeIndex(hash) !== stripe || deadReason(e, ref) !== ALIVE) continue;
        const nkey = now & 0xff;
        const w = ref * 2;
        const exp = m32[w + H_EXPTIME];
        out.push({
          key: Buffer.from(e.m8.subarray(keyOffset(e, ref), keyOffset(e, ref) + nkey)),
          classId: cls,
          exptime: exp,
          ttl: exp === 0 ? -1 : exp - ctl[C_NOW],
          idle: ctl[C_NOW] - m32[w + H_TIME],
          cas: getCas(e, ref),
          fetched: (now & S_FETCHED) !== 0,
          size: requestedBytes(e, ref),
        });
      } finally {
        unlock(ctl, stripe);
      }
    }
  }
  return out;
}

/** Items from the head of a class's COLD list (memcached's item_cachedump). Runs under the
 * class lock, which keeps the listed items allocated while their keys are read. */
export function cachedumpClass(
  e: Engine,
  cls: number,
  limit: number,
): { key: Buffer; bytes: number; exptime: number }[] {
  const out: { key: Buffer; bytes: number; exptime: number }[] = [];
  if (cls < 1 || cls > e.largest) return out;
  const ctl = e.ctl;
  const k = classBase(cls);
  const started = ctl[C_STARTED] >>> 0;
  lock(ctl, k + K_LOCK, e.owner);
  try {
    let ref = ctl[k + K_LRU + SEG_COLD * 3];
    while (ref !== 0 && (limit === 0 || out.length < limit)) {
      const w = ref * 2;
      const nkey = e.m32[w + H_META] & 0xff;
      const exp = e.m32[w + H_EXPTIME];
      out.push({
        key: Buffer.from(e.m8.subarray(keyOffset(e, ref), keyOffset(e, ref) + nkey)),
        bytes: e.m32[w + H_NBYTES],
        exptime: exp === 0 ? 0 : exp + started,
      });
      ref = e.m32[w + H_NEXT];
    }
  } finally {
    unlock(ctl, k + K_LOCK);
  }
  return out;
}
