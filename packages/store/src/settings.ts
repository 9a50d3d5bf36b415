/**
 * Store settings: memcached's defaults, its validation rules, and the slab class sizes they
 * produce. Everything here is plain data that crosses thread boundaries with postMessage.
 */
import { HEADER_BYTES_CAS, HEADER_BYTES_NO_CAS, ITEMS_BASE, MAX_CLASSES } from './layout.ts';

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** Item memory above this would overflow a 31-bit ref (refs count 8-byte units). */
export const MAX_MEMORY_LIMIT = 16 * 1024 * MiB - ITEMS_BASE - 8;
export const MAX_ITEM_SIZE = 1024 * MiB; // memcached's ceiling for -I
export const MIN_ITEM_SIZE = 1024;
export const MAX_KEY_LENGTH = 250;
/** memcached: relative exptimes go up to 30 days; larger numbers are unix times. */
export const REALTIME_MAXDELTA = 60 * 60 * 24 * 30;

export interface StoreOptions {
  /** Hard cap on item memory in bytes (`-m` is in MiB). Default 64 MiB. */
  memoryLimit?: number;
  /** Slab page size in bytes. Default 1 MiB, as memcached's slab_page_size. */
  pageSize?: number;
  /** Growth factor between chunk sizes (`-f`). Default 1.25. */
  growthFactor?: number;
  /** Minimum space for key + value in the smallest chunk (`-n`). Default 48. */
  minChunk?: number;
  /** Largest item: header + key + value (`-I`). Default 1 MiB. */
  itemSizeMax?: number;
  /** Largest chunk; items above it are chained (`-o slab_chunk_max`). Default pageSize / 2. */
  slabChunkMax?: number;
  /** Keep 64-bit CAS values (`-C` turns this off and saves 8 bytes an item). Default true. */
  cas?: boolean;
  /** Evict least recently used items when memory is full (`-M` turns this off). Default true. */
  evict?: boolean;
  /** log2 of the hash table's starting bucket count (`-o hashpower`). Default 16. */
  hashPower?: number;
  /** Share of a class's items kept in the HOT segment, percent. Default 20. */
  hotPercent?: number;
  /** Share of a class's items kept in the WARM segment, percent. Default 40. */
  warmPercent?: number;
  /** Unix time the store starts at (seconds). Default: now. Tests pass their own. */
  startTime?: number;
}

export interface StoreSettings {
  memoryLimit: number;
  pageSize: number;
  maxPages: number;
  growthFactor: number;
  minChunk: number;
  itemSizeMax: number;
  slabChunkMax: number;
  cas: boolean;
  evict: boolean;
  hashPower: number;
  hotPercent: number;
  warmPercent: number;
  headerBytes: number;
  stripes: number;
  maxBuckets: number;
  /** Chunk size of each class; index = class id, [0] unused. */
  classSizes: number[];
  largestClass: number;
}

export class StoreSettingsError extends Error {
  readonly code = 'SLAB_ERR_SETTINGS';
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new StoreSettingsError(message);
}

function isInt(n: number): boolean {
  return Number.isInteger(n);
}

/** memcached's slabs_init: sizes from header + minChunk, times factor, 8-aligned, until the
 * next size would pass slabChunkMax / factor; the last class is exactly slabChunkMax. */
export function computeClassSizes(
  headerBytes: number,
  minChunk: number,
  factor: number,
  slabChunkMax: number,
): number[] {
  const sizes = [0];
  let size = headerBytes + minChunk;
  while (sizes.length < MAX_CLASSES - 1) {
    if (size >= slabChunkMax / factor) break;
    if (size % 8) size += 8 - (size % 8);
    sizes.push(size);
    size = Math.floor(size * factor);
  }
  sizes.push(slabChunkMax);
  return sizes;
}

export function resolveSettings(opts: StoreOptions = {}): StoreSettings {
  const pageSize = opts.pageSize ?? MiB;
  const memoryLimit = opts.memoryLimit ?? 64 * MiB;
  const growthFactor = opts.growthFactor ?? 1.25;
  const minChunk = opts.minChunk ?? 48;
  const itemSizeMax = opts.itemSizeMax ?? MiB;
  const slabChunkMax = opts.slabChunkMax ?? pageSize / 2;
  const cas = opts.cas ?? true;
  const hashPower = opts.hashPower ?? 16;
  const hotPercent = opts.hotPercent ?? 20;
  const warmPercent = opts.warmPercent ?? 40;

  check(
    isInt(pageSize) && pageSize >= 64 * KiB && pageSize % 8 === 0,
    'page size must be a multiple of 8 bytes, at least 64 KiB',
  );
  check(
    isInt(memoryLimit) && memoryLimit >= pageSize,
    `memory limit must be at least one page (${pageSize} bytes)`,
  );
  check(memoryLimit <= MAX_MEMORY_LIMIT, 'memory limit must be under 16 GiB');
  check(growthFactor > 1 && growthFactor <= 8, 'growth factor must be greater than 1.0');
  check(
    isInt(minChunk) && minChunk >= 8 && minChunk <= 1024 * 1024,
    'minimum chunk size must be between 8 bytes and 1 MiB',
  );
  check(
    isInt(itemSizeMax) && itemSizeMax >= MIN_ITEM_SIZE,
    'item max size cannot be less than 1024 bytes',
  );
  check(itemSizeMax <= MAX_ITEM_SIZE, 'cannot set item size limit higher than 1 gigabyte');
  check(itemSizeMax <= memoryLimit / 2, 'cannot set item size limit higher than 1/2 of memory max');
  check(
    isInt(slabChunkMax) && slabChunkMax % 8 === 0 && slabChunkMax <= pageSize,
    'slab_chunk_max must be a multiple of 8 and at most the page size',
  );
  check(pageSize % slabChunkMax === 0, 'slab_chunk_max must divide the page size evenly');
  check(
    isInt(hashPower) && hashPower >= 12 && hashPower <= 30,
    'hashpower must be between 12 and 30',
  );
  check(
    hotPercent > 0 && warmPercent > 0 && hotPercent + warmPercent < 80,
    'hot and warm LRU shares must be positive and leave room for cold',
  );

  const headerBytes = cas ? HEADER_BYTES_CAS : HEADER_BYTES_NO_CAS;
  check(
    slabChunkMax >= headerBytes + minChunk,
    'slab_chunk_max is smaller than the smallest chunk',
  );
  const classSizes = computeClassSizes(headerBytes, minChunk, growthFactor, slabChunkMax);
  const maxPages = Math.floor(memoryLimit / pageSize);
  // Enough buckets for one item a bucket even if memory fills with the smallest items.
  const maxItems = Math.ceil((maxPages * pageSize) / classSizes[1]);
  let maxBuckets = 1 << hashPower;
  while (maxBuckets < maxItems && maxBuckets < 1 << 30) maxBuckets *= 2;

  return {
    memoryLimit,
    pageSize,
    maxPages,
    growthFactor,
    minChunk,
    itemSizeMax,
    slabChunkMax,
    cas,
    evict: opts.evict ?? true,
    hashPower,
    hotPercent,
    warmPercent,
    headerBytes,
    stripes: Math.min(4096, 1 << hashPower),
    maxBuckets,
    classSizes,
    largestClass: classSizes.length - 1,
  };
}
