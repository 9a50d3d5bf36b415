/**
 * An item's life: allocation (plain or chained), linking into the LRU once it is in the hash
 * table, and unlinking + freeing (memcached's do_item_alloc / do_item_link / do_item_unlink).
 */
import type { Engine } from './engine.ts';
import { chainLinkOffset, firstDataChunk, headPieceBytes } from './items.ts';
import {
  classBase,
  H_HNEXT,
  H_META,
  H_NBYTES,
  K_EXPIRED_UNFETCHED,
  K_ITEMS,
  K_LOCK,
  K_RECLAIMED_LO,
  K_REQUESTED_LO,
  K_TOTAL_ITEMS_LO,
  REF_UNIT,
  S_CHAINED,
  S_DATA,
  S_FETCHED,
  S_LINKED,
  SEG_HOT,
} from './layout.ts';
import { lock, unlock } from './lock.ts';
import { addTwo, balance, linkHead, unlinkFromSegment } from './lru.ts';
import { alloc, classFor, free, freeChain, pushFree } from './slabs.ts';

/**
 * Allocates an item for `nkey` key bytes and `nbytes` value bytes, header META set (class,
 * nkey, CHAINED), everything else for the caller to fill. 0 when memory is full.
 * Items that do not fit the largest chunk become a chain: a head chunk of the largest class
 * plus data chunks of the largest class, the last one from the smallest class that fits it
 * (memcached does the same to avoid wasting most of a large chunk).
 */
export function allocItem(e: Engine, nkey: number, nbytes: number): number {
  const plain = e.hdr + nkey + nbytes;
  if (plain <= e.chunkMax) {
    const ref = alloc(e, classFor(e, plain), plain);
    if (ref !== 0) {
      e.m32[ref * 2 + H_META] |= nkey;
      e.m32[ref * 2 + H_NBYTES] = nbytes;
    }
    return ref;
  }
  const head = alloc(e, e.largest, e.chunkMax);
  if (head === 0) return 0;
  const w = head * 2;
  e.m32[w + H_META] |= nkey | S_CHAINED;
  e.m32[w + H_NBYTES] = nbytes;
  let linkWord = (head * REF_UNIT + chainLinkOffset(e, nkey)) >> 2;
  e.m32[linkWord] = 0;
  let left = nbytes - headPieceBytes(e, nkey);
  const fullCap = e.chunkMax - e.hdr;
  while (left > 0) {
    const n = Math.min(left, fullCap);
    const size = e.hdr + n;
    const cls = n === fullCap ? e.largest : classFor(e, size);
    const chunk = alloc(e, cls, size);
    if (chunk === 0) {
      freeChain(e, e.m32[(head * REF_UNIT + chainLinkOffset(e, nkey)) >> 2]);
      e.m32[w + H_META] &= ~S_CHAINED;
      e.m32[w + H_NBYTES] = e.chunkMax - e.hdr - nkey; // requestedBytes of the bare head
      free(e, head);
      return 0;
    }
    const cw = chunk * 2;
    e.m32[cw + H_META] |= S_DATA;
    e.m32[cw + H_NBYTES] = n;
    e.m32[cw + H_HNEXT] = 0;
    e.m32[linkWord] = chunk;
    linkWord = cw + H_HNEXT;
    left -= n;
  }
  return head;
}

/** Frees an item that was never linked (its store failed), with its data chunks. */
export function discardItem(e: Engine, ref: number): void {
  const chained = (e.m32[ref * 2 + H_META] & S_CHAINED) !== 0;
  const chain = chained ? firstDataChunk(e, ref) : 0;
  if (chained) {
    e.m32[ref * 2 + H_META] &= ~S_CHAINED;
    e.m32[ref * 2 + H_NBYTES] = e.chunkMax - e.hdr - (e.m32[ref * 2 + H_META] & 0xff);
  }
  free(e, ref);
  if (chain !== 0) freeChain(e, chain);
}

/** Puts an item that was just put in the hash table at the head of its class's HOT list.
 * Caller holds the item's stripe lock. */
export function linkItem(e: Engine, ref: number): void {
  const ctl = e.ctl;
  const cls = (e.m32[ref * 2 + H_META] >>> 8) & 0xff;
  const k = classBase(cls);
  lock(ctl, k + K_LOCK, e.owner);
  linkHead(e, cls, SEG_HOT, ref);
  ctl[k + K_ITEMS]++;
  addTwo(ctl, k + K_TOTAL_ITEMS_LO, 1);
  Atomics.or(e.m32, ref * 2 + H_META, S_LINKED);
  balance(e, cls, 2);
  unlock(ctl, k + K_LOCK);
}

/**
 * Takes an item that was just removed from the hash table out of its LRU and frees it with its
 * data chunks. Caller holds the item's stripe lock (and no class lock). `reclaimed` counts it
 * as an expired or flushed item found dead.
 */
export function unlinkItem(e: Engine, ref: number, reclaimed: boolean): void {
  const ctl = e.ctl;
  const m32 = e.m32;
  const w = ref * 2;
  const meta = m32[w + H_META];
  const cls = (meta >>> 8) & 0xff;
  const k = classBase(cls);
  const chain = (meta & S_CHAINED) !== 0 ? firstDataChunk(e, ref) : 0;
  lock(ctl, k + K_LOCK, e.owner);
  unlinkFromSegment(e, cls, ref);
  ctl[k + K_ITEMS]--;
  if (reclaimed) {
    addTwo(ctl, k + K_RECLAIMED_LO, 1);
    if ((meta & S_FETCHED) === 0) ctl[k + K_EXPIRED_UNFETCHED]++;
  }
  pushFree(e, ref);
  unlock(ctl, k + K_LOCK);
  if (chain !== 0) freeChain(e, chain);
}

/** Books an in-place overwrite: one more item stored in the class, its bytes changed. */
export function countOverwrite(e: Engine, cls: number, deltaBytes: number): void {
  const ctl = e.ctl;
  const k = classBase(cls);
  lock(ctl, k + K_LOCK, e.owner);
  addTwo(ctl, k + K_TOTAL_ITEMS_LO, 1);
  if (deltaBytes !== 0) addTwo(ctl, k + K_REQUESTED_LO, deltaBytes);
  unlock(ctl, k + K_LOCK);
}
