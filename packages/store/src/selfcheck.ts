/**
 * A structural self-check: walks the hash table, every LRU list, every free list and every
 * chained item's data chunks, and verifies each link and count against the counters. It
 * reads without locks, so it is only meaningful while no thread writes.
 */
import type { Engine } from './engine.ts';
import { bucketOf, hashOfItem } from './hashtable.ts';
import { firstDataChunk, headPieceBytes, requestedBytes } from './items.ts';
import {
  C_BUCKETS,
  C_CURR_ITEMS,
  C_PAGES_LOCK,
  C_PAGES_USED,
  C_SPLIT_LOCK,
  classBase,
  H_HNEXT,
  H_META,
  H_NBYTES,
  H_NEXT,
  H_PREV,
  K_CARVE_LEFT,
  K_FREE_COUNT,
  K_FREE_HEAD,
  K_ITEMS,
  K_LOCK,
  K_LRU,
  K_PAGES,
  K_PER_PAGE,
  K_REQUESTED_LO,
  K_USED,
  S_CHAINED,
  S_DATA,
  S_FREE,
  S_LINKED,
  S_SEG_MASK,
  S_SEG_SHIFT,
  STRIPES_BASE,
} from './layout.ts';
import { lockOwner } from './lock.ts';
import { readTwo } from './lru.ts';

export interface SelfCheckReport {
  ok: boolean;
  items: number;
  errors: string[];
}

export function selfCheck(e: Engine): SelfCheckReport {
  const errors: string[] = [];
  const fail = (msg: string) => {
    if (errors.length < 50) errors.push(msg);
  };
  const ctl = e.ctl;
  const m32 = e.m32;
  const s = e.settings;
  const limit = (s.maxPages * s.pageSize) / s.classSizes[1] + 1;

  // Locks: all free when nobody runs.
  for (let i = 0; i < s.stripes; i++) {
    if (ctl[STRIPES_BASE + i] !== 0)
      fail(`stripe lock ${i} is held by thread ${lockOwner(ctl, STRIPES_BASE + i)}`);
  }
  if (ctl[C_SPLIT_LOCK] !== 0) fail('split lock is held');
  if (ctl[C_PAGES_LOCK] !== 0) fail('pages lock is held');

  // Hash table: every chain item is linked, lives in the right bucket, appears once.
  const inTable = new Set<number>();
  const buckets = ctl[C_BUCKETS];
  for (let b = 0; b < buckets; b++) {
    let ref = e.table[b];
    let steps = 0;
    while (ref !== 0) {
      if (++steps > limit) {
        fail(`bucket ${b}: chain does not end`);
        break;
      }
      const meta = m32[ref * 2 + H_META];
      if ((meta & S_LINKED) === 0) fail(`item ${ref} in bucket ${b} is not marked linked`);
      if ((meta & S_DATA) !== 0) fail(`data chunk ${ref} is in bucket ${b}`);
      if (bucketOf(e, hashOfItem(e, ref)) !== b)
        fail(`item ${ref} is in bucket ${b}, hashes elsewhere`);
      if (inTable.has(ref)) fail(`item ${ref} appears twice in the table`);
      inTable.add(ref);
      ref = m32[ref * 2 + H_HNEXT];
    }
  }
  for (let b = buckets; b < Math.min(s.maxBuckets, buckets * 2 + 1); b++) {
    if (e.table[b] !== 0) fail(`unused bucket ${b} is not empty`);
  }
  if (inTable.size !== ctl[C_CURR_ITEMS]) {
    fail(`table holds ${inTable.size} items, curr_items says ${ctl[C_CURR_ITEMS]}`);
  }

  // Classes: LRU lists, free lists, chunk and byte counts.
  const dataUsed = new Map<number, number>();
  const dataBytes = new Map<number, number>();
  const inLru = new Set<number>();
  let pagesTotal = 0;
  for (let cls = 1; cls <= e.largest; cls++) {
    const k = classBase(cls);
    if (ctl[k + K_LOCK] !== 0)
      fail(`class ${cls} lock is held by thread ${lockOwner(ctl, k + K_LOCK)}`);
    pagesTotal += ctl[k + K_PAGES];
    let items = 0;
    let bytes = 0;
    for (let seg = 0; seg < 3; seg++) {
      const l = k + K_LRU + seg * 3;
      let ref = ctl[l];
      let prev = 0;
      let n = 0;
      while (ref !== 0) {
        if (++n > limit) {
          fail(`class ${cls} segment ${seg}: list does not end`);
          break;
        }
        const w = ref * 2;
        const meta = m32[w + H_META];
        if (m32[w + H_PREV] !== prev)
          fail(`item ${ref}: prev link ${m32[w + H_PREV]}, expected ${prev}`);
        if (((meta >>> 8) & 0xff) !== cls)
          fail(`item ${ref} in class ${cls}'s LRU has class ${(meta >>> 8) & 0xff}`);
        if ((meta & S_SEG_MASK) >>> S_SEG_SHIFT !== seg)
          fail(`item ${ref} in segment ${seg} is marked ${(meta & S_SEG_MASK) >>> S_SEG_SHIFT}`);
        if (!inTable.has(ref)) fail(`item ${ref} is in an LRU list but not in the table`);
        if (inLru.has(ref)) fail(`item ${ref} is in two LRU places`);
        inLru.add(ref);
        bytes += requestedBytes(e, ref);
        if ((meta & S_CHAINED) !== 0) {
          let left = m32[w + H_NBYTES] - headPieceBytes(e, meta & 0xff);
          let c = firstDataChunk(e, ref);
          while (c !== 0) {
            const cm = m32[c * 2 + H_META];
            const cc = (cm >>> 8) & 0xff;
            if ((cm & S_DATA) === 0) fail(`chunk ${c} of item ${ref} is not a data chunk`);
            dataUsed.set(cc, (dataUsed.get(cc) ?? 0) + 1);
            dataBytes.set(cc, (dataBytes.get(cc) ?? 0) + requestedBytes(e, c));
            left -= m32[c * 2 + H_NBYTES];
            c = m32[c * 2 + H_HNEXT];
          }
          if (left !== 0) fail(`chained item ${ref}: data chunks hold ${-left} bytes too many`);
        }
        prev = ref;
        ref = m32[w + H_NEXT];
      }
      if (ctl[l + 1] !== prev)
        fail(`class ${cls} segment ${seg}: tail is ${ctl[l + 1]}, walk ended at ${prev}`);
      if (ctl[l + 2] !== n) fail(`class ${cls} segment ${seg}: count ${ctl[l + 2]}, walked ${n}`);
      items += n;
    }
    if (ctl[k + K_ITEMS] !== items)
      fail(`class ${cls}: item count ${ctl[k + K_ITEMS]}, lists hold ${items}`);
    let free = 0;
    let ref = ctl[k + K_FREE_HEAD];
    while (ref !== 0) {
      if (++free > limit) {
        fail(`class ${cls}: free list does not end`);
        break;
      }
      const meta = m32[ref * 2 + H_META];
      if ((meta & ~0xffff) !== S_FREE) fail(`free chunk ${ref} has state bits ${meta >>> 16}`);
      if (((meta >>> 8) & 0xff) !== cls)
        fail(`free chunk ${ref} of class ${(meta >>> 8) & 0xff} is on class ${cls}'s list`);
      ref = m32[ref * 2 + H_HNEXT];
    }
    if (free !== ctl[k + K_FREE_COUNT])
      fail(`class ${cls}: free count ${ctl[k + K_FREE_COUNT]}, list holds ${free}`);
    const carved = ctl[k + K_PAGES] * ctl[k + K_PER_PAGE] - ctl[k + K_CARVE_LEFT];
    if (carved !== ctl[k + K_USED] + free) {
      fail(`class ${cls}: ${carved} chunks carved, ${ctl[k + K_USED]} used + ${free} free`);
    }
    (dataBytes as Map<number, number>).set(-cls, bytes);
  }
  for (let cls = 1; cls <= e.largest; cls++) {
    const k = classBase(cls);
    const used = ctl[k + K_USED];
    const expectUsed = ctl[k + K_ITEMS] + (dataUsed.get(cls) ?? 0);
    if (used !== expectUsed)
      fail(`class ${cls}: ${used} chunks used, items and data chunks account for ${expectUsed}`);
    const bytes = (dataBytes.get(-cls) ?? 0) + (dataBytes.get(cls) ?? 0);
    if (readTwo(ctl, k + K_REQUESTED_LO) !== bytes) {
      fail(
        `class ${cls}: mem_requested ${readTwo(ctl, k + K_REQUESTED_LO)}, chunks in use ask ${bytes}`,
      );
    }
  }
  if (inLru.size !== inTable.size)
    fail(`LRU lists hold ${inLru.size} items, the table ${inTable.size}`);
  if (pagesTotal !== ctl[C_PAGES_USED])
    fail(`classes own ${pagesTotal} pages, ${ctl[C_PAGES_USED]} handed out`);
  for (let p = 0; p < ctl[C_PAGES_USED]; p++) {
    if (e.owners[p] === 0) fail(`page ${p} is handed out but has no class`);
  }
  return { ok: errors.length === 0, items: inTable.size, errors };
}
