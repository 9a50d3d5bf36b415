/**
 * Optional zlib compression (node:zlib, the format Python's zlib.compress writes, so pylibmc
 * and python-memcached read it) for values from `threshold` bytes up, marked by flag bit 3 as
 * those clients mark it. A value is stored compressed only when that makes it smaller.
 * Reading always inflates a marked value, whether or not this client compresses.
 *
 * Small values are (de)compressed on the spot; large ones on libuv's thread pool, so a
 * megabyte value does not stall the event loop.
 */
import { promisify } from 'node:util';
import { deflate, deflateSync, inflate, inflateSync } from 'node:zlib';
import { Flags, type Serialized } from './serializer.ts';

export interface CompressionOptions {
  /** Compress values of at least this many bytes (default 1024). */
  threshold?: number;
  /** zlib level, 1 (fast) to 9 (small); default 6 as zlib's. */
  level?: number;
}

const deflateAsync = promisify(deflate);
const inflateAsync = promisify(inflate);
/** Above this size, zlib runs on the thread pool. */
const SYNC_LIMIT = 64 * 1024;

export class Compression {
  readonly threshold: number;
  private readonly level: number;

  constructor(options: CompressionOptions = {}) {
    this.threshold = options.threshold ?? 1024;
    this.level = options.level ?? 6;
  }

  /** The value compressed and flagged, when it is large enough and compression pays. */
  async compress(item: Serialized): Promise<Serialized> {
    const raw = item.value;
    if (raw.length < this.threshold) return item;
    const options = { level: this.level };
    const packed =
      raw.length <= SYNC_LIMIT ? deflateSync(raw, options) : await deflateAsync(raw, options);
    if (packed.length >= raw.length) return item;
    return { value: packed, flags: item.flags | Flags.COMPRESSED };
  }
}

/** The stored bytes without their compression (the flags then lose bit 3). */
export async function decompress(value: Buffer, flags: number): Promise<Buffer> {
  if ((flags & Flags.COMPRESSED) === 0) return value;
  return value.length <= SYNC_LIMIT / 4 ? inflateSync(value) : inflateAsync(value);
}
