/**
 * The client a Node app imports: a Promise API over a fleet of memcached-compatible servers.
 * It checks keys, turns values into bytes and back (serializer, compression), serves hot keys
 * from the optional local cache, and hands each request to the server the ring picks (the
 * Cluster), whose pool writes it on a pipelined connection.
 */
import { EventEmitter } from 'node:events';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { parseServer, type ServerInput, type ServerSpec } from './address.ts';
import { Cluster } from './cluster.ts';
import { Compression, type CompressionOptions, decompress } from './compression.ts';
import {
  DEFAULT_INTERVAL,
  type Discovered,
  type DiscoveryOptions,
  discoverySource,
} from './discovery.ts';
import {
  ClientClosedError,
  Codes,
  NotSupportedError,
  neverSent,
  PartialResultError,
  type SlabcacheError,
} from './errors.ts';
import { type FetchOptions, fetchWithLease } from './fetch.ts';
import { checkKey } from './keys.ts';
import { LocalCache, type LocalCacheOptions } from './local-cache.ts';
import { ServerPool } from './pool.ts';
import { binary } from './protocols/binary.ts';
import { meta } from './protocols/meta.ts';
import type { Protocol, ProtocolName, RawItem, StoreMode } from './protocols/protocol.ts';
import { text } from './protocols/text.ts';
import type { Request } from './request.ts';
import { defaultSerializer, Flags, type Serializer } from './serializer.ts';

export interface ClientOptions {
  /** `'host:port'` strings (port 11211 when left out, `[v6]:port` for IPv6) or
   * `{ host, port, weight }`. Order and weights decide placement, as in libmemcached. With
   * `discovery`, optional: the list to use until the first answer. */
  servers?: readonly ServerInput[];
  /** Find the servers in DNS or at an ElastiCache-style configuration endpoint, and follow
   * the fleet as it changes (see discovery.ts). */
  discovery?: DiscoveryOptions;
  /** The wire: 'meta' (default), 'text' or 'binary'. */
  protocol?: ProtocolName;
  /** Connections per server (default 1: pipelining makes one go far). */
  poolSize?: number;
  /** ms to wait for a reply (default 1000). */
  timeout?: number;
  /** ms to wait for a TCP connection (default 1000). */
  connectTimeout?: number;
  /** TCP keep-alive on idle connections after this many ms (default 30000; 0: off). */
  keepAlive?: number;
  /** Connection failures in a row that eject a server (default 2). */
  failureLimit?: number;
  /** ms before an ejected server is first probed (default 1000); later probes back off. */
  retryDelay?: number;
  /** Longest wait between probes of an ejected server, ms (default 30000). */
  maxRetryDelay?: number;
  /** Send an ejected server's keys to the next live server on the ring (default false: its
   * requests fail fast with SLABCACHE_SERVER_DOWN). */
  failover?: boolean;
  /** How values become bytes (default: types in the flags, see serializer.ts). */
  serializer?: Serializer;
  /** zlib-compress values from a size up (default off; `true` means 1024 bytes). */
  compression?: boolean | CompressionOptions;
  /** An in-process cache of hot keys (default off; `true` means 1000 keys for 1 s). */
  localCache?: boolean | LocalCacheOptions;
  /** Prefix put before every key on the wire. As libmemcached does by default, keys are
   * placed by their name without it. */
  namespace?: string;
  /** TTL in seconds of stores that give none (default 0: no expiry). */
  defaultTtl?: number;
  /** Connect with TLS (servers started with memcached's -Z): `true` for Node's defaults, or
   * node:tls connect options (ca, cert and key for client certificates, ...). */
  tls?: boolean | TlsConnectionOptions;
}

export interface StoreOptions {
  /** Seconds; 0 = never expires; above 30 days, a unix time (memcached's exptime). */
  ttl?: number;
}

export interface CounterOptions {
  /** Create a missing counter with this value (the delta is not applied to it). */
  initial?: number | bigint;
  /** TTL of a counter created with `initial`. */
  ttl?: number;
}

/** A value with its CAS token, for `cas()`. */
export interface CasItem<T> {
  value: T;
  cas: bigint;
}

/** The 'servers-changed' event's argument. */
export interface ServersChange {
  /** The fleet now, in ring order. */
  servers: string[];
  added: string[];
  removed: string[];
  /** The configuration version (configuration endpoints only). */
  version: number | null;
}

export interface ServerStatus {
  address: string;
  weight: number;
  up: boolean;
  /** Connection attempts so far, probes included. */
  connects: number;
  /** Why it is down, when it is. */
  error: string | null;
}

/** memcached's exptime above which a TTL is a unix time (30 days). */
const MAX_RELATIVE_TTL = 60 * 60 * 24 * 30;

export class Client extends EventEmitter {
  private readonly cluster: Cluster;
  private readonly protocol: Protocol;
  private readonly serializer: Serializer;
  private readonly compression: Compression | null;
  private readonly local: LocalCache | null;
  private readonly namespace: string;
  private readonly defaultTtl: number;
  private readonly failover: boolean;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private closed = false;
  /** Asks the discovery source once; null without discovery. */
  private readonly source: (() => Promise<Discovered>) | null = null;
  private discoveryTimer: NodeJS.Timeout | null = null;
  private discovering: Promise<boolean> | null = null;
  private configVersion: number | null = null;

  constructor(options: ClientOptions) {
    super();
    const listed = options?.servers ?? [];
    if (!options || !Array.isArray(listed) || (listed.length === 0 && !options.discovery)) {
      throw new TypeError('new Client({ servers: [...] }) needs at least one server');
    }
    const servers: ServerSpec[] = listed.map(parseServer);
    this.protocol = pickProtocol(options.protocol ?? 'meta');
    this.serializer = options.serializer ?? defaultSerializer;
    this.compression = options.compression
      ? new Compression(options.compression === true ? {} : options.compression)
      : null;
    this.local = options.localCache
      ? new LocalCache(options.localCache === true ? {} : options.localCache)
      : null;
    this.namespace = options.namespace ?? '';
    this.defaultTtl = options.defaultTtl ?? 0;
    this.failover = options.failover ?? false;
    const protocol = this.protocol;
    this.cluster = new Cluster(
      servers,
      {
        size: positive('poolSize', options.poolSize ?? 1),
        timeout: positive('timeout', options.timeout ?? 1000),
        connectTimeout: positive('connectTimeout', options.connectTimeout ?? 1000),
        keepAlive: options.keepAlive ?? 30_000,
        tls: options.tls === true ? {} : options.tls || null,
        failureLimit: positive('failureLimit', options.failureLimit ?? 2),
        retryDelay: positive('retryDelay', options.retryDelay ?? 1000),
        maxRetryDelay: positive('maxRetryDelay', options.maxRetryDelay ?? 30_000),
        failover: this.failover,
        probe: () => protocol.version(),
      },
      {
        onDown: (pool, error) => this.emit('server-down', pool.server.address, error),
        onUp: (pool) => this.emit('server-up', pool.server.address),
      },
    );
    if (options.discovery) {
      this.source = discoverySource(options.discovery, {
        timeout: positive('connectTimeout', options.connectTimeout ?? 1000),
        tls: options.tls === true ? {} : options.tls || null,
      });
      const interval = options.discovery.interval ?? DEFAULT_INTERVAL;
      if (!(Number.isFinite(interval) && interval >= 0)) {
        throw new TypeError(`discovery.interval must be ms >= 0, not ${String(interval)}`);
      }
      this.discover().catch(() => {}); // failures are 'discovery-error' events
      if (interval > 0) {
        this.discoveryTimer = setInterval(() => this.discover().catch(() => {}), interval);
        this.discoveryTimer.unref();
      }
    }
  }

  /** Resolves once the client has servers: at once with a `servers` list, else after the
   * first successful discovery (asking again now if none succeeded yet; rejects with why). */
  async ready(): Promise<void> {
    if (this.cluster.pools.length > 0) return;
    await this.discover();
  }

  /**
   * Asks the discovery source now (it is also asked every `interval`) and rebuilds the ring if
   * the fleet changed: servers that stay keep their connections and their keys, removed
   * servers' connections close once their requests are answered. Resolves true when the fleet
   * changed (a 'servers-changed' event); rejects when the source failed (a 'discovery-error'
   * event), the last good list staying in use.
   */
  discover(): Promise<boolean> {
    if (!this.source) return Promise.reject(new TypeError('no discovery configured'));
    if (this.closed) {
      return Promise.reject(new ClientClosedError(Codes.CLIENT_CLOSED, 'client closed'));
    }
    this.discovering ??= this.rediscover(this.source).finally(() => {
      this.discovering = null;
    });
    return this.discovering;
  }

  /** The `host:port` that owns `key` on the ring (libmemcached's weighted ketama), whether
   * or not that server is up. */
  serverFor(key: string): string {
    checkKey(key);
    return this.cluster.owner(key).server.address;
  }

  /** Each server's address, health and connection count. */
  servers(): ServerStatus[] {
    return this.cluster.pools.map((p) => ({
      address: p.server.address,
      weight: p.server.weight,
      up: p.up,
      connects: p.connects,
      error: p.up ? null : (p.lastError?.message ?? null),
    }));
  }

  /** The value, or undefined for a miss. */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    const wire = this.wireKey(key);
    if (this.local) {
      const hit = this.local.get(wire);
      if (hit !== undefined) return hit as T;
    }
    const item = await this.send(key, () => this.protocol.get(wire, false, -1));
    if (item === undefined) return undefined;
    const decoded = this.decode(item);
    const value: unknown = decoded instanceof Promise ? await decoded : decoded;
    this.local?.set(wire, value);
    return value as T;
  }

  /** Hits only, by key: one batch per server, sent in parallel. If some servers fail, it
   * rejects with a PartialResultError holding the others' hits (`results`). */
  async getMulti<T = unknown>(keys: Iterable<string>): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const wanted: string[] = [];
    for (const key of new Set(keys)) {
      const wire = this.wireKey(key);
      const hit = this.local?.get(wire);
      if (hit !== undefined) found.set(key, hit as T);
      else wanted.push(key);
    }
    const errors = new Map<string, Error>();
    const batches = [...this.cluster.group(wanted)].map(async ([target, group]) => {
      try {
        if (!(target instanceof ServerPool)) throw target;
        const wires = group.map((k) => this.namespace + k);
        const request = this.protocol.getMulti(wires);
        target.send(request);
        const items = await request.promise;
        for (const [wire, item] of items) {
          const value = await this.decode(item);
          this.local?.set(wire, value);
          found.set(wire.slice(this.namespace.length), value as T);
        }
      } catch (e) {
        errors.set((e as SlabcacheError).server ?? 'unknown', e as Error);
      }
    });
    await Promise.all(batches);
    if (errors.size > 0) throw new PartialResultError('getMulti', errors, found);
    return found;
  }

  /** The value and its CAS token, or undefined for a miss. */
  async gets<T = unknown>(key: string): Promise<CasItem<T> | undefined> {
    const wire = this.wireKey(key);
    const item = await this.send(key, () => this.protocol.get(wire, true, -1));
    if (item === undefined) return undefined;
    return { value: (await this.decode(item)) as T, cas: item.cas };
  }

  /** Get and touch: the value (or undefined), its TTL now set to `ttl`. */
  async gat<T = unknown>(key: string, ttl: number): Promise<T | undefined> {
    const wire = this.wireKey(key);
    const item = await this.send(key, () => this.protocol.get(wire, false, checkTtl(ttl)));
    return item === undefined ? undefined : ((await this.decode(item)) as T);
  }

  /** Stores the value. Resolves true (false only if the server declined to store it). */
  set(key: string, value: unknown, options?: StoreOptions): Promise<boolean> {
    return this.store('set', key, value, options, -1n);
  }

  /** Stores only if the key is absent: false when it exists. */
  add(key: string, value: unknown, options?: StoreOptions): Promise<boolean> {
    return this.store('add', key, value, options, -1n);
  }

  /** Stores only if the key exists: false when it does not. */
  replace(key: string, value: unknown, options?: StoreOptions): Promise<boolean> {
    return this.store('replace', key, value, options, -1n);
  }

  /** Stores only if the item is unchanged since `gets` returned `cas`: false when it changed
   * or is gone. */
  async cas(key: string, value: unknown, cas: bigint, options?: StoreOptions): Promise<boolean> {
    if (typeof cas !== 'bigint' || cas < 0n)
      throw new TypeError('cas must be a bigint from gets()');
    return this.store('cas', key, value, options, cas);
  }

  /** Appends raw bytes (or UTF-8 text) to an existing value: false when the key is absent.
   * The bytes are not serialized: use it on text or byte values. */
  append(key: string, data: string | Uint8Array): Promise<boolean> {
    return this.concat('append', key, data);
  }

  /** Prepends raw bytes (or UTF-8 text); false when the key is absent. */
  prepend(key: string, data: string | Uint8Array): Promise<boolean> {
    return this.concat('prepend', key, data);
  }

  /** true when the key existed. */
  async delete(key: string): Promise<boolean> {
    const wire = this.wireKey(key);
    this.local?.delete(wire);
    return this.send(key, () => this.protocol.delete(wire));
  }

  /** Adds `delta` to a counter (a decimal number stored as text): the new value, or undefined
   * when the key is absent (unless `initial` creates it). Exact up to 2^53 - 1. */
  incr(
    key: string,
    delta: number | bigint = 1,
    options?: CounterOptions,
  ): Promise<number | undefined> {
    return this.counter(false, key, delta, options);
  }

  /** Subtracts `delta`, stopping at 0 as memcached does. */
  decr(
    key: string,
    delta: number | bigint = 1,
    options?: CounterOptions,
  ): Promise<number | undefined> {
    return this.counter(true, key, delta, options);
  }

  /** Sets a new TTL: false when the key is absent. */
  async touch(key: string, ttl: number): Promise<boolean> {
    const wire = this.wireKey(key);
    return this.send(key, () => this.protocol.touch(wire, checkTtl(ttl)));
  }

  /**
   * Read-through with herd protection and stale-while-revalidate (meta protocol; see
   * fetch.ts): the cached value, or the loader's, stored for `ttl` (+ `staleTtl`) seconds.
   */
  async fetch<T>(key: string, loader: () => T | Promise<T>, options: FetchOptions): Promise<T> {
    const wire = this.wireKey(key);
    checkTtl(options.ttl);
    checkTtl(options.staleTtl ?? 0);
    const hit = this.local?.get(wire);
    if (hit !== undefined) return hit as T;
    const running = this.inflight.get(wire);
    if (running) return running as Promise<T>;
    const done = this.fetchOnce(key, wire, loader, options).finally(() => {
      this.inflight.delete(wire);
    });
    this.inflight.set(wire, done);
    return done;
  }

  /** Marks the item stale for `ttl` seconds instead of deleting it (meta protocol): the next
   * fetch recomputes it while others are still served the old value. False when absent. */
  async invalidate(key: string, options: { ttl?: number } = {}): Promise<boolean> {
    const wire = this.wireKey(key);
    const invalidate = this.protocol.invalidate;
    if (!invalidate) throw this.notSupported('invalidate');
    this.local?.delete(wire);
    return this.send(key, () => invalidate(wire, checkTtl(options.ttl ?? 30)));
  }

  /** Empties every server (after `delay` seconds when given). */
  async flush(delay = 0): Promise<void> {
    this.local?.clear();
    await this.everyServer('flush', () => this.protocol.flush(checkTtl(delay)));
  }

  /** `stats` (or `stats <group>`) of every server, by `host:port`. */
  stats(group = ''): Promise<Map<string, Record<string, string>>> {
    return this.everyServer('stats', () => this.protocol.stats(group));
  }

  /** Every server's version, by `host:port`. */
  version(): Promise<Map<string, string>> {
    return this.everyServer('version', () => this.protocol.version());
  }

  /** Finishes the requests in flight, closes every connection, stops probing. Later calls
   * reject with SLABCACHE_CLIENT_CLOSED. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.discoveryTimer) clearInterval(this.discoveryTimer);
    this.local?.clear();
    await this.cluster.close();
  }

  // ---- internals ---------------------------------------------------------------------------

  private async rediscover(source: () => Promise<Discovered>): Promise<boolean> {
    let found: Discovered;
    try {
      found = await source();
      if (found.servers.length === 0) throw new Error('discovery found no servers');
    } catch (e) {
      this.emit('discovery-error', e);
      throw e;
    }
    if (this.closed) return false;
    // A configuration endpoint's list changes only with its version.
    if (found.version !== null && found.version === this.configVersion) return false;
    this.configVersion = found.version;
    const { added, removed } = this.cluster.update(found.servers);
    if (added.length === 0 && removed.length === 0) return false;
    for (const pool of removed) void pool.close();
    const change: ServersChange = {
      servers: this.cluster.pools.map((p) => p.server.address),
      added: added.map((p) => p.server.address),
      removed: removed.map((p) => p.server.address),
      version: found.version,
    };
    this.emit('servers-changed', change);
    return true;
  }

  /** The key as sent: checked, with the namespace. */
  private wireKey(key: string): string {
    if (this.closed) throw new ClientClosedError(Codes.CLIENT_CLOSED, 'client closed');
    checkKey(key);
    const wire = this.namespace + key;
    if (this.namespace) checkKey(wire);
    return wire;
  }

  /**
   * Sends the request `make` builds to the server `key` routes to. With failover, a request
   * that never reached its server (it could not connect, or was ejected meanwhile) is sent
   * again to wherever the key routes now, at most once per server.
   */
  private send<T>(key: string, make: () => Request<T>, attempt = 0): Promise<T> {
    const target = this.cluster.route(key);
    if (!(target instanceof ServerPool)) return Promise.reject(target);
    const request = make();
    target.send(request);
    if (!this.failover) return request.promise;
    return request.promise.catch((e: unknown) => {
      if (!neverSent(e) || attempt + 1 >= this.cluster.pools.length || this.closed) throw e;
      return this.send(key, make, attempt + 1);
    });
  }

  private async store(
    mode: StoreMode,
    key: string,
    value: unknown,
    options: StoreOptions | undefined,
    cas: bigint,
  ): Promise<boolean> {
    const wire = this.wireKey(key);
    const ttl = checkTtl(options?.ttl ?? this.defaultTtl);
    let item = this.serializer.serialize(value);
    if (this.compression) item = await this.compression.compress(item);
    this.local?.delete(wire);
    return this.send(key, () => this.protocol.store(mode, wire, item.value, item.flags, ttl, cas));
  }

  private async concat(
    mode: 'append' | 'prepend',
    key: string,
    data: string | Uint8Array,
  ): Promise<boolean> {
    const wire = this.wireKey(key);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`${mode} takes a string or bytes`);
    this.local?.delete(wire);
    return this.send(key, () => this.protocol.store(mode, wire, bytes, 0, 0, -1n));
  }

  private async counter(
    decrement: boolean,
    key: string,
    delta: number | bigint,
    options: CounterOptions = {},
  ): Promise<number | undefined> {
    const wire = this.wireKey(key);
    const d = u64('delta', delta);
    const initial = options.initial === undefined ? undefined : u64('initial', options.initial);
    const ttl = checkTtl(options.ttl ?? this.defaultTtl);
    this.local?.delete(wire);
    const make = () => this.protocol.counter(decrement, wire, d, initial, ttl);
    let result = await this.send(key, make);
    if (result === undefined && initial !== undefined && this.protocol.name === 'text') {
      // The text protocol cannot create a counter: add it, or, if another client just did,
      // count on that one.
      const digits = Buffer.from(initial.toString(), 'latin1');
      const added = await this.send(key, () =>
        this.protocol.store('add', wire, digits, 0, ttl, -1n),
      );
      result = added ? initial : await this.send(key, make);
    }
    return result === undefined ? undefined : Number(result);
  }

  private async fetchOnce<T>(
    key: string,
    wire: string,
    loader: () => T | Promise<T>,
    options: FetchOptions,
  ): Promise<T> {
    const lease = this.protocol.lease;
    const staleTtl = options.staleTtl ?? 0;
    let value: T;
    if (!lease) {
      value = (await this.get<T>(key)) as T;
      if (value === undefined) {
        value = await loader();
        await this.set(key, value, { ttl: options.ttl + staleTtl });
      }
    } else {
      value = await fetchWithLease(
        {
          lease: (lockTtl, recacheBelow) =>
            this.send(key, () => lease(wire, lockTtl, recacheBelow)),
          decode: async (item) => this.decode(item),
          store: (v, ttl) => this.set(key, v, { ttl }),
          remove: () => this.delete(key),
        },
        loader,
        options,
      );
    }
    this.local?.set(wire, value);
    return value;
  }

  private async decode(item: RawItem): Promise<unknown> {
    if ((item.flags & Flags.COMPRESSED) === 0)
      return this.serializer.deserialize(item.value, item.flags);
    const raw = await decompress(item.value, item.flags);
    return this.serializer.deserialize(raw, item.flags & ~Flags.COMPRESSED);
  }

  /** One request to every server; by `host:port`. Rejects with a PartialResultError (holding
   * the others' answers) when some fail, down servers included. */
  private async everyServer<T>(what: string, make: () => Request<T>): Promise<Map<string, T>> {
    if (this.closed) throw new ClientClosedError(Codes.CLIENT_CLOSED, 'client closed');
    const results = new Map<string, T>();
    const errors = new Map<string, Error>();
    await Promise.all(
      this.cluster.pools.map(async (pool) => {
        const request = make();
        pool.send(request);
        try {
          results.set(pool.server.address, await request.promise);
        } catch (e) {
          errors.set(pool.server.address, e as Error);
        }
      }),
    );
    if (errors.size > 0) throw new PartialResultError(what, errors, results);
    return results;
  }

  private notSupported(what: string): NotSupportedError {
    return new NotSupportedError(
      Codes.NOT_SUPPORTED,
      `${what} needs the meta protocol (this client speaks ${this.protocol.name})`,
    );
  }
}

function pickProtocol(name: ProtocolName): Protocol {
  if (name === 'meta') return meta;
  if (name === 'text') return text;
  if (name === 'binary') return binary;
  throw new TypeError(`unknown protocol ${JSON.stringify(name)} (meta, text or binary)`);
}

function positive(name: string, v: number): number {
  if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) {
    throw new TypeError(`${name} must be a positive number, not ${String(v)}`);
  }
  return v;
}

/** memcached's exptime: a whole number of seconds (negative: already expired). */
function checkTtl(ttl: number): number {
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0xffffffff) {
    throw new TypeError(
      `ttl must be whole seconds (0 = never, > ${MAX_RELATIVE_TTL} = unix time), not ${ttl}`,
    );
  }
  return ttl;
}

function u64(name: string, v: number | bigint): bigint {
  const n = typeof v === 'bigint' ? v : Number.isSafeInteger(v) ? BigInt(v) : -1n;
  if (n < 0n || n >= 1n << 64n)
    throw new TypeError(`${name} must be an integer from 0 to 2^64 - 1`);
  return n;
}
