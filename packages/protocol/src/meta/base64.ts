/**
 * Base64 for meta keys (the `b` flag), byte to byte with no strings, decoding as leniently
 * as memcached does.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ENCODE = new Uint8Array(64);
const DECODE = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) {
  ENCODE[i] = ALPHABET.charCodeAt(i);
  DECODE[ALPHABET.charCodeAt(i)] = i;
}
const PAD = 0x3d; // '='

/**
 * Decodes src[start, end) into dst at `at` the way memcached's base64_decode does: bytes
 * outside the alphabet are skipped, '=' counts as a zero digit, the count of digits must be
 * a non-zero multiple of four, and decoding stops after the first group that holds padding.
 * Returns the decoded length, or -1. dst may be src itself with at <= start (decoding never
 * writes ahead of what it reads).
 */
export function decodeBase64(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  at: number,
): number {
  let digits = 0;
  for (let i = start; i < end; i++) if (DECODE[src[i]] >= 0 || src[i] === PAD) digits++;
  if (digits === 0 || digits % 4 !== 0) return -1;
  let o = at;
  let block = 0;
  let n = 0;
  let pad = 0;
  for (let i = start; i < end; i++) {
    const ch = src[i];
    const v = ch === PAD ? 0 : DECODE[ch];
    if (v < 0) continue;
    if (ch === PAD) pad++;
    block = (block << 6) | v;
    if (++n < 4) continue;
    if (pad > 2) return -1;
    // A padded group gives one or two bytes; nothing is written past them.
    dst[o++] = block >>> 16;
    if (pad < 2) dst[o++] = (block >>> 8) & 0xff;
    if (pad < 1) dst[o++] = block & 0xff;
    if (pad > 0) break;
    n = 0;
    block = 0;
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
