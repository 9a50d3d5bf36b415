/**
 * Item contents: sizes, where the key and value lie, writing and copying them (plain or
 * chained), CAS, and memcached's rules for when an item is dead. Callers hold the item's
 * stripe lock, or own the item because it is not linked yet.
 */
import type { Engine } from './engine.ts';
import {
  C_CAS_INDEX64,
  C_NOW,
  C_OLDEST_CAS_HI,
  C_OLDEST_CAS_LO,
  C_OLDEST_LIVE,
  H_CAS_HI,
  H_CAS_LO,
  H_EXPTIME,
  H_HNEXT,
  H_META,
  H_NBYTES,
  H_TIME,
  REF_UNIT,
  S_CHAINED,
  S_DATA,
} from './layout.ts';

const TWO32 = 4294967296;

/** Bytes of a non-chained item, or -1 when it must be chained. */
export function plainSize(e: Engine, nkey: number, nbytes: number): number {
  const total = e.hdr + nkey + nbytes;
  return total <= e.chunkMax ? total : -1;
}

/** Offset, within a chained item's head chunk, of the word naming its first data chunk. */
export function chainLinkOffset(e: Engine, nkey: number): number {
  return (e.hdr + nkey + 3) & ~3;
}

/** Value bytes the head chunk of a chained item holds. */
export function headPieceBytes(e: Engine, nkey: number): number {
  return e.chunkMax - chainLinkOffset(e, nkey) - 4;
}

export function nkeyOf(e: Engine, ref: number): number {
  return e.m32[ref * 2 + H_META] & 0xff;
}

export function classOf(e: Engine, ref: number): number {
  return (e.m32[ref * 2 + H_META] >>> 8) & 0xff;
}

export function keyOffset(e: Engine, ref: number): number {
  return ref * REF_UNIT + e.hdr;
}

/** Byte offset of the value's first piece. */
export function valueOffset(e: Engine, ref: number): number {
  const w = ref * 2;
  const nkey = e.m32[w + H_META] & 0xff;
  if ((e.m32[w + H_META] & S_CHAINED) === 0) return ref * REF_UNIT + e.hdr + nkey;
  return ref * REF_UNIT + chainLinkOffset(e, nkey) + 4;
}

export function firstDataChunk(e: Engine, ref: number): number {
  const nkey = e.m32[ref * 2 + H_META] & 0xff;
  return e.m32[(ref * REF_UNIT + chainLinkOffset(e, nkey)) >> 2];
}

export function keyEquals(
  e: Engine,
  ref: number,
  key: Uint8Array,
  koff: number,
  klen: number,
): boolean {
  if ((e.m32[ref * 2 + H_META] & 0xff) !== klen) return false;
  const m8 = e.m8;
  let p = ref * REF_UNIT + e.hdr;
  for (let i = 0; i < klen; i++, p++) {
    if (m8[p] !== key[koff + i]) return false;
  }
  return true;
}

export function getCas(e: Engine, ref: number): number {
  if (!e.useCas) return 0;
  const w = ref * 2;
  return (e.m32[w + H_CAS_HI] >>> 0) * TWO32 + (e.m32[w + H_CAS_LO] >>> 0);
}

export function setCas(e: Engine, ref: number, cas: number): void {
  if (!e.useCas) return;
  const w = ref * 2;
  e.m32[w + H_CAS_HI] = Math.floor(cas / TWO32) | 0;
  e.m32[w + H_CAS_LO] = cas >>> 0;
}

/** The next CAS unique: 64-bit in shared memory, exact as a JS number up to 2^53, which at
 * ten million stores a second lasts 28 years. */
export function nextCas(e: Engine): number {
  return Number(Atomics.add(e.ctl64, C_CAS_INDEX64, 1n)) + 1;
}

export function peekCas(e: Engine): number {
  return Number(Atomics.load(e.ctl64, C_CAS_INDEX64));
}

/** memcached's item_is_flushed plus the exptime check: dead items are invisible at once. */
export function deadReason(e: Engine, ref: number): number {
  const w = ref * 2;
  const now = e.ctl[C_NOW];
  // memcached's do_item_get asks item_is_flushed before it looks at exptime.
  const oldest = e.ctl[C_OLDEST_LIVE];
  if (oldest !== 0 && oldest <= now) {
    if (e.m32[w + H_TIME] <= oldest) return DEAD_FLUSHED;
    if (e.useCas) {
      const ohi = e.ctl[C_OLDEST_CAS_HI] >>> 0;
      const olo = e.ctl[C_OLDEST_CAS_LO] >>> 0;
      if (ohi !== 0 || olo !== 0) {
        const hi = e.m32[w + H_CAS_HI] >>> 0;
        const lo = e.m32[w + H_CAS_LO] >>> 0;
        if ((hi !== 0 || lo !== 0) && (hi < ohi || (hi === ohi && lo < olo))) return DEAD_FLUSHED;
      }
    }
  }
  const exp = e.m32[w + H_EXPTIME];
  if (exp !== 0 && exp <= now) return DEAD_EXPIRED;
  return ALIVE;
}

export const ALIVE = 0;
export const DEAD_EXPIRED = 1;
export const DEAD_FLUSHED = 2;

/** Copies `len` bytes of `src` into the value of item `ref`, starting `at` bytes into the
 * value. Works across the data chunks of a chained item. */
export function writeValue(
  e: Engine,
  ref: number,
  at: number,
  src: Uint8Array,
  soff: number,
  len: number,
): void {
  if (len === 0) return;
  const w = ref * 2;
  if ((e.m32[w + H_META] & S_CHAINED) === 0) {
    copyIn(e, src, soff, valueOffset(e, ref) + at, len);
    return;
  }
  let cur = ref;
  let base = valueOffset(e, ref);
  let cap = headPieceBytes(e, e.m32[w + H_META] & 0xff);
  let next = firstDataChunk(e, ref);
  while (len > 0) {
    if (at < cap) {
      const n = Math.min(cap - at, len);
      copyIn(e, src, soff, base + at, n);
      soff += n;
      len -= n;
      at = 0;
    } else {
      at -= cap;
    }
    if (len === 0) break;
    cur = next;
    base = cur * REF_UNIT + e.hdr;
    cap = e.m32[cur * 2 + H_NBYTES];
    next = e.m32[cur * 2 + H_HNEXT];
  }
}

/** Copies the whole value of item `ref` into `dst` at `doff`. */
export function readValue(e: Engine, ref: number, dst: Uint8Array, doff: number): void {
  const w = ref * 2;
  let left = e.m32[w + H_NBYTES];
  if ((e.m32[w + H_META] & S_CHAINED) === 0) {
    copyOut(e, valueOffset(e, ref), dst, doff, left);
    return;
  }
  let n = Math.min(left, headPieceBytes(e, e.m32[w + H_META] & 0xff));
  copyOut(e, valueOffset(e, ref), dst, doff, n);
  doff += n;
  left -= n;
  let cur = firstDataChunk(e, ref);
  while (left > 0) {
    n = e.m32[cur * 2 + H_NBYTES];
    copyOut(e, cur * REF_UNIT + e.hdr, dst, doff, n);
    doff += n;
    left -= n;
    cur = e.m32[cur * 2 + H_HNEXT];
  }
}

/** Copies item-to-item value bytes (append, prepend): old value of `from` into `to` at `at`. */
export function copyValueBetween(e: Engine, from: number, to: number, at: number): void {
  const w = from * 2;
  let left = e.m32[w + H_NBYTES];
  if ((e.m32[w + H_META] & S_CHAINED) === 0) {
    writeValue(e, to, at, e.m8, valueOffset(e, from), left);
    return;
  }
  let n = Math.min(left, headPieceBytes(e, e.m32[w + H_META] & 0xff));
  writeValue(e, to, at, e.m8, valueOffset(e, from), n);
  at += n;
  left -= n;
  let cur = firstDataChunk(e, from);
  while (left > 0) {
    n = e.m32[cur * 2 + H_NBYTES];
    writeValue(e, to, at, e.m8, cur * REF_UNIT + e.hdr, n);
    at += n;
    left -= n;
    cur = e.m32[cur * 2 + H_HNEXT];
  }
}

/** Bytes a chunk in use asked for (memcached's mem_requested counts these). */
export function requestedBytes(e: Engine, ref: number): number {
  const meta = e.m32[ref * 2 + H_META];
  if ((meta & S_DATA) !== 0) return e.hdr + e.m32[ref * 2 + H_NBYTES];
  if ((meta & S_CHAINED) !== 0) return e.chunkMax;
  return e.hdr + (meta & 0xff) + e.m32[ref * 2 + H_NBYTES];
}

/** Below this, copies run as word loops: dst.set(src.subarray()) allocates a view per call
 * and is slow from a misaligned offset of shared memory, which values always start at. */
const WORD_COPY_MAX = 1024;

/** Copies len bytes of item memory at byte `at` into dst at doff. */
export function copyOut(e: Engine, at: number, dst: Uint8Array, doff: number, len: number): void {
  if (len > WORD_COPY_MAX) {
    dst.set(e.m8.subarray(at, at + len), doff);
    return;
  }
  const m8 = e.m8;
  let n = len;
  while (n > 0 && (at & 3) !== 0) {
    dst[doff++] = m8[at++];
    n--;
  }
  // Aligned 32-bit loads, four byte stores each (typed arrays are little-endian here, as on
  // every platform Node runs on).
  const m32 = e.m32;
  let w = at >> 2;
  while (n >= 4) {
    const v = m32[w++];
    dst[doff] = v;
    dst[doff + 1] = v >>> 8;
    dst[doff + 2] = v >>> 16;
    dst[doff + 3] = v >>> 24;
    doff += 4;
    n -= 4;
  }
  at = w << 2;
  while (n > 0) {
    dst[doff++] = m8[at++];
    n--;
  }
}

/** Copies len bytes of src at soff into item memory at byte `at`. */
export function copyIn(e: Engine, src: Uint8Array, soff: number, at: number, len: number): void {
  const m8 = e.m8;
  if (src === m8) {
    m8.copyWithin(at, soff, soff + len);
    return;
  }
  if (len > WORD_COPY_MAX) {
    m8.set(src.subarray(soff, soff + len), at);
    return;
  }
  let n = len;
  while (n > 0 && (at & 3) !== 0) {
    m8[at++] = src[soff++];
    n--;
  }
  const m32 = e.m32;
  let w = at >> 2;
  while (n >= 4) {
    m32[w++] = src[soff] | (src[soff + 1] << 8) | (src[soff + 2] << 16) | (src[soff + 3] << 24);
    soff += 4;
    n -= 4;
  }
  at = w << 2;
  while (n > 0) {
    m8[at++] = src[soff++];
    n--;
  }
}
