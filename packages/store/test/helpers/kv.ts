/**
 * Test conveniences over the store's byte-range API: string keys and values in, plain
 * objects out. Tests only; servers use the zero-copy API directly.
 */
import {
  ArithOutput,
  type ItemView,
  Mode,
  Read,
  type Store,
  type WriteMode,
} from '../../src/index.ts';

export interface Hit {
  value: string;
  flags: number;
  cas: number;
  ttl: number;
}

const hits: { last: Hit | null } = { last: null };
const reader = {
  onHit(item: ItemView) {
    const buf = Buffer.alloc(item.valueLength);
    item.copyValue(buf, 0);
    hits.last = { value: buf.toString('latin1'), flags: item.flags, cas: item.cas, ttl: item.ttl };
  },
};

export function get(store: Store, key: string): Hit | undefined {
  const k = Buffer.from(key);
  hits.last = null;
  return store.get(k, 0, k.length, reader) === Read.HIT ? (hits.last ?? undefined) : undefined;
}

export function gat(store: Store, key: string, exptime: number): Hit | undefined {
  const k = Buffer.from(key);
  hits.last = null;
  return store.getAndTouch(k, 0, k.length, exptime, reader) === Read.HIT
    ? (hits.last ?? undefined)
    : undefined;
}

export function write(
  store: Store,
  mode: WriteMode,
  key: string,
  value: string | Buffer,
  flags = 0,
  exptime = 0,
  cas = 0,
): number {
  const k = Buffer.from(key);
  const v = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  return store.write(mode, k, 0, k.length, v, 0, v.length, flags, exptime, cas);
}

export function set(
  store: Store,
  key: string,
  value: string | Buffer,
  flags = 0,
  exptime = 0,
): number {
  return write(store, Mode.SET, key, value, flags, exptime);
}

export function del(store: Store, key: string, cas = 0): number {
  const k = Buffer.from(key);
  return store.delete(k, 0, k.length, cas);
}

export function touch(store: Store, key: string, exptime: number): number {
  const k = Buffer.from(key);
  return store.touch(k, 0, k.length, exptime);
}

export function arith(
  store: Store,
  key: string,
  incr: boolean,
  delta: bigint,
  initial: bigint | null = null,
): { status: number; value: bigint; cas: number } {
  const k = Buffer.from(key);
  const out = new ArithOutput();
  const status = store.arith(k, 0, k.length, incr, delta, out, initial);
  return { status, value: out.value, cas: out.cas };
}
