/**
 * An optional in-process cache for hot keys, in front of the servers: at most `max` entries,
 * each for at most `ttl` ms, least recently used evicted first (a Map keeps insertion order;
 * a hit re-inserts its key). Off by default.
 *
 * Another process's writes are not seen here until the entry expires: keep `ttl` as short as
 * the data can be stale. This client's own writes and deletes drop the key. Values are the
 * deserialized objects, shared by every caller: treat them as read-only.
 */

export interface LocalCacheOptions {
  /** Entries kept (default 1000). */
  max?: number;
  /** ms an entry is served (default 1000). */
  ttl?: number;
}

interface Entry {
  value: unknown;
  expires: number;
}

export class LocalCache {
  private readonly max: number;
  private readonly ttl: number;
  private readonly entries = new Map<string, Entry>();
  hits = 0;
  misses = 0;

  constructor(options: LocalCacheOptions = {}) {
    this.max = options.max ?? 1000;
    this.ttl = options.ttl ?? 1000;
    if (!(this.max >= 1) || !(this.ttl > 0))
      throw new RangeError('localCache needs max >= 1, ttl > 0');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached value, or undefined (a miss, or expired). */
  get(key: string): unknown {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.expires <= performance.now()) {
      if (entry !== undefined) this.entries.delete(key);
      this.misses++;
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.hits++;
    return entry.value;
  }

  set(key: string, value: unknown): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: performance.now() + this.ttl });
    if (this.entries.size > this.max) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
