/**
 * Sizes on the command line: "64", "64m", "512k", "1g". memcached reads `-I` this way (a plain
 * number is bytes, `k`/`m` multiply by 1024 / 1024²); slabcached also takes `g`, an optional
 * trailing `b` ("64mb"), a lone `b` for bytes ("4096b"), either case, and the same syntax for `-m` and `slab_chunk_max`, where
 * a plain number keeps memcached's unit (megabytes for `-m`, kilobytes for `slab_chunk_max`).
 */

export const UNITS: Readonly<Record<string, number>> = {
  k: 1024,
  m: 1024 * 1024,
  g: 1024 * 1024 * 1024,
};

const SIZE = /^(\d+)\s*([kmg]?b|[kmg])?$/i;

export interface ParsedSize {
  /** The size in bytes. */
  bytes: number;
  /** True when the text carried a k/m/g suffix (false: the plain number was scaled by `plainUnit`). */
  suffixed: boolean;
}

/**
 * Parses a size. `plainUnit` is what a number without suffix counts (1 for bytes, 1 MiB for
 * `-m`). Returns null for anything else: signs, fractions, unknown suffixes, or a result that
 * is not a safe integer.
 */
export function parseSize(text: string, plainUnit: number): ParsedSize | null {
  const m = SIZE.exec(text.trim());
  if (!m) return null;
  const suffix = m[2]?.toLowerCase();
  const unit = suffix === undefined ? plainUnit : suffix === 'b' ? 1 : UNITS[suffix[0]!]!;
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes)) return null;
  return { bytes, suffixed: suffix !== undefined };
}

/** Bytes as the shortest exact "512k", "64m", "1g", or a plain byte count. */
export function formatSize(bytes: number): string {
  for (const unit of ['g', 'm', 'k']) {
    const n = UNITS[unit]!;
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return String(bytes);
}
