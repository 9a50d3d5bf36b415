/**
 * The shared-memory layout of a store. This module is the only place that knows offsets;
 * every other module reads and writes through the names defined here.
 *
 * A store is three SharedArrayBuffers, mapped by every thread that opens it:
 *
 *   control  Int32 words: header, class table, stripe locks, then one byte per page
 *            naming the slab class that owns it.
 *   table    the hash index: one Int32 per bucket holding the ref of the chain's first item.
 *   items    item memory: `maxPages` pages of `pageSize` bytes, after a 64-byte gap so that
 *            ref 0 can mean "none".
 *
 * An item is named by its ref: its byte offset in `items` divided by 8 (chunks are 8-aligned),
 * so a ref fits a positive Int32 for up to 16 GiB of item memory and Int32 word `ref * 2` is
 * the item's first header word.
 *
 * Item header (40 bytes with CAS, 32 without; memcached's is 48 + 8 for its hash chain):
 *
 *   byte  word  field      meaning
 *   0     +0    HNEXT      next item in the hash chain; in a free chunk the next free chunk;
 *                          in a data chunk of a chained item, the next data chunk
 *   4     +1    PREV       LRU list neighbours (refs)
 *   8     +2    NEXT
 *   12    +3    TIME       last access, in store-relative seconds
 *   16    +4    EXPTIME    store-relative expiry second, 0 = never
 *   20    +5    FLAGS      the client's 32-bit flags
 *   24    +6    NBYTES     value length (in a data chunk: the bytes this chunk holds)
 *   28    +7    META       nkey (bits 0-7) | class id (bits 8-15) | state bits (16-31)
 *   32    +8    CAS_HI     64-bit CAS, present only with CAS on
 *   36    +9    CAS_LO
 *   HDR         key bytes, then the value bytes.
 *
 * A chained item (larger than the largest chunk) keeps its header, key and the value's first
 * piece in a chunk of the largest class; the u32 ref of its first data chunk sits after the
 * key (4-aligned), and each data chunk carries its own header (only HNEXT, NBYTES and META
 * are used) followed by data.
 */

export const ITEMS_BASE = 64;
export const REF_UNIT = 8;

/** Item header word offsets, relative to the item's first word (ref * 2). */
export const H_HNEXT = 0;
export const H_PREV = 1;
export const H_NEXT = 2;
export const H_TIME = 3;
export const H_EXPTIME = 4;
export const H_FLAGS = 5;
export const H_NBYTES = 6;
export const H_META = 7;
export const H_CAS_HI = 8;
export const H_CAS_LO = 9;

export const HEADER_BYTES_CAS = 40;
export const HEADER_BYTES_NO_CAS = 32;

/** META word: state bits (shifted by 16). Changed with Atomics.or/and: readers set ACTIVE and
 * FETCHED under the item's stripe lock while the LRU changes SEG under the class lock. */
export const META_STATE_SHIFT = 16;
export const S_LINKED = 1 << 16; // in the hash table and an LRU list
export const S_CHAINED = 1 << 17; // value continues in data chunks
export const S_DATA = 1 << 18; // this chunk is a data chunk of a chained item
export const S_ACTIVE = 1 << 19; // read since it last moved in the LRU
export const S_FETCHED = 1 << 20; // read at least once
export const S_SEG_SHIFT = 21; // two bits: which LRU segment
export const S_SEG_MASK = 3 << 21;
export const S_FREE = 1 << 23; // on a class's free list
// Meta protocol state (memcached's ITEM_STALE, ITEM_TOKEN_SENT, ITEM_KEY_BINARY):
export const S_STALE = 1 << 24; // invalidated (md I, ms I): served with X until replaced
export const S_WON = 1 << 25; // a client was handed the recache token (W); others see Z
export const S_KEY_BINARY = 1 << 26; // the key was sent base64-encoded (b): return it so
export const SEG_HOT = 0;
export const SEG_WARM = 1;
export const SEG_COLD = 2;

/** Control block header words. */
export const C_MAGIC = 0;
export const C_VERSION = 1;
export const C_NOW = 2; // current store-relative second (written by the clock owner)
export const C_STARTED = 3; // unix second that relative time 0 stands for (u32)
export const C_OLDEST_LIVE = 4; // flush_all: items last touched at or before this are dead
export const C_OLDEST_CAS_HI = 6; // flush_all: items with a lower CAS are dead (two words)
export const C_OLDEST_CAS_LO = 7;
export const C_CAS_INDEX64 = 4; // BigInt64 slot 4 (words 8-9): the last CAS handed out
export const C_BUCKETS = 10; // buckets in use (linear hashing: 2^n + split pointer)
export const C_SPLIT_LOCK = 11;
export const C_CURR_ITEMS = 12;
export const C_PAGES_LOCK = 13;
export const C_PAGES_USED = 14;
export const C_FLUSH_LOCK = 15;
export const C_EXPAND_COUNT = 17; // completed doublings of the table
export const C_PAGE_LIMIT = 18; // pages classes may take now (cache_memlimit moves it)
export const C_HOT_PCT = 19; // HOT share of a class's items, percent (lru tune)
export const C_WARM_PCT = 20; // WARM share
export const C_HEADER_WORDS = 64;

export const MAGIC = 0x534c4142; // "SLAB"
export const LAYOUT_VERSION = 1;

/** Slab class table: one record of CLASS_WORDS words per class id (0 unused). */
export const MAX_CLASSES = 64; // ids 1..63, as memcached's MAX_NUMBER_OF_SLAB_CLASSES
export const CLASS_WORDS = 48;
export const K_LOCK = 0; // allocation, free list and LRU of this class
export const K_SIZE = 1; // chunk size in bytes
export const K_PER_PAGE = 2;
export const K_PAGES = 3;
export const K_FREE_HEAD = 4;
export const K_FREE_COUNT = 5;
export const K_CARVE_NEXT = 6; // ref of the next never-used chunk in the newest page
export const K_CARVE_LEFT = 7; // chunks left to carve in the newest page
export const K_LRU = 8; // three segments of [head, tail, count]: HOT at 8, WARM at 11, COLD at 14
export const K_USED = 17; // chunks in use (items, and data chunks of chained items)
export const K_ITEMS = 18; // linked items whose LRU lives here
export const K_REQUESTED_LO = 19; // bytes asked for by the chunks in use (two words)
export const K_TOTAL_ITEMS_LO = 21; // items ever linked here (two words)
export const K_EVICTED_LO = 23; // (two words)
export const K_EVICTED_NONZERO = 25;
export const K_EVICTED_TIME = 26; // age in seconds of the last evicted item
export const K_EVICTED_UNFETCHED = 27;
export const K_EVICTED_ACTIVE = 28;
export const K_EXPIRED_UNFETCHED = 29;
export const K_RECLAIMED_LO = 30; // (two words)
export const K_OUTOFMEMORY = 32;
export const K_CRAWLER_RECLAIMED = 33;
export const K_MOVES_TO_COLD = 34;
export const K_MOVES_TO_WARM = 35;
export const K_MOVES_WITHIN_LRU = 36;
export const K_TAILREPAIRS = 37;
export const K_LRU_TAIL_FAILS = 38; // eviction searches that found no victim
export const K_CRAWLER_CHECKED = 39;

export function classBase(id: number): number {
  return C_HEADER_WORDS + id * CLASS_WORDS;
}

export const STRIPES_BASE = C_HEADER_WORDS + MAX_CLASSES * CLASS_WORDS;

export interface LayoutSizes {
  stripes: number;
  maxPages: number;
  pageSize: number;
  maxBuckets: number;
}

/** Word index of the first byte of the page-owner table, and the control block's size. */
export function pageOwnersByteOffset(stripes: number): number {
  return (STRIPES_BASE + stripes) * 4;
}

export function controlBytes(sizes: LayoutSizes): number {
  const end = pageOwnersByteOffset(sizes.stripes) + sizes.maxPages;
  return Math.ceil(end / 64) * 64;
}

export function itemsBytes(sizes: LayoutSizes): number {
  return ITEMS_BASE + sizes.maxPages * sizes.pageSize;
}

export function pageRef(page: number, pageSize: number): number {
  return (ITEMS_BASE + page * pageSize) / REF_UNIT;
}

/** Ref of chunk i of a page carved into chunks of `chunkSize` bytes. */
export function chunkRef(page: number, pageSize: number, chunkSize: number, i: number): number {
  return pageRef(page, pageSize) + (i * chunkSize) / REF_UNIT;
}
