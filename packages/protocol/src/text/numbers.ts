/**
 * Decimal numbers read straight from request bytes, with memcached's acceptance rules
 * (its safe_strtoul / safe_strtol / safe_strtoull): an optional sign, digits, nothing else.
 * Each returns a sentinel on failure so callers reply CLIENT_ERROR without exceptions.
 */

/** Unsigned 32-bit (flags, counts). -1 when not a number or out of range. */
export function parseU32(buf: Uint8Array, start: number, end: number): number {
  if (start < end && buf[start] === 0x2b) start++; // strtoul takes '+'
  if (start >= end || end - start > 10) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v > 0xffffffff ? -1 : v;
}

/** Signed 32-bit (exptime, lengths). NaN when not a number or out of range. */
export function parseI32(buf: Uint8Array, start: number, end: number): number {
  let neg = false;
  if (start < end && (buf[start] === 0x2d || buf[start] === 0x2b)) {
    neg = buf[start] === 0x2d;
    start++;
  }
  if (start >= end || end - start > 10) return Number.NaN;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  if (neg) v = -v;
  return v > 0x7fffffff || v < -0x80000000 ? Number.NaN : v;
}

const U64_MAX = (1n << 64n) - 1n;

/** Unsigned 64-bit (incr delta, CAS). -1n when not a number or above 2^64 - 1. */
export function parseU64(buf: Uint8Array, start: number, end: number): bigint {
  if (start < end && buf[start] === 0x2b) start++;
  if (start >= end || end - start > 20) return -1n;
  let small = 0;
  let i = start;
  // Up to 15 digits fit a double exactly; only longer numbers pay for BigInt.
  const fast = Math.min(end, start + 15);
  for (; i < fast; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return -1n;
    small = small * 10 + d;
  }
  if (i === end) return BigInt(small);
  let v = BigInt(small);
  for (; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return -1n;
    v = v * 10n + BigInt(d);
  }
  return v > U64_MAX ? -1n : v;
}

/** Unsigned 64-bit as a JS number (a CAS unique); exact below 2^53, which covers every CAS
 * a store hands out. -1 when not a number. */
export function parseU64Number(buf: Uint8Array, start: number, end: number): number {
  if (start < end && buf[start] === 0x2b) start++;
  if (start >= end || end - start > 20) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  // Doubles round 2^64 - 1 up to 2^64, so the top of the range is checked on the digits.
  if (end - start === 20) return aboveU64Max(buf, start) ? -1 : v;
  return v;
}

const U64_MAX_DIGITS = '18446744073709551615';

function aboveU64Max(buf: Uint8Array, start: number): boolean {
  for (let i = 0; i < 20; i++) {
    const d = buf[start + i] - U64_MAX_DIGITS.charCodeAt(i);
    if (d !== 0) return d > 0;
  }
  return false;
}

/** Writes `v` (a non-negative integer below 2^53) as decimal at `at`; returns the new end. */
export function writeDecimal(dst: Uint8Array, at: number, v: number): number {
  if (v < 10) {
    dst[at] = 0x30 + v;
    return at + 1;
  }
  let digits = 0;
  for (let t = v; t >= 1; t = Math.floor(t / 10)) digits++;
  let p = at + digits;
  const end = p;
  while (v >= 1) {
    const q = Math.floor(v / 10);
    dst[--p] = 0x30 + (v - q * 10);
    v = q;
  }
  return end;
}

/** Bytes `writeDecimal` needs for v. */
export function decimalLength(v: number): number {
  let digits = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
  return digits;
}
