/**
 * Key placement: libmemcached's weighted ketama continuum (what PHP's memcached extension
 * builds with OPT_LIBKETAMA_COMPATIBLE and pylibmc with the `ketama_weighted` behavior), kept
 * in an npm `hashring` ring. For the same server list and weights, every key goes to the
 * server libmemcached picks. libmemcached's `update_continuum` (libmemcached/hosts.cc) does:
 *
 * - server i gets `floor(pct * 160 / 4 * n + 1e-10) * 4` points, pct = weight / total weight
 *   and n the server count, computed in 32-bit floats (so 25 equal servers get 39 x 4 points
 *   each, not 40 x 4: hashring's own double-precision count would differ);
 * - point group j of a server is the MD5 of `host-j` when its port is 11211 and of
 *   `host:port-j` otherwise, and each digest gives 4 points (its 4 little-endian words);
 * - a key's point is the first little-endian word of MD5(key); it goes to the first point at
 *   or after it, wrapping around; ties go to the server listed first.
 *
 * hashring does the hashing, the sorting and the search exactly this way when each server is
 * given by its libmemcached name and an explicit group count (`vnodes`), with 4 replicas.
 */
import { createRequire } from 'node:module';
import { DEFAULT_PORT, type ServerSpec } from './address.ts';

/** The part of the npm `hashring` 3.x API used here (it ships no types). */
interface HashRingInstance {
  get(key: string): string | undefined;
  range(key: string, size?: number, unique?: boolean): string[];
}
type HashRingConstructor = new (
  servers: Record<string, { vnodes: number }>,
  algorithm: string,
  options: Record<string, number>,
) => HashRingInstance;

const HashRing = createRequire(import.meta.url)('hashring') as HashRingConstructor;

/** libmemcached's MEMCACHED_POINTS_PER_SERVER_KETAMA. */
const POINTS_PER_SERVER = 160;
/** Points taken from each MD5 digest (16 bytes = 4 words). */
const POINTS_PER_HASH = 4;
/** hashring caches this many key -> server answers (an LRU). */
const LOOKUP_CACHE_SIZE = 10_000;

const f32 = Math.fround;

/** How many MD5 groups (of 4 points) libmemcached gives a server of `weight` among
 * `servers` servers weighing `totalWeight` in all: its float arithmetic, step by step. */
export function ketamaGroups(weight: number, totalWeight: number, servers: number): number {
  const pct = f32(f32(weight) / f32(totalWeight));
  const scaled = f32(f32(f32(pct * POINTS_PER_SERVER) / POINTS_PER_HASH) * f32(servers));
  return Math.floor(f32(scaled + f32(1e-10)));
}

/** The name libmemcached hashes for a server's points: the host alone on the default port. */
export function continuumName(server: ServerSpec): string {
  return server.port === DEFAULT_PORT ? server.host : `${server.host}:${server.port}`;
}

export class Ring {
  readonly servers: readonly ServerSpec[];
  private readonly ring: HashRingInstance;
  private readonly indexByName = new Map<string, number>();

  constructor(servers: readonly ServerSpec[]) {
    if (servers.length === 0) throw new TypeError('no servers');
    this.servers = servers;
    const total = servers.reduce((sum, s) => sum + s.weight, 0);
    const nodes: Record<string, { vnodes: number }> = {};
    servers.forEach((s, i) => {
      const name = continuumName(s);
      if (this.indexByName.has(name)) throw new TypeError(`server listed twice: ${s.address}`);
      this.indexByName.set(name, i);
      nodes[name] = { vnodes: ketamaGroups(s.weight, total, servers.length) };
    });
    // 'vnode count' 0: hashring then takes every server's `vnodes` as given (it recomputes
    // only the servers whose count equals its default).
    this.ring = new HashRing(nodes, 'md5', {
      'vnode count': 0,
      replicas: POINTS_PER_HASH,
      'max cache size': LOOKUP_CACHE_SIZE,
    });
  }

  /** Index in `servers` of the server that owns `key`. */
  indexOf(key: string): number {
    if (this.servers.length === 1) return 0; // libmemcached does not hash with one server
    return this.indexByName.get(this.ring.get(key) as string) as number;
  }

  /** Every server index in ring order from `key`'s point (the owner first), each once: where
   * a key fails over to when its owner is down. */
  order(key: string): number[] {
    if (this.servers.length === 1) return [0];
    return this.ring.range(key).map((name) => this.indexByName.get(name) as number);
  }
}
