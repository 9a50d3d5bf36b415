/**
 * Server counters in shared memory: one slot of Float64 counters per worker thread, written
 * only by its own thread (no atomics on the hot path) and summed by whoever answers `stats`.
 * `stats reset` stores the current sums as a baseline instead of writing other threads' slots.
 * Names are memcached's.
 */
import { Read, type ReadResult, Stored, type StoreResult } from '@slabcache/store';

export const COUNTER_NAMES = [
  'cmd_get',
  'cmd_set',
  'cmd_flush',
  'cmd_touch',
  'cmd_meta',
  'get_hits',
  'get_misses',
  'get_expired',
  'get_flushed',
  'delete_misses',
  'delete_hits',
  'incr_misses',
  'incr_hits',
  'decr_misses',
  'decr_hits',
  'cas_misses',
  'cas_hits',
  'cas_badval',
  'touch_hits',
  'touch_misses',
  'store_too_large',
  'store_no_memory',
  'auth_cmds',
  'auth_errors',
  'bytes_read',
  'bytes_written',
  'curr_connections',
  'total_connections',
  'rejected_connections',
  'conn_yields',
  'ssl_handshake_errors',
  'ssl_new_sessions',
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];

/** Counter index by name, e.g. C.cmd_get. */
export const C = Object.fromEntries(COUNTER_NAMES.map((n, i) => [n, i])) as Record<
  CounterName,
  number
>;

/** memcached's per-class counters of `stats slabs`, one group per slab class id (0-63). */
export const SLAB_COUNTER_NAMES = [
  'get_hits',
  'cmd_set',
  'delete_hits',
  'incr_hits',
  'decr_hits',
  'cas_hits',
  'cas_badval',
  'touch_hits',
] as const;
const SLAB_FIELDS = SLAB_COUNTER_NAMES.length;
const SLAB_CLASSES = 64;

/** Index of class `cls`'s counter number `field` (SLAB_COUNTER_NAMES order) in a slot. */
export function slabCounter(cls: number, field: number): number {
  return COUNTER_NAMES.length + cls * SLAB_FIELDS + field;
}

const S_GET_HITS = 0;
const S_CMD_SET = 1;
const S_CAS_HITS = 5;
const S_CAS_BADVAL = 6;
const S_TOUCH_HITS = 7;
/** The per-class twin of a general hit counter. */
const SLAB_TWIN = new Map<number, number>([
  [C.delete_hits, 2],
  [C.incr_hits, 3],
  [C.decr_hits, 4],
  [C.touch_hits, S_TOUCH_HITS],
]);

export const COUNTERS = COUNTER_NAMES.length + SLAB_CLASSES * SLAB_FIELDS;
/** Gauges are not reset by `stats reset` (memcached keeps curr_connections). */
const GAUGES = new Set<number>([C.curr_connections]);

/** Slot layout: slot 0 is the baseline from the last `stats reset`, slots 1..N the threads. */
export function countersBytes(threads: number): number {
  return (threads + 1) * COUNTERS * 8;
}

export class Counters {
  readonly all: Float64Array;
  readonly threads: number;
  /** This thread's own slot (a view into `all`). */
  readonly mine: Float64Array;

  /** `slot` null: a reader (the main thread, for the admin service) that counts nothing;
   * its `mine` is private, so it can never write into a worker's slot. */
  constructor(buffer: SharedArrayBuffer, threads: number, slot: number | null) {
    this.all = new Float64Array(buffer);
    this.threads = threads;
    this.mine =
      slot === null
        ? new Float64Array(COUNTERS)
        : new Float64Array(buffer, (slot + 1) * COUNTERS * 8, COUNTERS);
  }

  /** Sums every thread's slot, less the reset baseline. */
  sum(): Float64Array {
    const out = this.rawSum();
    for (let i = 0; i < COUNTERS; i++) if (!GAUGES.has(i)) out[i] -= this.all[i];
    return out;
  }

  /** `stats reset`: the current sums become the zero point. */
  reset(): void {
    this.all.set(this.rawSum(), 0);
  }

  private rawSum(): Float64Array {
    const out = new Float64Array(COUNTERS);
    for (let t = 1; t <= this.threads; t++) {
      const base = t * COUNTERS;
      for (let i = 0; i < COUNTERS; i++) out[i] += this.all[base + i];
    }
    return out;
  }
}

/** Counts a get (or, with touch, a gat/touch) the way memcached does, whatever the protocol. */
export function countRead(
  stats: Float64Array,
  result: ReadResult,
  touch: boolean,
  cls: number,
): void {
  if (touch) {
    stats[C.cmd_touch]++;
    stats[result === Read.HIT ? C.touch_hits : C.touch_misses]++;
  } else {
    stats[C.cmd_get]++;
    stats[result === Read.HIT ? C.get_hits : C.get_misses]++;
  }
  if (result === Read.HIT && cls > 0) stats[slabCounter(cls, touch ? S_TOUCH_HITS : S_GET_HITS)]++;
  if (result === Read.EXPIRED) stats[C.get_expired]++;
  else if (result === Read.FLUSHED) stats[C.get_flushed]++;
}

/** Counts a store, and a refusal for size or memory; a cas (or a store carrying a CAS) also
 * counts its outcome. */
export function countStore(
  stats: Float64Array,
  result: StoreResult,
  cas: boolean,
  cls: number,
): void {
  stats[C.cmd_set]++;
  if (cls > 0) stats[slabCounter(cls, S_CMD_SET)]++;
  if (result === Stored.TOO_LARGE) stats[C.store_too_large]++;
  else if (result === Stored.NO_MEMORY) stats[C.store_no_memory]++;
  if (!cas) return;
  if (result === Stored.STORED) {
    stats[C.cas_hits]++;
    if (cls > 0) stats[slabCounter(cls, S_CAS_HITS)]++;
  } else if (result === Stored.EXISTS) {
    stats[C.cas_badval]++;
    if (cls > 0) stats[slabCounter(cls, S_CAS_BADVAL)]++;
  } else if (result === Stored.NOT_FOUND) stats[C.cas_misses]++;
}

/** A delete, incr, decr or touch hit: the general counter and its slab class's. */
export function countHit(stats: Float64Array, counter: number, cls: number): void {
  stats[counter]++;
  const twin = SLAB_TWIN.get(counter);
  if (twin !== undefined && cls > 0) stats[slabCounter(cls, twin)]++;
}
