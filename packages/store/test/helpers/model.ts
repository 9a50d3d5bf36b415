/**
 * A reference model of memcached 1.6's item semantics, for property tests of the store: a plain
 * Map of items and memcached's own clock, with no memory management at all. Each method applies
 * one operation the way memcached does and returns the reply it would give; the comments name
 * the memcached rule each step follows.
 *
 * What the model cannot know, it leaves open on purpose:
 *  - CAS numbers. It orders modifications with its own counter (enough for flush_all's
 *    same-second rule) and learns the engine's numbers as reads and incr/decr report them.
 *    checkCas() then holds the engine to memcached's CAS rules: non-zero, unique, growing, and
 *    unchanged until the next modification.
 *  - Eviction. The model never evicts; a test of a store under memory pressure calls forget()
 *    when the engine shows a key is gone.
 *
 * Items that are dead (expired or flushed) stay in the map until something looks them up, as
 * they stay in memcached's hash table until a lookup or the crawler unlinks them. That makes
 * curr_items predictable, and also memcached's quirk that a later flush_all can make a flushed
 * but not yet reclaimed item visible again.
 */
import {
  Arith,
  type ArithResult,
  Deleted,
  type DeleteResult,
  Mode,
  REALTIME_MAXDELTA,
  Read,
  type ReadResult,
  Stored,
  type StoreResult,
  type WriteMode,
} from '../../src/index.ts';

export interface ModelSettings {
  /** Unix second the store started at (memcached sets process_started 2 seconds earlier). */
  startTime: number;
  /** CAS on (memcached's default) or off (-C). */
  cas: boolean;
  /** The engine's item size accounting: header + key + value. */
  headerBytes: number;
  /** Items larger than this are chunked (memcached's slab_chunk_max). */
  slabChunkMax: number;
  /** Largest item (memcached's -I). */
  itemSizeMax: number;
}

export interface ModelItem {
  value: Buffer;
  flags: number;
  /** memcached's it->exptime: relative second the item dies at, 0 = never. */
  exptime: number;
  /** memcached's it->time: relative second of the last store or access. */
  time: number;
  /** memcached's ITEM_FETCHED: some fetch has returned this item (meta's "hit before"). */
  fetched: boolean;
  /** Position of the last modification in the model's CAS order (memcached's CAS counter). */
  seq: number;
  /** The engine's CAS for this version once a reply showed it; null until then. */
  cas: number | null;
  /** This version was made after every CAS seen so far, so its CAS is at least this. */
  minCas: number;
}

/** What a read saw: the reply code, and on a hit the item as the reply shows it. */
export interface ModelRead {
  result: ReadResult;
  value?: Buffer;
  flags?: number;
  /** Seconds to live as ItemView.ttl reports them: -1 = never. */
  ttl?: number;
  /** Whether an earlier fetch had returned the item (ItemView.fetched). */
  fetched?: boolean;
}

export interface ModelArith {
  result: ArithResult;
  /** The new value on OK. */
  value?: bigint;
}

type Dead = typeof Read.EXPIRED | typeof Read.FLUSHED | null;

const TWO64 = 1n << 64n;
const SPACE = 0x20;

export class MemcachedModel {
  readonly settings: ModelSettings;
  /** Keys as latin1 strings, so any byte string is a key. */
  items = new Map<string, ModelItem>();
  /** memcached's process_started: relative second 0 as a unix time. */
  readonly processStarted: number;
  /** memcached's current_time: seconds since process_started. */
  currentTime = 2;
  /** memcached's settings.oldest_live and settings.oldest_cas (flush_all). */
  oldestLive = 0;
  oldestCas = 0;
  /** memcached's global CAS counter, as the model's own order of modifications. */
  private casCounter = 0;
  /** Every CAS the engine has reported for some version of some item. */
  seenCas = new Set<number>();
  maxSeenCas = 0;

  constructor(settings: ModelSettings) {
    this.settings = settings;
    this.processStarted = settings.startTime - 2;
  }

  /** A copy to try an operation on (used where eviction makes the engine's answer open). The
   * CAS values seen are shared: only checkCas() adds to them, on the model that is kept. */
  clone(): MemcachedModel {
    const m = new MemcachedModel(this.settings);
    for (const [k, it] of this.items) m.items.set(k, { ...it });
    m.currentTime = this.currentTime;
    m.oldestLive = this.oldestLive;
    m.oldestCas = this.oldestCas;
    m.casCounter = this.casCounter;
    m.seenCas = this.seenCas;
    m.maxSeenCas = this.maxSeenCas;
    return m;
  }

  // ---- clock -------------------------------------------------------------------------

  /** The clock ticks: current_time is seconds since process_started (never below 2). */
  setTime(unix: number): void {
    this.currentTime = Math.max(2, Math.floor(unix) - this.processStarted);
  }

  /** memcached's realtime(): a protocol exptime to a relative second. */
  realtime(exptime: number): number {
    // 0 means never expire.
    if (exptime === 0) return 0;
    // Negative: already expired (relative second 1 is always in the past).
    if (exptime < 0) return 1;
    if (exptime > REALTIME_MAXDELTA) {
      // More than 30 days is an absolute unix time; one at or before the start is in the past.
      if (exptime <= this.processStarted) return 1;
      return exptime - this.processStarted;
    }
    // Up to 30 days: seconds from now.
    return exptime + this.currentTime;
  }

  // ---- item life -----------------------------------------------------------------------

  /** memcached's do_item_get checks, in its order: flushed, then expired. */
  deadReason(it: ModelItem): Dead {
    const expired = it.exptime !== 0 && it.exptime <= this.currentTime;
    if (this.isFlushed(it)) return Read.FLUSHED;
    if (expired) return Read.EXPIRED;
    return null;
  }

  /** memcached's item_is_flushed: a flush point that has come, and the item last used at or
   * before it, or (CAS on) modified before the flush by CAS order, which covers items stored
   * earlier in the same second. */
  private isFlushed(it: ModelItem): boolean {
    if (this.oldestLive === 0 || this.oldestLive > this.currentTime) return false;
    if (it.time <= this.oldestLive) return true;
    return this.settings.cas && this.oldestCas !== 0 && it.seq < this.oldestCas;
  }

  /** Every lookup unlinks a dead item it finds (lazy expiry), then reports a miss. */
  private lookup(key: string): { item: ModelItem | null; dead: Dead } {
    const it = this.items.get(key);
    if (it === undefined) return { item: null, dead: null };
    const dead = this.deadReason(it);
    if (dead !== null) {
      this.items.delete(key);
      return { item: null, dead };
    }
    return { item: it, dead: null };
  }

  /** A successful modification takes the next CAS (memcached's get_cas_id()). */
  private newVersion(value: Buffer, flags: number, exptime: number): ModelItem {
    return {
      value,
      flags: flags >>> 0,
      exptime,
      time: this.currentTime,
      fetched: false,
      seq: ++this.casCounter,
      cas: this.settings.cas ? null : 0,
      minCas: this.maxSeenCas + 1,
    };
  }

  /** do_item_update: a use of the item moves its last-access time to now. (memcached moves it
   * at most once a minute; that cannot change which items a flush kills, since a live item's
   * time is past the flush point either way.) Only fetches set the hit marker. */
  private touchTime(it: ModelItem, fetch = false): void {
    it.time = this.currentTime;
    if (fetch) it.fetched = true;
  }

  private tooLarge(keyLength: number, valueLength: number): boolean {
    return this.settings.headerBytes + keyLength + valueLength > this.settings.itemSizeMax;
  }

  private chunked(keyLength: number, valueLength: number): boolean {
    return this.settings.headerBytes + keyLength + valueLength > this.settings.slabChunkMax;
  }

  /** A CAS in a request matches the item's. While the engine's CAS for the current version is
   * unknown, the test never sends it (it only sends CAS values it has seen, which belong to
   * other versions, or ones never handed out). With CAS off, items have no CAS: memcached's
   * cas command never matches, and a delete or incr/decr with a CAS compares it with 0. */
  private casMatches(it: ModelItem, casUnique: number, casCommand = false): boolean {
    if (!this.settings.cas) {
      return casCommand ? false : casUnique === 0;
    }
    return it.cas !== null && it.cas === casUnique;
  }

  // ---- reads ---------------------------------------------------------------------------

  /** get / gets, and with `touchExptime` gat / gats / touch. */
  read(key: string, touchExptime: number | null = null): ModelRead {
    const { item, dead } = this.lookup(key);
    // A dead item is a miss (EXPIRED / FLUSHED only tell why).
    if (item === null) return { result: dead ?? Read.MISS };
    // gat / touch: the new exptime is set before the reply (a negative one still hits, once).
    if (touchExptime !== null) item.exptime = this.realtime(touchExptime);
    const reply: ModelRead = {
      result: Read.HIT,
      value: item.value,
      flags: item.flags,
      ttl: item.exptime === 0 ? -1 : item.exptime - this.currentTime,
      fetched: item.fetched,
    };
    // A hit is a fetch: a use of the item, and it sets the hit marker. Reads never change CAS.
    this.touchTime(item, true);
    return reply;
  }

  // ---- writes --------------------------------------------------------------------------

  /** set / add / replace / append / prepend / cas; `casUnique` as the binary protocol sends
   * it (0 = none). */
  write(
    mode: WriteMode,
    key: string,
    value: Buffer,
    flags: number,
    exptime: number,
    casUnique = 0,
  ): StoreResult {
    // With CAS off (-C) a CAS sent with a store is dropped (the item has nowhere to keep it).
    if (!this.settings.cas && mode !== Mode.CAS) casUnique = 0;
    if (mode === Mode.APPEND || mode === Mode.PREPEND) {
      return this.concat(mode, key, value, casUnique);
    }
    // The new item is allocated before the old one is looked at: too large fails first, and a
    // failed set unlinks the old item so that no stale value survives it.
    if (this.tooLarge(key.length, value.length)) {
      if (mode === Mode.SET) this.items.delete(key);
      return Stored.TOO_LARGE;
    }
    // set / add / replace with a CAS are a cas.
    if (casUnique !== 0) mode = Mode.CAS;
    const { item: old } = this.lookup(key);
    // add only adds a missing item, but counts as a use of an existing one.
    if (mode === Mode.ADD && old !== null) {
      this.touchTime(old);
      return Stored.NOT_STORED;
    }
    // replace needs an existing item.
    if (mode === Mode.REPLACE && old === null) return Stored.NOT_STORED;
    // cas: NOT_FOUND when there is nothing to compare with, EXISTS when someone changed the
    // item since the client read its CAS.
    if (mode === Mode.CAS) {
      if (old === null) return Stored.NOT_FOUND;
      if (!this.casMatches(old, casUnique, true)) return Stored.EXISTS;
    }
    this.items.set(key, this.newVersion(value, flags, this.realtime(exptime)));
    return Stored.STORED;
  }

  /** append / prepend: a new item holding both pieces, with the old item's flags and exptime. */
  private concat(mode: WriteMode, key: string, piece: Buffer, casUnique: number): StoreResult {
    // memcached allocates the new piece first: a piece too large on its own fails at once.
    if (this.tooLarge(key.length, piece.length)) return Stored.TOO_LARGE;
    const { item: old } = this.lookup(key);
    // Both need an existing item.
    if (old === null) return Stored.NOT_STORED;
    // A CAS, when sent, must match.
    if (casUnique !== 0 && !this.casMatches(old, casUnique)) return Stored.EXISTS;
    // The combined item cannot be allocated: memcached answers NOT_STORED.
    if (this.tooLarge(key.length, old.value.length + piece.length)) {
      return Stored.NOT_STORED;
    }
    const value =
      mode === Mode.APPEND ? Buffer.concat([old.value, piece]) : Buffer.concat([piece, old.value]);
    const it = this.newVersion(value, old.flags, old.exptime);
    this.items.set(key, it);
    return Stored.STORED;
  }

  /** delete: with a non-zero CAS (binary, meta) only when it matches. */
  delete(key: string, casUnique = 0): DeleteResult {
    const { item } = this.lookup(key);
    if (item === null) return Deleted.NOT_FOUND;
    if (casUnique !== 0 && !this.casMatches(item, casUnique)) return Deleted.EXISTS;
    this.items.delete(key);
    return Deleted.DELETED;
  }

  /** incr / decr (memcached's do_add_delta), with the binary protocol's `initial` to create a
   * missing counter (flags 0, the given exptime). */
  arith(
    key: string,
    incr: boolean,
    delta: bigint,
    initial: bigint | null = null,
    exptime = 0,
    casUnique = 0,
  ): ModelArith {
    const { item: old } = this.lookup(key);
    if (old === null) {
      if (initial === null) return { result: Arith.NOT_FOUND };
      this.items.set(key, this.newVersion(digits(initial), 0, this.realtime(exptime)));
      return { result: Arith.OK, value: initial };
    }
    const casWrong = casUnique !== 0 && !this.casMatches(old, casUnique);
    // An empty value, or a chunked one (too large to be a number), is not a number.
    if (old.value.length === 0 || this.chunked(key.length, old.value.length)) {
      return { result: Arith.NON_NUMERIC };
    }
    if (casWrong) return { result: Arith.EXISTS };
    // The value must read as an unsigned 64-bit decimal (safe_strtoull).
    const current = parseCounter(old.value);
    if (current === null) return { result: Arith.NON_NUMERIC };
    // incr wraps at 2^64; decr stops at 0.
    const next = incr ? (current + delta) % TWO64 : delta > current ? 0n : current - delta;
    const text = digits(next);
    if (text.length <= old.value.length) {
      // A result that fits is written in place, padded with trailing spaces to the old length:
      // the same item (same flags, exptime and hit marker), a new CAS, and a use of the item.
      const value = Buffer.alloc(old.value.length, SPACE);
      text.copy(value);
      const it = this.newVersion(value, old.flags, old.exptime);
      it.fetched = old.fetched;
      this.touchTime(it);
      this.items.set(key, it);
    } else {
      // A longer result makes a new item of exactly the digits, keeping flags and exptime.
      this.items.set(key, this.newVersion(text, old.flags, old.exptime));
    }
    return { result: Arith.OK, value: next };
  }

  /** flush_all [delay]: nothing is walked; a flush point makes older items dead. */
  flushAll(delay = 0): void {
    // No delay (or a non-positive one) means now.
    const newOldest = delay > 0 ? this.realtime(delay) : this.currentTime;
    if (this.settings.cas) {
      // With CAS the point is one second earlier, and items stored earlier in the flush's own
      // second die by CAS order instead: those modified before the flush have a lower CAS.
      this.oldestLive = newOldest - 1;
      if (this.oldestLive <= this.currentTime) this.oldestCas = ++this.casCounter;
    } else {
      // Without CAS, everything used up to and including the flush's second dies.
      this.oldestLive = newOldest;
    }
  }

  // ---- housekeeping --------------------------------------------------------------------

  /** The LRU crawler: unlinks every dead item; returns how many. */
  crawl(): number {
    let n = 0;
    for (const [key, it] of this.items) {
      if (this.deadReason(it) !== null) {
        this.items.delete(key);
        n++;
      }
    }
    return n;
  }

  /** Items in the hash table, dead or alive (memcached's curr_items). */
  get currItems(): number {
    return this.items.size;
  }

  /** The key is gone from the engine (evicted): forget it. */
  forget(key: string): void {
    this.items.delete(key);
  }

  // ---- CAS -----------------------------------------------------------------------------

  /**
   * Holds a CAS the engine reported for the current version of `key` to memcached's rules:
   * 0 with CAS off; otherwise non-zero, the same for as long as the version lives, and for a
   * new version one never reported before and above every CAS reported before it was made
   * (one global counter). Returns a complaint, or null; learns the CAS.
   */
  checkCas(key: string, cas: number): string | null {
    const it = this.items.get(key);
    if (it === undefined) return `no item for key ${JSON.stringify(key)}`;
    if (!this.settings.cas) return cas === 0 ? null : `CAS is off but the item has CAS ${cas}`;
    if (!Number.isSafeInteger(cas) || cas <= 0) return `CAS ${cas} is not a positive integer`;
    if (it.cas !== null) {
      return cas === it.cas ? null : `CAS changed from ${it.cas} to ${cas} without a write`;
    }
    if (this.seenCas.has(cas)) return `CAS ${cas} was already used by another item version`;
    if (cas < it.minCas) return `CAS ${cas} is below ${it.minCas}, a CAS seen before this write`;
    it.cas = cas;
    this.seenCas.add(cas);
    if (cas > this.maxSeenCas) this.maxSeenCas = cas;
    return null;
  }
}

/** The decimal digits of a counter as the bytes memcached stores. */
export function digits(v: bigint): Buffer {
  return Buffer.from(v.toString(), 'latin1');
}

const isSpace = (c: number) => c === SPACE || (c >= 0x09 && c <= 0x0d);

/**
 * memcached's safe_strtoull on an item's value: optional leading whitespace, an optional '+',
 * decimal digits, then the end or whitespace (memcached's value ends in "\r\n", so trailing
 * bytes after a space are ignored); at most 2^64 - 1. null = not a number.
 * One deliberate exception: strtoull also takes a '-' sign and memcached only rejects results
 * that look negative as signed, so it reads "-0" as 0 and "-18446744073709551615" as 1. The
 * engine rejects every '-', and so does the model.
 */
export function parseCounter(v: Buffer): bigint | null {
  let p = 0;
  while (p < v.length && isSpace(v[p])) p++;
  if (p < v.length && v[p] === 0x2b) p++;
  const start = p;
  while (p < v.length && v[p] >= 0x30 && v[p] <= 0x39) p++;
  if (p === start) return null;
  if (p < v.length && !isSpace(v[p])) return null;
  const n = BigInt(v.toString('latin1', start, p));
  return n < TWO64 ? n : null;
}
