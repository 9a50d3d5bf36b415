/**
 * The store's public face: memcached's item operations with memcached's semantics, on shared
 * memory that every thread can open. A request runs top to bottom: hash the key, take its
 * stripe lock, find it, act, unlock. New items are allocated and filled before the lock is
 * taken, so the lock covers only the lookup and the swap.
 */
import { cachedumpClass, collectItems, crawlStep, type ItemMeta } from './crawler.ts';
import { Engine, type SharedStore } from './engine.ts';
import { murmur3 } from './hash.ts';
import { find, maybeGrow, removeFound, replaceOrInsert } from './hashtable.ts';
import {
  ALIVE,
  classOf,
  copyValueBetween,
  DEAD_EXPIRED,
  deadReason,
  getCas,
  nextCas,
  peekCas,
  readValue,
  setCas,
  writeValue,
} from './items.ts';
import {
  C_HOT_PCT,
  C_NOW,
  C_OLDEST_CAS_HI,
  C_OLDEST_CAS_LO,
  C_OLDEST_LIVE,
  C_PAGE_LIMIT,
  C_STARTED,
  C_WARM_PCT,
  H_EXPTIME,
  H_FLAGS,
  H_META,
  H_NBYTES,
  H_TIME,
  REF_UNIT,
  S_ACTIVE,
  S_CHAINED,
  S_FETCHED,
  S_KEY_BINARY,
  S_STALE,
  S_WON,
} from './layout.ts';
import { allocItem, countOverwrite, discardItem, linkItem, unlinkItem } from './lifecycle.ts';
import { lock, recoverLocks, unlock } from './lock.ts';
import { loadSnapshot, type SnapshotInfo, saveSnapshot } from './persist.ts';
import { type ReassignResult, reassignPage } from './rebalance.ts';
import { type SelfCheckReport, selfCheck } from './selfcheck.ts';
import {
  MAX_KEY_LENGTH,
  REALTIME_MAXDELTA,
  resolveSettings,
  type StoreOptions,
  type StoreSettings,
} from './settings.ts';
import { classFor } from './slabs.ts';
import {
  type ItemClassStats,
  itemStats,
  type SlabClassStats,
  type StoreStats,
  slabStats,
  storeStats,
} from './stats.ts';

/** Outcome of a read. */
export const Read = { MISS: 0, HIT: 1, EXPIRED: 2, FLUSHED: 3 } as const;
export type ReadResult = (typeof Read)[keyof typeof Read];

/** How a write treats an existing item (memcached's set/add/replace/append/prepend/cas). */
export const Mode = { SET: 0, ADD: 1, REPLACE: 2, APPEND: 3, PREPEND: 4, CAS: 5 } as const;
export type WriteMode = (typeof Mode)[keyof typeof Mode];

/** Outcome of a write, named after memcached's replies. */
export const Stored = {
  STORED: 0,
  NOT_STORED: 1,
  EXISTS: 2,
  NOT_FOUND: 3,
  TOO_LARGE: 4,
  NO_MEMORY: 5,
} as const;
export type StoreResult = (typeof Stored)[keyof typeof Stored];

export const Deleted = { DELETED: 0, NOT_FOUND: 1, EXISTS: 2 } as const;
export type DeleteResult = (typeof Deleted)[keyof typeof Deleted];

export const Arith = { OK: 0, NOT_FOUND: 1, NON_NUMERIC: 2, NO_MEMORY: 3, EXISTS: 4 } as const;
export type ArithResult = (typeof Arith)[keyof typeof Arith];

const U64_MAX = (1n << 64n) - 1n;
const TWO64 = 1n << 64n;

/** What a read hands to its reader: the found item, valid only inside onHit. */
export class ItemView {
  /** @internal */ ref = 0;
  /** @internal */ readonly e: Engine;
  constructor(e: Engine) {
    this.e = e;
  }
  get flags(): number {
    return this.e.m32[this.ref * 2 + H_FLAGS] >>> 0;
  }
  get valueLength(): number {
    return this.e.m32[this.ref * 2 + H_NBYTES];
  }
  get keyLength(): number {
    return this.e.m32[this.ref * 2 + H_META] & 0xff;
  }
  /** 64-bit CAS unique as a number (exact below 2^53); 0 with CAS off. */
  get cas(): number {
    return getCas(this.e, this.ref);
  }
  /** Seconds until the item expires; -1 for never. */
  get ttl(): number {
    const exp = this.e.m32[this.ref * 2 + H_EXPTIME];
    return exp === 0 ? -1 : exp - this.e.ctl[C_NOW];
  }
  /** Seconds since the item was last read or written, before this read. */
  get idleSeconds(): number {
    return this.e.ctl[C_NOW] - this.e.m32[this.ref * 2 + H_TIME];
  }
  /** Whether the item had been read before this read. */
  get fetched(): boolean {
    return (this.e.m32[this.ref * 2 + H_META] & S_FETCHED) !== 0;
  }
  /** Whether the key was stored base64-decoded from a meta command (returned encoded). */
  get keyBinary(): boolean {
    return (this.e.m32[this.ref * 2 + H_META] & S_KEY_BINARY) !== 0;
  }
  /** The slab class holding the item. */
  get classId(): number {
    return (this.e.m32[this.ref * 2 + H_META] >>> 8) & 0xff;
  }
  /** Bytes the item takes: header, key and value. */
  get totalSize(): number {
    return this.e.hdr + this.keyLength + this.valueLength;
  }
  copyValue(dst: Uint8Array, offset: number): void {
    readValue(this.e, this.ref, dst, offset);
  }
  copyKey(dst: Uint8Array, offset: number): void {
    const at = this.ref * REF_UNIT + this.e.hdr;
    dst.set(this.e.m8.subarray(at, at + this.keyLength), offset);
  }
}

/** Receives a hit while the item's lock is held: copy what you need, do not keep the view. */
export interface ItemReader {
  onHit(item: ItemView): void;
}

/** Filled by incr/decr. */
export class ArithOutput {
  value = 0n;
  cas = 0;
  /** Seconds the item has left, -1 for never (meta `t`). */
  ttl = -1;
  /** The item was created from `initial` (meta `N`, binary incr on a miss). */
  created = false;
  /** The TTL before T changed it (-1 for never, as for a created item). */
  ttlBefore = -1;
}

/**
 * A meta get's (mg) options and, after the call, what it decided. One per connection,
 * reused: the store sets the outputs before it calls the reader, under the item's lock.
 */
export class MetaGet {
  /** T: set a new exptime. */
  touch = false;
  exptime = 0;
  /** N: on a miss create an empty item with this exptime and hand out the recache token. */
  vivify = false;
  vivifyExptime = 0;
  /** memcached applies T and N in request order: a created item keeps whichever came last. */
  touchAfterVivify = false;
  /** E: the CAS a vivified item gets (0 = the next one). */
  newCas = 0;
  /** R: win the recache token when the item has less than this exptime left. */
  recache = false;
  recacheExptime = 0;
  /** u: leave the item's LRU position and access time alone. */
  noBump = false;
  /** b: a vivified item's key came base64-encoded. */
  keyBinary = false;
  /** Look only (meta debug): no recache token is handed out. */
  peek = false;
  /** Outputs: the item was created by N; this client won the token (W); the token had
   * already gone to another client (Z); the item is invalidated (X). */
  created = false;
  won = false;
  tokenSent = false;
  stale = false;
  /** The item's TTL before T or N changed it (-1 for never, as for a new item). */
  ttlBefore = -1;
}

/** Extra behaviour of a meta set (ms) or a binary store. */
export class WriteExtras {
  /** E: the CAS value the stored item gets instead of the next one. 0 = none. */
  newCas = 0;
  /** I: a cas whose value is older than the item's stores anyway, marked stale. */
  invalidate = false;
  /** b: the key came base64-encoded. */
  keyBinary = false;
  /** N with append/prepend: a miss creates the item with this exptime. */
  appendVivify = false;
  vivifyExptime = 0;
}

/** Options of a meta delete (md). */
export class MetaDelete {
  /** I: keep the item but mark it stale, with a new CAS (and T's exptime). */
  invalidate = false;
  touch = false;
  exptime = 0;
  /** x: keep the item but empty its value; it takes `flags` and T's exptime (0 without T)
   * and keeps its CAS unless E gives one (memcached 1.6.45). */
  removeValue = false;
  flags = 0;
  /** E: CAS value for an item changed by I or x. */
  newCas = 0;
}

/** A plain delete: MetaDelete with no option set. */
const PLAIN_DELETE = new MetaDelete();

/** Extra inputs of a meta arithmetic (ma). */
export class ArithExtras {
  /** E: the CAS value the changed item gets. 0 = the next one. */
  newCas = 0;
  /** T: a new exptime for the item. */
  touch = false;
  exptime = 0;
  /** memcached applies T and N in request order: a created counter keeps whichever came
   * last, so T applies to it only when it came after N. */
  touchAfterVivify = false;
}

export class StoreKeyError extends RangeError {
  readonly code = 'SLAB_ERR_KEY';
}

export class Store {
  readonly settings: StoreSettings;
  /** @internal */ readonly e: Engine;
  private readonly view: ItemView;
  private crawlCursor = 0;
  private casOut = 0;
  private clsOut = 0;

  private constructor(e: Engine) {
    this.e = e;
    this.settings = e.settings;
    this.view = new ItemView(e);
  }

  /** Creates a new store in fresh shared memory. */
  static create(options: StoreOptions = {}): Store {
    const settings = resolveSettings(options);
    const start = options.startTime ?? Math.floor(Date.now() / 1000);
    return new Store(new Engine(Engine.allocate(settings, start), 0));
  }

  /** Opens a store created elsewhere (e.g. in the main thread) from its shared handle.
   * `threadId` must differ between threads: it is recorded in the locks they hold. */
  static open(shared: SharedStore, threadId: number): Store {
    return new Store(new Engine(shared, threadId));
  }

  /**
   * Warm restart: opens a store saved with saveSnapshot, or says why it cannot (another
   * format, or settings that lay memory out differently); the caller then creates a new one.
   * Items keep their values, flags, CAS and expiry; set the clock (setTime) before use.
   */
  static restore(
    options: StoreOptions,
    path: string,
  ): { store: Store; reason: null } | { store: null; reason: string } {
    const r = loadSnapshot(options, path);
    if (r.shared === null) return { store: null, reason: r.reason };
    return { store: new Store(new Engine(r.shared, 0)), reason: null };
  }

  /**
   * Frees every lock a dead thread left taken (locks record their owner) and wakes whoever
   * waits on them; returns how many. For the main thread, after a worker died and before its
   * replacement (which gets the same thread id) starts. The store itself stays consistent when
   * the thread died of an exception, which unwinds through the store's unlocking `finally`;
   * a lock still held means the thread was stopped inside a store call, and `check()` says
   * whether that left damage.
   */
  recoverLocks(threadId: number): number {
    return recoverLocks(this.e, threadId);
  }

  /** Test hook (slabcached's debug commands): takes the key's stripe lock and keeps it, as a
   * thread stopped inside a store call would. Never called in normal operation. */
  debugHoldKeyLock(key: Uint8Array, koff: number, klen: number): void {
    lock(this.e.ctl, this.e.stripeIndex(murmur3(key, koff, klen)), this.e.owner);
  }

  /** Writes the whole store to `path` for restore(). Only while no other thread uses it. */
  saveSnapshot(path: string): SnapshotInfo {
    return saveSnapshot(this.e, path);
  }

  /** The handle to send to worker threads (postMessage shares the memory, not a copy). */
  get shared(): SharedStore {
    return this.e.shared;
  }

  // ---- clock -------------------------------------------------------------------------

  /** Sets the store's clock from a unix time in seconds (the main thread does this each
   * second; tests drive it by hand). */
  setTime(unixSeconds: number): void {
    const rel = Math.floor(unixSeconds) - (this.e.ctl[C_STARTED] >>> 0);
    Atomics.store(this.e.ctl, C_NOW, Math.max(2, rel));
  }

  /** Current unix time as the store sees it. */
  get time(): number {
    return (this.e.ctl[C_STARTED] >>> 0) + this.e.ctl[C_NOW];
  }

  /** The store's relative clock (seconds since it started, plus 2). */
  get relativeTime(): number {
    return this.e.ctl[C_NOW];
  }

  /** The slab class of the item the last read hit, write stored (or tried to), delete
   * removed or arith changed; 0 when there was none. For memcached's per-class stats. */
  get lastClass(): number {
    return this.clsOut;
  }

  /** The CAS value the last successful write, delete-invalidate or arith gave its item. */
  get lastCas(): number {
    return this.casOut;
  }

  /** memcached's realtime(): a protocol exptime to a store-relative second, 0 = never. */
  expiryToRelative(exptime: number): number {
    if (exptime === 0) return 0;
    const started = this.e.ctl[C_STARTED] >>> 0;
    // Negative means already expired (memcached maps it past 30 days, before start).
    if (exptime < 0) return 1;
    if (exptime > REALTIME_MAXDELTA) {
      if (exptime <= started) return 1;
      return Math.min(exptime - started, 0x7fffffff);
    }
    return Math.min(exptime + this.e.ctl[C_NOW], 0x7fffffff);
  }

  // ---- reads -------------------------------------------------------------------------

  /** get / gets: on a hit calls reader.onHit under the item's lock. */
  get(key: Uint8Array, koff: number, klen: number, reader: ItemReader | null): ReadResult {
    return this.read(key, koff, klen, reader, false, 0);
  }

  /** gat / gats: a get that also sets a new exptime. */
  getAndTouch(
    key: Uint8Array,
    koff: number,
    klen: number,
    exptime: number,
    reader: ItemReader | null,
  ): ReadResult {
    return this.read(key, koff, klen, reader, true, exptime);
  }

  /** touch: sets a new exptime; HIT or a miss code. */
  touch(key: Uint8Array, koff: number, klen: number, exptime: number): ReadResult {
    return this.read(key, koff, klen, null, true, exptime);
  }

  /**
   * mg: a read with the meta protocol's options (see MetaGet): touch, vivify on a miss,
   * recache and stale tokens, no LRU bump. The reader sees the item with `req`'s outputs set
   * and the access time and fetched bit from before this read (for `h` and `l`).
   */
  metaGet(
    key: Uint8Array,
    koff: number,
    klen: number,
    req: MetaGet,
    reader: ItemReader,
  ): ReadResult {
    checkKey(klen);
    const e = this.e;
    const m32 = e.m32;
    const hash = murmur3(key, koff, klen);
    const stripe = e.stripeIndex(hash);
    let result: ReadResult = Read.MISS;
    req.created = false;
    req.won = false;
    req.tokenSent = false;
    req.stale = false;
    lock(e.ctl, stripe, e.owner);
    try {
      let ref = findLive(e, hash, key, koff, klen);
      if (ref === 0) {
        result = missReason();
        if (!req.vivify) return result;
        // Allocating under the stripe lock is safe: eviction only try-locks stripes.
        ref = allocItem(e, klen, 0);
        if (ref === 0) return result;
        const last = req.touch && req.touchAfterVivify ? req.exptime : req.vivifyExptime;
        this.fillNew(ref, key, koff, klen, 0, this.expiryToRelative(last));
        if (req.keyBinary) Atomics.or(m32, ref * 2 + H_META, S_KEY_BINARY);
        setCas(e, ref, newCasFor(e, req));
        req.ttlBefore = -1;
        find(e, hash, key, koff, klen); // allocation may have moved e.found*
        replaceOrInsert(e, 0, ref);
        linkItem(e, ref);
        req.created = true;
        req.won = true;
      } else {
        const w = ref * 2;
        const before = m32[w + H_EXPTIME];
        req.ttlBefore = before === 0 ? -1 : before - e.ctl[C_NOW];
        if (req.touch) m32[w + H_EXPTIME] = this.expiryToRelative(req.exptime);
        const exp = m32[w + H_EXPTIME];
        if (
          req.recache &&
          (m32[w + H_META] & S_WON) === 0 &&
          exp !== 0 &&
          exp < this.expiryToRelative(req.recacheExptime)
        )
          req.won = true;
      }
      const meta = m32[ref * 2 + H_META];
      req.tokenSent = (meta & S_WON) !== 0;
      req.stale = (meta & S_STALE) !== 0;
      // A stale item hands its token to the first client that sees it.
      if (req.stale && !req.tokenSent && !req.peek) req.won = true;
      if (req.won) Atomics.or(m32, ref * 2 + H_META, S_WON);
      this.view.ref = ref;
      reader.onHit(this.view);
      if (!req.noBump) bump(e, ref);
      this.clsOut = classOf(e, ref);
      result = Read.HIT;
    } finally {
      unlock(e.ctl, stripe);
    }
    if (req.created) maybeGrow(e, 4);
    return result;
  }

  /** Fills a freshly allocated item's header and key. */
  private fillNew(
    ref: number,
    key: Uint8Array,
    koff: number,
    klen: number,
    flags: number,
    relExptime: number,
  ): void {
    const e = this.e;
    const w = ref * 2;
    e.m32[w + H_TIME] = e.ctl[C_NOW];
    e.m32[w + H_EXPTIME] = relExptime;
    e.m32[w + H_FLAGS] = flags | 0;
    const kat = ref * REF_UNIT + e.hdr;
    const m8 = e.m8;
    for (let i = 0; i < klen; i++) m8[kat + i] = key[koff + i];
  }

  private read(
    key: Uint8Array,
    koff: number,
    klen: number,
    reader: ItemReader | null,
    touch: boolean,
    exptime: number,
  ): ReadResult {
    checkKey(klen);
    const e = this.e;
    const hash = murmur3(key, koff, klen);
    const stripe = e.stripeIndex(hash);
    let result: ReadResult = Read.MISS;
    lock(e.ctl, stripe, e.owner);
    try {
      const ref = findLive(e, hash, key, koff, klen);
      if (ref === 0) {
        result = missReason();
      } else {
        if (touch) e.m32[ref * 2 + H_EXPTIME] = this.expiryToRelative(exptime);
        if (reader !== null) {
          this.view.ref = ref;
          reader.onHit(this.view);
        }
        bump(e, ref);
        this.clsOut = classOf(e, ref);
        result = Read.HIT;
      }
    } finally {
      unlock(e.ctl, stripe);
    }
    return result;
  }

  // ---- writes ------------------------------------------------------------------------

  /**
   * set / add / replace / append / prepend / cas. `casUnique` is compared for Mode.CAS, and
   * for the other modes when non-zero (the binary protocol's CAS on set/add/replace).
   * append and prepend keep the item's flags and exptime, as memcached does. `extras` carries
   * the meta protocol's E, I, b and N (see WriteExtras). The stored item's CAS is `lastCas`.
   */
  write(
    mode: WriteMode,
    key: Uint8Array,
    koff: number,
    klen: number,
    value: Uint8Array,
    voff: number,
    vlen: number,
    flags: number,
    exptime: number,
    casUnique = 0,
    extras: WriteExtras | null = null,
  ): StoreResult {
    checkKey(klen);
    const e = this.e;
    this.clsOut = 0;
    // With CAS off every item's CAS reads 0, as in memcached -C: a CAS given with a store is
    // ignored, and `cas` itself can never match an existing item.
    if (!e.useCas && mode !== Mode.CAS) casUnique = 0;
    if (mode === Mode.APPEND || mode === Mode.PREPEND) {
      if (this.tooLarge(klen, vlen)) return Stored.TOO_LARGE;
      const r = this.concat(mode, key, koff, klen, value, voff, vlen, casUnique, extras);
      if (r === Stored.NOT_FOUND) {
        // Only asked with extras.appendVivify: the item is missing, so create it, with the
        // flags the request gave.
        const ttl = extras!.vivifyExptime;
        return this.write(Mode.ADD, key, koff, klen, value, voff, vlen, flags, ttl, 0, extras);
      }
      return r;
    }
    // memcached unlinks the old item when a set fails (too large, no memory), so no stale
    // value survives it; decided on the command as sent.
    const dropOnFailure = mode === Mode.SET;
    // memcached's binary protocol turns set/add/replace with a CAS into a cas.
    if (casUnique !== 0) mode = Mode.CAS;
    const hash = murmur3(key, koff, klen);
    if (mode !== Mode.ADD && e.hdr + klen + vlen <= e.chunkMax && extras?.invalidate !== true) {
      const r = this.overwrite(
        mode,
        hash,
        key,
        koff,
        klen,
        value,
        voff,
        vlen,
        flags,
        exptime,
        casUnique,
        extras,
      );
      if (r >= 0) return r as StoreResult;
    }
    const tooLarge = this.tooLarge(klen, vlen);
    const ref = tooLarge ? 0 : allocItem(e, klen, vlen);
    if (ref === 0) {
      if (dropOnFailure) this.delete(key, koff, klen);
      return tooLarge ? Stored.TOO_LARGE : Stored.NO_MEMORY;
    }
    this.clsOut = classOf(e, ref);
    this.fillNew(ref, key, koff, klen, flags, this.expiryToRelative(exptime));
    if (extras?.keyBinary === true) Atomics.or(e.m32, ref * 2 + H_META, S_KEY_BINARY);
    writeValue(e, ref, 0, value, voff, vlen);

    const stripe = e.stripeIndex(hash);
    let result: StoreResult = Stored.STORED;
    lock(e.ctl, stripe, e.owner);
    try {
      const old = findLive(e, hash, key, koff, klen);
      if (mode === Mode.ADD) {
        if (old !== 0) {
          touchTime(e, old); // memcached: a failed add still counts as a use of the item
          result = Stored.NOT_STORED;
        }
      } else if (mode === Mode.REPLACE && old === 0) {
        result = Stored.NOT_STORED;
      } else if (mode === Mode.CAS) {
        if (old === 0) result = Stored.NOT_FOUND;
        else if (!e.useCas || getCas(e, old) !== casUnique) {
          if (extras?.invalidate === true && e.useCas && casUnique < getCas(e, old)) {
            // memcached's stale set: the older value is stored, marked stale, keeping the
            // current item's exptime and whether its recache token is out.
            const m32 = e.m32;
            m32[ref * 2 + H_EXPTIME] = m32[old * 2 + H_EXPTIME];
            Atomics.or(m32, ref * 2 + H_META, S_STALE | (m32[old * 2 + H_META] & S_WON));
          } else result = Stored.EXISTS;
        }
      }
      if (result === Stored.STORED) {
        this.casOut = newCasFor(e, extras);
        setCas(e, ref, this.casOut);
        replaceOrInsert(e, old, ref);
        linkItem(e, ref);
        if (old !== 0) unlinkItem(e, old, false);
      }
    } finally {
      unlock(e.ctl, stripe);
    }
    if (result !== Stored.STORED) discardItem(e, ref);
    else maybeGrow(e, 4);
    return result;
  }

  /**
   * Replaces a live item's value where it lies when the new one needs a chunk of the same
   * class: no allocation, no relinking, one class lock (for its byte count) instead of three.
   * The item keeps its LRU place but is marked ACTIVE, so it gets WARM's second chance before
   * anything could evict it. Readers hold the stripe lock this runs under, so none sees a
   * half-written value. Returns -1 when the general path must run.
   */
  private overwrite(
    mode: WriteMode,
    hash: number,
    key: Uint8Array,
    koff: number,
    klen: number,
    value: Uint8Array,
    voff: number,
    vlen: number,
    flags: number,
    exptime: number,
    casUnique: number,
    extras: WriteExtras | null,
  ): number {
    const e = this.e;
    const m32 = e.m32;
    const stripe = e.stripeIndex(hash);
    lock(e.ctl, stripe, e.owner);
    try {
      const old = find(e, hash, key, koff, klen);
      if (old === 0) return -1;
      const w = old * 2;
      const meta = m32[w + H_META];
      if ((meta & S_CHAINED) !== 0 || deadReason(e, old) !== ALIVE) return -1;
      const cls = (meta >>> 8) & 0xff;
      if (classFor(e, e.hdr + klen + vlen) !== cls) return -1;
      this.clsOut = cls;
      if (mode === Mode.CAS && (!e.useCas || getCas(e, old) !== casUnique)) return Stored.EXISTS;
      const oldLen = m32[w + H_NBYTES];
      m32[w + H_TIME] = e.ctl[C_NOW];
      m32[w + H_EXPTIME] = this.expiryToRelative(exptime);
      m32[w + H_FLAGS] = flags | 0;
      m32[w + H_NBYTES] = vlen;
      writeValue(e, old, 0, value, voff, vlen);
      this.casOut = newCasFor(e, extras);
      setCas(e, old, this.casOut);
      // A new value starts fresh: unread, not stale, no recache token out.
      Atomics.and(m32, w + H_META, ~(S_FETCHED | S_STALE | S_WON | S_KEY_BINARY));
      Atomics.or(m32, w + H_META, S_ACTIVE | (extras?.keyBinary === true ? S_KEY_BINARY : 0));
      countOverwrite(e, cls, vlen - oldLen);
      return Stored.STORED;
    } finally {
      unlock(e.ctl, stripe);
    }
  }

  private concat(
    mode: WriteMode,
    key: Uint8Array,
    koff: number,
    klen: number,
    value: Uint8Array,
    voff: number,
    vlen: number,
    casUnique: number,
    extras: WriteExtras | null,
  ): StoreResult {
    const e = this.e;
    const hash = murmur3(key, koff, klen);
    const stripe = e.stripeIndex(hash);
    const m32 = e.m32;
    const result: StoreResult = Stored.STORED;
    lock(e.ctl, stripe, e.owner);
    try {
      const old = findLive(e, hash, key, koff, klen);
      if (old === 0) return extras?.appendVivify === true ? Stored.NOT_FOUND : Stored.NOT_STORED;
      if (casUnique !== 0 && getCas(e, old) !== casUnique) return Stored.EXISTS;
      const ow = old * 2;
      const oldLen = m32[ow + H_NBYTES];
      // memcached answers NOT_STORED when the combined item cannot be allocated, too large
      // or out of memory alike.
      if (e.hdr + klen + oldLen + vlen > this.settings.itemSizeMax) return Stored.NOT_STORED;
      // Allocating under the stripe lock is safe: eviction only try-locks stripes, and it
      // skips ours, so `old` cannot be evicted under us.
      const ref = allocItem(e, klen, oldLen + vlen);
      if (ref === 0) return Stored.NOT_STORED;
      this.fillNew(ref, key, koff, klen, m32[ow + H_FLAGS], m32[ow + H_EXPTIME]);
      Atomics.or(m32, ref * 2 + H_META, m32[ow + H_META] & S_KEY_BINARY);
      if (mode === Mode.APPEND) {
        copyValueBetween(e, old, ref, 0);
        writeValue(e, ref, oldLen, value, voff, vlen);
      } else {
        writeValue(e, ref, 0, value, voff, vlen);
        copyValueBetween(e, old, ref, vlen);
      }
      this.casOut = newCasFor(e, extras);
      setCas(e, ref, this.casOut);
      this.clsOut = classOf(e, ref);
      find(e, hash, key, koff, klen);
      replaceOrInsert(e, old, ref);
      linkItem(e, ref);
      unlinkItem(e, old, false);
    } finally {
      unlock(e.ctl, stripe);
    }
    return result;
  }

  /** delete; with a non-zero casUnique only when the item's CAS matches (binary, meta). */
  delete(key: Uint8Array, koff: number, klen: number, casUnique = 0): DeleteResult {
    return this.metaDelete(key, koff, klen, casUnique, PLAIN_DELETE);
  }

  /**
   * md: a delete, or with options instead an invalidation (I: mark it stale, new CAS,
   * optional new exptime, the recache token back in play) or an emptied value (x, see
   * MetaDelete). With a non-zero casUnique only when the item's CAS matches.
   */
  metaDelete(
    key: Uint8Array,
    koff: number,
    klen: number,
    casUnique: number,
    opts: MetaDelete,
  ): DeleteResult {
    checkKey(klen);
    const e = this.e;
    const m32 = e.m32;
    const hash = murmur3(key, koff, klen);
    const stripe = e.stripeIndex(hash);
    lock(e.ctl, stripe, e.owner);
    try {
      let ref = findLive(e, hash, key, koff, klen);
      if (ref === 0) return Deleted.NOT_FOUND;
      if (casUnique !== 0 && getCas(e, ref) !== casUnique) return Deleted.EXISTS;
      this.clsOut = classOf(e, ref);
      if (!opts.invalidate && !opts.removeValue) {
        removeFound(e, ref);
        unlinkItem(e, ref, false);
        return Deleted.DELETED;
      }
      if (opts.removeValue) {
        // A new empty item takes the old one's place (a chained value's chunks go with it).
        const old = ref;
        ref = allocItem(e, klen, 0);
        if (ref === 0) return Deleted.NOT_FOUND;
        const ow = old * 2;
        const rel = opts.touch ? this.expiryToRelative(opts.exptime) : 0;
        this.fillNew(ref, key, koff, klen, opts.flags, rel);
        Atomics.or(m32, ref * 2 + H_META, m32[ow + H_META] & (S_KEY_BINARY | S_STALE | S_WON));
        this.casOut = opts.newCas !== 0 && e.useCas ? opts.newCas : getCas(e, old);
        setCas(e, ref, this.casOut);
        find(e, hash, key, koff, klen);
        replaceOrInsert(e, old, ref);
        linkItem(e, ref);
        unlinkItem(e, old, false);
      }
      if (opts.invalidate) {
        const w = ref * 2;
        if (opts.touch) m32[w + H_EXPTIME] = this.expiryToRelative(opts.exptime);
        Atomics.or(m32, w + H_META, S_STALE);
        Atomics.and(m32, w + H_META, ~S_WON);
        this.casOut = newCasFor(e, opts);
        setCas(e, ref, this.casOut);
      }
      this.clsOut = classOf(e, ref); // x: the new item's class
      return Deleted.DELETED;
    } finally {
      unlock(e.ctl, stripe);
    }
  }

  /**
   * incr / decr with memcached's rules: the value must be a decimal unsigned 64-bit number;
   * incr wraps at 2^64, decr stops at 0. A result no longer than the old value is written in
   * place, padded with spaces (memcached does the same); a longer one makes a new item.
   * With `initial` set, a missing item is created with that value (binary and meta protocols).
   */
  arith(
    key: Uint8Array,
    koff: number,
    klen: number,
    incr: boolean,
    delta: bigint,
    out: ArithOutput,
    initial: bigint | null = null,
    exptime = 0,
    casUnique = 0,
    extras: ArithExtras | null = null,
  ): ArithResult {
    checkKey(klen);
    const e = this.e;
    const hash = murmur3(key, koff, klen);
    const stripe = e.stripeIndex(hash);
    out.created = false;
    lock(e.ctl, stripe, e.owner);
    try {
      const ref = this.arithLocked(
        key,
        koff,
        klen,
        hash,
        incr,
        delta,
        out,
        initial,
        exptime,
        casUnique,
        extras,
      );
      if (ref !== 0) {
        const w = ref * 2;
        const before = out.created ? 0 : e.m32[w + H_EXPTIME];
        out.ttlBefore = before === 0 ? -1 : before - e.ctl[C_NOW];
        if (extras?.touch === true && (!out.created || extras.touchAfterVivify))
          e.m32[w + H_EXPTIME] = this.expiryToRelative(extras.exptime);
        const exp = e.m32[w + H_EXPTIME];
        out.ttl = exp === 0 ? -1 : exp - e.ctl[C_NOW];
        out.cas = getCas(e, ref);
        this.casOut = out.cas;
        this.clsOut = classOf(e, ref);
        return Arith.OK;
      }
      return this.arithFailure;
    } finally {
      unlock(e.ctl, stripe);
      if (out.created) maybeGrow(e, 4);
    }
  }

  private arithFailure: ArithResult = Arith.OK;

  /** arith under the stripe lock: returns the changed or created item, or 0 with the reason
   * in arithFailure. */
  private arithLocked(
    key: Uint8Array,
    koff: number,
    klen: number,
    hash: number,
    incr: boolean,
    delta: bigint,
    out: ArithOutput,
    initial: bigint | null,
    exptime: number,
    casUnique: number,
    extras: ArithExtras | null,
  ): number {
    const e = this.e;
    const m32 = e.m32;
    const old = findLive(e, hash, key, koff, klen);
    if (old === 0) {
      if (initial === null) return this.fail(Arith.NOT_FOUND);
      const digits = decimalBytes(initial);
      const rel = this.expiryToRelative(exptime);
      const ref = this.newCounter(key, koff, klen, digits, 0, rel, extras);
      if (ref === 0) return this.fail(Arith.NO_MEMORY);
      find(e, hash, key, koff, klen); // allocation may have moved e.found*
      replaceOrInsert(e, 0, ref);
      linkItem(e, ref);
      out.value = initial;
      out.created = true;
      return ref;
    }
    const ow = old * 2;
    // memcached's do_add_delta: empty and chained values fail before the CAS check.
    if (m32[ow + H_NBYTES] === 0 || (m32[ow + H_META] & S_CHAINED) !== 0)
      return this.fail(Arith.NON_NUMERIC);
    if (casUnique !== 0 && getCas(e, old) !== casUnique) return this.fail(Arith.EXISTS);
    const current = parseCounter(e, old);
    if (current < 0n) return this.fail(Arith.NON_NUMERIC);
    let next: bigint;
    if (incr) next = (current + delta) % TWO64;
    else next = delta > current ? 0n : current - delta;
    const digits = decimalBytes(next);
    const oldLen = m32[ow + H_NBYTES];
    out.value = next;
    if (digits.length <= oldLen) {
      const at = old * REF_UNIT + e.hdr + (m32[ow + H_META] & 0xff);
      for (let i = 0; i < oldLen; i++) e.m8[at + i] = i < digits.length ? digits[i] : 0x20;
      setCas(e, old, newCasFor(e, extras));
      touchTime(e, old);
      return old;
    }
    const ref = this.newCounter(
      key,
      koff,
      klen,
      digits,
      m32[ow + H_FLAGS],
      m32[ow + H_EXPTIME],
      extras,
    );
    if (ref === 0) return this.fail(Arith.NO_MEMORY);
    find(e, hash, key, koff, klen);
    replaceOrInsert(e, old, ref);
    linkItem(e, ref);
    unlinkItem(e, old, false);
    return ref;
  }

  private fail(r: ArithResult): number {
    this.arithFailure = r;
    return 0;
  }

  private newCounter(
    key: Uint8Array,
    koff: number,
    klen: number,
    digits: Uint8Array,
    flags: number,
    relExptime: number,
    extras: ArithExtras | null,
  ): number {
    const e = this.e;
    const ref = allocItem(e, klen, digits.length);
    if (ref === 0) return 0;
    this.fillNew(ref, key, koff, klen, flags, relExptime);
    writeValue(e, ref, 0, digits, 0, digits.length);
    setCas(e, ref, newCasFor(e, extras));
    return ref;
  }

  /**
   * flush_all [delay], memcached's way: nothing is walked; items last used before the flush
   * point become invisible (with CAS on, items stored earlier in the same second too, by
   * CAS). The crawler and later lookups reclaim their memory.
   */
  flushAll(delay = 0): void {
    const e = this.e;
    const ctl = e.ctl;
    const now = ctl[C_NOW];
    const newOldest = delay > 0 ? this.expiryToRelative(delay) : now;
    if (e.useCas) {
      const oldest = newOldest - 1;
      if (oldest <= now) {
        const cas = peekCas(e) + 1;
        ctl[C_OLDEST_CAS_HI] = Math.floor(cas / 4294967296) | 0;
        ctl[C_OLDEST_CAS_LO] = cas >>> 0;
      }
      Atomics.store(ctl, C_OLDEST_LIVE, oldest);
    } else {
      Atomics.store(ctl, C_OLDEST_LIVE, newOldest);
    }
  }

  // ---- maintenance and introspection --------------------------------------------------

  /** Reclaims dead items in up to `pages` pages of item memory; returns how many it freed.
   * The main thread calls this in the background (memcached's LRU crawler). */
  crawl(pages = 1): number {
    let freed = 0;
    for (let i = 0; i < pages; i++) {
      const r = crawlStep(this.e, this.crawlCursor);
      this.crawlCursor = r.nextPage;
      freed += r.reclaimed;
    }
    return freed;
  }

  /** cache_memlimit: moves the page cap within the memory reserved at start. Pages already
   * handed to classes stay with them; the cap stops new ones. */
  setMemoryLimit(bytes: number): boolean {
    const pages = Math.floor(bytes / this.settings.pageSize);
    if (pages < 1 || pages > this.settings.maxPages) return false;
    Atomics.store(this.e.ctl, C_PAGE_LIMIT, pages);
    return true;
  }

  /** The LRU's HOT and WARM shares in percent (memcached's hot_lru_pct / warm_lru_pct). */
  lruShares(): { hot: number; warm: number } {
    return { hot: Atomics.load(this.e.ctl, C_HOT_PCT), warm: Atomics.load(this.e.ctl, C_WARM_PCT) };
  }

  /** lru tune: changes the shares for every thread at once. */
  setLruShares(hot: number, warm: number): boolean {
    if (hot <= 0 || warm <= 0 || hot + warm > 80) return false;
    Atomics.store(this.e.ctl, C_HOT_PCT, hot);
    Atomics.store(this.e.ctl, C_WARM_PCT, warm);
    return true;
  }

  /** Metadata of every live item (of the given classes): lru_crawler metadump. */
  dumpItems(classes: Set<number> | null = null): ItemMeta[] {
    return collectItems(this.e, classes);
  }

  /** stats cachedump: keys, value lengths and expiry (unix time, 0 = never) of items at the
   * head of a class's COLD list, as memcached's item_cachedump walks them. */
  cachedump(classId: number, limit: number): { key: Buffer; bytes: number; exptime: number }[] {
    return cachedumpClass(this.e, classId, limit);
  }

  /** slabs reassign <src> <dst>: moves one page between slab classes (-1 = any source). */
  reassignPage(src: number, dst: number): ReassignResult {
    return reassignPage(this.e, src, dst);
  }

  stats(): StoreStats {
    return storeStats(this.e);
  }

  slabStats(): SlabClassStats[] {
    return slabStats(this.e);
  }

  itemStats(): ItemClassStats[] {
    return itemStats(this.e);
  }

  /** Walks every structure and verifies every link and count. Run it only while no other
   * thread writes (tests, after a stress run). */
  /** Whether a key and value of these lengths make an item over -I (memcached's
   * item_size_ok): the store refuses it with TOO_LARGE, and servers refuse it before reading
   * its value. */
  tooLarge(klen: number, vlen: number): boolean {
    return this.e.hdr + klen + vlen > this.settings.itemSizeMax;
  }

  check(): SelfCheckReport {
    return selfCheck(this.e);
  }
}

function checkKey(klen: number): void {
  if (klen <= 0 || klen > MAX_KEY_LENGTH) {
    throw new StoreKeyError(`key length must be 1 to ${MAX_KEY_LENGTH} bytes, got ${klen}`);
  }
}

/** The CAS a changed item gets: meta's E value when given, else the next one. */
function newCasFor(e: Engine, extras: { newCas: number } | null): number {
  if (!e.useCas) return 0;
  return extras !== null && extras.newCas !== 0 ? extras.newCas : nextCas(e);
}

/** Why the last findLive() found no live item: ALIVE (nothing there), or the dead item's
 * reason. Module state is enough: a thread runs one store call at a time. */
let deadFound = ALIVE;

/**
 * find(), with memcached's lazy expiry: an expired or flushed item found is unlinked on the
 * spot and counts as absent. Returns the live item's ref or 0 (see deadFound). The hash
 * table's found position is left ready for an insert either way.
 */
function findLive(e: Engine, hash: number, key: Uint8Array, koff: number, klen: number): number {
  const ref = find(e, hash, key, koff, klen);
  deadFound = ref === 0 ? ALIVE : deadReason(e, ref);
  if (deadFound === ALIVE) return ref;
  removeFound(e, ref);
  unlinkItem(e, ref, true);
  find(e, hash, key, koff, klen);
  return 0;
}

/** A read's miss code after findLive(): expired, flushed or plain missing. */
function missReason(): ReadResult {
  if (deadFound === ALIVE) return Read.MISS;
  return deadFound === DEAD_EXPIRED ? Read.EXPIRED : Read.FLUSHED;
}

/** memcached's do_item_update: a use that is not a read only refreshes the access time. */
function touchTime(e: Engine, ref: number): void {
  const now = e.ctl[C_NOW];
  if (e.m32[ref * 2 + H_TIME] !== now) e.m32[ref * 2 + H_TIME] = now;
}

/** memcached's hit bookkeeping: the first read sets FETCHED, a later one ACTIVE. */
function bump(e: Engine, ref: number): void {
  const w = ref * 2;
  const m32 = e.m32;
  const meta = m32[w + H_META];
  if ((meta & S_FETCHED) === 0) Atomics.or(m32, w + H_META, S_FETCHED);
  else if ((meta & S_ACTIVE) === 0) Atomics.or(m32, w + H_META, S_ACTIVE);
  const now = e.ctl[C_NOW];
  if (m32[w + H_TIME] !== now) m32[w + H_TIME] = now;
}

/** The item's value as memcached's safe_strtoull reads it, or -1n if it is not a number. */
function parseCounter(e: Engine, ref: number): bigint {
  const w = ref * 2;
  const len = e.m32[w + H_NBYTES];
  if (len === 0 || (e.m32[w + H_META] & S_CHAINED) !== 0) return -1n;
  const m8 = e.m8;
  let p = ref * REF_UNIT + e.hdr + (e.m32[w + H_META] & 0xff);
  const end = p + len;
  while (p < end && isSpace(m8[p])) p++;
  if (p < end && m8[p] === 0x2b) p++; // strtoull takes a leading '+'
  const start = p;
  let v = 0n;
  let small = 0;
  let digits = 0;
  while (p < end && m8[p] >= 0x30 && m8[p] <= 0x39) {
    if (digits < 15) small = small * 10 + (m8[p] - 0x30);
    else {
      if (digits === 15) v = BigInt(small);
      v = v * 10n + BigInt(m8[p] - 0x30);
    }
    digits++;
    p++;
  }
  if (p === start) return -1n;
  if (p < end && !isSpace(m8[p])) return -1n;
  const value = digits <= 15 ? BigInt(small) : v;
  return value > U64_MAX ? -1n : value;
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function decimalBytes(v: bigint): Uint8Array {
  const s = v.toString();
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
