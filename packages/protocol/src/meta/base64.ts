/**
 * Base64 for meta keys (the `b` flag), byte to byte with no strings. Decoding is strict like
 * memcached's: whole 4-character groups, padding only at the end.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ENCODE = new Uint8Array(64);
const DECODE = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) {
  ENCODE[i] = ALPHABET.charCodeAt(i);
  DECODE[ALPHABET.charCodeAt(i)] = i;
}
const PAD = 0x3d; // '='

/** Decodes src[start, end) into dst at `at`; returns the decoded length, or -1 if invalid.
 * dst may be src itself with at <= start (decoding never writes ahead of what it reads). */
export function decodeBase64(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  at: number,
): number {
  const n = end - start;
  if (n === 0 || n % 4 !== 0) return -1;
  let pad = 0;
  if (src[end - 1] === PAD) pad = src[end - 2] === PAD ? 2 : 1;
  let o = at;
  for (let i = start; i < end; i += 4) {
    const last = i + 4 === end;
    const a = DECODE[src[i]];
    const b = DECODE[src[i + 1]];
    const c = last && pad === 2 ? 0 : DECODE[src[i + 2]];
    const d = last && pad >= 1 ? 0 : DECODE[src[i + 3]];
    if ((a | b | c | d) < 0) return -1;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    dst[o++] = v >>> 16;
    if (!last || pad < 2) dst[o++] = (v >>> 8) & 0xff;
    if (!last || pad < 1) dst[o++] = v & 0xff;
  }
  return o - at;
}

/** Bytes that encoding n bytes takes. */
export function base64Length(n: number): number {
  return Math.ceil(n / 3) * 4;
}

/** Encodes src[start, end) into dst at `at`; returns the encoded length. */
export function encodeBase64(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  at: number,
): number {
  let o = at;
  let i = start;
  for (; i + 3 <= end; i += 3) {
    const v = (src[i] << 16) | (src[i + 1] << 8) | src[i + 2];
    dst[o++] = ENCODE[v >>> 18];
    dst[o++] = ENCODE[(v >>> 12) & 63];
    dst[o++] = ENCODE[(v >>> 6) & 63];
    dst[o++] = ENCODE[v & 63];
  }
  const left = end - i;
  if (left > 0) {
    const v = (src[i] << 16) | (left === 2 ? src[i + 1] << 8 : 0);
    dst[o++] = ENCODE[v >>> 18];
    dst[o++] = ENCODE[(v >>> 12) & 63];
    dst[o++] = left === 2 ? ENCODE[(v >>> 6) & 63] : PAD;
    dst[o++] = PAD;
  }
  return o - at;
}
