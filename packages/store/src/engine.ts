/**
 * One thread's view of a store's shared memory: the typed arrays over the three buffers, the
 * settings, and this thread's lock-owner id. Every engine module takes an Engine first; none
 * keeps state of its own, so any thread can run any of them.
 */
import {
  C_BUCKETS,
  C_HOT_PCT,
  C_MAGIC,
  C_NOW,
  C_PAGE_LIMIT,
  C_STARTED,
  C_VERSION,
  C_WARM_PCT,
  classBase,
  controlBytes,
  itemsBytes,
  K_PER_PAGE,
  K_SIZE,
  LAYOUT_VERSION,
  MAGIC,
  pageOwnersByteOffset,
  STRIPES_BASE,
} from './layout.ts';
import { ownerId } from './lock.ts';
import type { StoreSettings } from './settings.ts';

/** Everything a thread needs to open a store: plain data plus SharedArrayBuffers, so it can
 * be sent to a worker with postMessage. */
export interface SharedStore {
  settings: StoreSettings;
  control: SharedArrayBuffer;
  table: SharedArrayBuffer;
  items: SharedArrayBuffer;
}

export class Engine {
  readonly settings: StoreSettings;
  readonly shared: SharedStore;
  /** Control block: header, class table, stripe locks. */
  readonly ctl: Int32Array;
  readonly ctl64: BigInt64Array;
  /** Page owner table: class id of each page, 0 = unassigned. */
  readonly owners: Uint8Array;
  /** Hash index: bucket -> first item ref. */
  readonly table: Int32Array;
  /** Item memory as bytes and as words. */
  readonly m8: Uint8Array;
  readonly m32: Int32Array;
  /** Copy of settings used on hot paths. */
  readonly hdr: number;
  readonly stripeMask: number;
  readonly chunkMax: number;
  readonly largest: number;
  readonly useCas: boolean;
  /** This thread's id in lock words. */
  readonly owner: number;
  /** A data chain left by an eviction under a class lock, freed once that lock is dropped
   * (freeing it needs other class locks; see lock.ts). */
  pendingChain = 0;
  /** Set by hashtable.find: the item before the found one in its chain (0 = bucket head). */
  foundPrev = 0;
  foundBucket = 0;

  constructor(shared: SharedStore, threadId: number) {
    const s = shared.settings;
    this.settings = s;
    this.shared = shared;
    this.ctl = new Int32Array(shared.control);
    this.ctl64 = new BigInt64Array(shared.control, 0, 16);
    this.owners = new Uint8Array(shared.control, pageOwnersByteOffset(s.stripes), s.maxPages);
    this.table = new Int32Array(shared.table);
    this.m8 = new Uint8Array(shared.items);
    this.m32 = new Int32Array(shared.items);
    this.hdr = s.headerBytes;
    this.stripeMask = s.stripes - 1;
    this.chunkMax = s.slabChunkMax;
    this.largest = s.largestClass;
    this.useCas = s.cas;
    this.owner = ownerId(threadId);
    if (this.ctl[C_MAGIC] !== MAGIC || this.ctl[C_VERSION] !== LAYOUT_VERSION) {
      throw new Error('shared memory does not hold a slabcache store of this layout version');
    }
  }

  /** Allocates and initialises the shared memory of a new store. */
  static allocate(settings: StoreSettings, startTime: number): SharedStore {
    const sizes = {
      stripes: settings.stripes,
      maxPages: settings.maxPages,
      pageSize: settings.pageSize,
      maxBuckets: settings.maxBuckets,
    };
    // SharedArrayBuffers are zero-filled and committed lazily by the OS, so reserving the
    // table's largest size and all item pages costs resident memory only as they are used.
    const control = new SharedArrayBuffer(controlBytes(sizes));
    const table = new SharedArrayBuffer(settings.maxBuckets * 4);
    const items = new SharedArrayBuffer(itemsBytes(sizes));
    const ctl = new Int32Array(control);
    ctl[C_MAGIC] = MAGIC;
    ctl[C_VERSION] = LAYOUT_VERSION;
    // Relative time starts at 2 like memcached's (process_started is set back so that no
    // live timestamp is 0, which means "never" for exptime).
    ctl[C_STARTED] = (startTime - 2) | 0;
    ctl[C_NOW] = 2;
    ctl[C_BUCKETS] = 1 << settings.hashPower;
    ctl[C_PAGE_LIMIT] = settings.maxPages;
    ctl[C_HOT_PCT] = settings.hotPercent;
    ctl[C_WARM_PCT] = settings.warmPercent;
    for (let id = 1; id <= settings.largestClass; id++) {
      const k = classBase(id);
      ctl[k + K_SIZE] = settings.classSizes[id];
      ctl[k + K_PER_PAGE] = Math.floor(settings.pageSize / settings.classSizes[id]);
    }
    return { settings, control, table, items };
  }

  stripeIndex(hash: number): number {
    return STRIPES_BASE + (hash & this.stripeMask);
  }
}
