/**
 * Self-checking values for the concurrency stress test. Every value says which key it belongs
 * to and carries a checksum, so a reader can tell a torn, truncated or misplaced value from a
 * good one without knowing which write produced it.
 *
 *   plain keys   [key bytes][0x00][payload][u32 FNV-1a of everything before it]
 *   append keys  a run of records, each [0xA5][u16 L][u32 FNV of the key][L payload bytes]
 *                [u32 FNV of the record so far]; append and prepend add whole records, so
 *                any interleaving of them still parses, and a torn one does not
 *   counters     decimal digits, then spaces (incr/decr rewrite in place and pad)
 */

export const KEY_PLAIN = 0;
export const KEY_APPEND = 1;
export const KEY_COUNTER = 2;
export const KEY_PRIVATE = 3;

export function keyName(kind: number, index: number, owner = 0): string {
  switch (kind) {
    case KEY_PLAIN:
      return `s:${index}`;
    case KEY_APPEND:
      return `a:${index}`;
    case KEY_COUNTER:
      return `n:${index}`;
    default:
      return `p:${owner}:${index}`;
  }
}

export function fnv32(buf: Uint8Array, off: number, len: number, seed = 0x811c9dc5): number {
  let h = seed;
  const end = off + len;
  for (let i = off; i < end; i++) {
    h ^= buf[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The flags every write of a key uses (counters are created by incr, with flags 0). */
export function flagsFor(kind: number, key: Uint8Array): number {
  return kind === KEY_COUNTER ? 0 : fnv32(key, 0, key.length);
}

/** Small fast PRNG (mulberry32); deterministic per seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo));
  }
}

export const NOISE_BYTES = 512 * 1024;

/** Random bytes that payloads are cut from (cheaper than generating each payload). */
export function makeNoise(seed: number): Uint8Array {
  const rng = new Rng(seed);
  const out = new Uint8Array(NOISE_BYTES);
  for (let i = 0; i < out.length; i += 4) {
    const v = (rng.next() * 4294967296) >>> 0;
    out[i] = v;
    out[i + 1] = v >>> 8;
    out[i + 2] = v >>> 16;
    out[i + 3] = v >>> 24;
  }
  return out;
}

function writeU32(dst: Uint8Array, at: number, v: number): void {
  dst[at] = v;
  dst[at + 1] = v >>> 8;
  dst[at + 2] = v >>> 16;
  dst[at + 3] = v >>> 24;
}

function readU32(src: Uint8Array, at: number): number {
  return (src[at] | (src[at + 1] << 8) | (src[at + 2] << 16) | (src[at + 3] << 24)) >>> 0;
}

/** Builds a plain value of `payload` payload bytes in dst; returns its length. */
export function buildPlain(
  dst: Uint8Array,
  key: Uint8Array,
  payload: number,
  noise: Uint8Array,
  noiseOff: number,
): number {
  const klen = key.length;
  dst.set(key, 0);
  dst[klen] = 0;
  dst.set(noise.subarray(noiseOff, noiseOff + payload), klen + 1);
  const n = klen + 1 + payload;
  writeU32(dst, n, fnv32(dst, 0, n));
  return n + 4;
}

/** Checksum a plain value ends with (lets a writer remember what it stored). */
export function plainSum(val: Uint8Array, len: number): number {
  return readU32(val, len - 4);
}

/** null when `val[0..len)` is a whole plain value of `key`, else what is wrong. */
export function verifyPlain(key: Uint8Array, val: Uint8Array, len: number): string | null {
  const klen = key.length;
  if (len < klen + 5) return `length ${len} is too short for a value of this key`;
  for (let i = 0; i < klen; i++) {
    if (val[i] !== key[i]) return `value belongs to another key (byte ${i} differs)`;
  }
  if (val[klen] !== 0) return 'value has no separator after its key';
  const want = fnv32(val, 0, len - 4);
  const got = readU32(val, len - 4);
  if (want !== got) return `checksum mismatch over ${len} bytes (torn value)`;
  return null;
}

export const RECORD_OVERHEAD = 11;

/** Writes one record at dst[at]; returns the record's length. */
export function buildRecord(
  dst: Uint8Array,
  at: number,
  keyHash: number,
  payload: number,
  noise: Uint8Array,
  noiseOff: number,
): number {
  dst[at] = 0xa5;
  dst[at + 1] = payload;
  dst[at + 2] = payload >>> 8;
  writeU32(dst, at + 3, keyHash);
  dst.set(noise.subarray(noiseOff, noiseOff + payload), at + 7);
  writeU32(dst, at + 7 + payload, fnv32(dst, at, 7 + payload));
  return RECORD_OVERHEAD + payload;
}

/** null when `val[0..len)` is a run of whole records of this key, else what is wrong. */
export function verifyRecords(keyHash: number, val: Uint8Array, len: number): string | null {
  if (len === 0) return 'empty value';
  let p = 0;
  let n = 0;
  while (p < len) {
    if (len - p < RECORD_OVERHEAD) return `record ${n} at ${p}: only ${len - p} bytes left`;
    if (val[p] !== 0xa5) return `record ${n} at ${p}: bad magic ${val[p]}`;
    const l = val[p + 1] | (val[p + 2] << 8);
    if (p + RECORD_OVERHEAD + l > len) return `record ${n} at ${p}: length ${l} runs past the end`;
    if (readU32(val, p + 3) !== keyHash) return `record ${n} at ${p}: belongs to another key`;
    if (fnv32(val, p, 7 + l) !== readU32(val, p + 7 + l)) {
      return `record ${n} at ${p}: checksum mismatch (torn record)`;
    }
    p += RECORD_OVERHEAD + l;
    n++;
  }
  return null;
}

const U64_MAX = (1n << 64n) - 1n;

/** null when the value is a counter: 1-20 digits, then only spaces, at most 2^64-1. */
export function verifyCounter(val: Uint8Array, len: number): string | null {
  let p = 0;
  while (p < len && val[p] >= 0x30 && val[p] <= 0x39) p++;
  if (p === 0 || p > 20) return `counter has ${p} leading digits`;
  for (let i = p; i < len; i++) {
    if (val[i] !== 0x20) return `counter has byte ${val[i]} after its digits`;
  }
  let v = 0n;
  for (let i = 0; i < p; i++) v = v * 10n + BigInt(val[i] - 0x30);
  if (v > U64_MAX) return 'counter exceeds 2^64-1';
  return null;
}

/** Verifies a value of any kind; null when it is whole. */
export function verifyValue(
  kind: number,
  key: Uint8Array,
  val: Uint8Array,
  len: number,
): string | null {
  if (kind === KEY_APPEND) return verifyRecords(fnv32(key, 0, key.length), val, len);
  if (kind === KEY_COUNTER) return verifyCounter(val, len);
  return verifyPlain(key, val, len);
}
