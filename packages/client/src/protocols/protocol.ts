/**
 * What the client asks of a wire protocol: one builder per operation, each returning a
 * Request that writes the command and reads its reply into a plain result. Keys arrive
 * validated and namespaced, values already serialized; TTLs are memcached's exptime (seconds,
 * 0 = never, above 30 days a unix time).
 */
import { Request } from '../request.ts';

/** A value as stored: its bytes, its client flags and (when asked for) its CAS. */
export interface RawItem {
  value: Buffer;
  flags: number;
  /** -1n when the request did not ask for it. */
  cas: bigint;
}

/** An item read with the meta protocol's lease flags (N, R): who recomputes it. */
export interface LeaseItem extends RawItem {
  /** W: this caller won the right to recompute the value. */
  won: boolean;
  /** X: the value was invalidated (stale). */
  stale: boolean;
  /** Z: another caller already won; this one should use the value or wait. */
  winSent: boolean;
}

export type StoreMode = 'set' | 'add' | 'replace' | 'append' | 'prepend' | 'cas';

export type ProtocolName = 'meta' | 'text' | 'binary';

export interface Protocol {
  readonly name: ProtocolName;
  /** get / gets (withCas) / gat and gats (touch >= 0: set the TTL too). */
  get(key: string, withCas: boolean, touch: number): Request<RawItem | undefined>;
  /** Hits only, by key. */
  getMulti(keys: string[]): Request<Map<string, RawItem>>;
  /** true when stored; false for NOT_STORED, EXISTS (cas) and NOT_FOUND (cas, append). */
  store(
    mode: StoreMode,
    key: string,
    value: Uint8Array,
    flags: number,
    ttl: number,
    cas: bigint,
  ): Request<boolean>;
  delete(key: string): Request<boolean>;
  /** The new value, or undefined for a missing key (created with `initial` when given,
   * where the wire can: not on the text protocol). */
  counter(
    decrement: boolean,
    key: string,
    delta: bigint,
    initial: bigint | undefined,
    ttl: number,
  ): Request<bigint | undefined>;
  touch(key: string, ttl: number): Request<boolean>;
  flush(delay: number): Request<void>;
  version(): Request<string>;
  stats(group: string): Request<Record<string, string>>;
  /** Meta only: a get that hands out the recompute lease (N vivify, R recache). */
  lease?(key: string, lockTtl: number, recacheBelow: number): Request<LeaseItem>;
  /** Meta only: marks the item stale for `ttl` seconds instead of deleting it. */
  invalidate?(key: string, ttl: number): Request<boolean>;
}

/** A multi-get: its keys (in request order, so a reply's opaque can name one) and the hits
 * found so far, by key. */
export abstract class MultiGetRequest extends Request<Map<string, RawItem>> {
  protected readonly keys: string[];

  constructor(keys: string[]) {
    super();
    this.keys = keys;
    this.result = new Map();
  }
}
