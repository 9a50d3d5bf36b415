/**
 * What every connection of a worker shares: the store, the counters, the settings that shape
 * replies, and the ways to reach the main thread. Built once per worker thread.
 */
import type { Store } from '@slabcache/store';
import type { Credentials } from './auth/credentials.ts';
import type { ServerConfig } from './cli/options.ts';
import type { ConnectionTable } from './stats/connections.ts';
import type { Counters } from './stats/counters.ts';
import type { ResetBaseline } from './stats/report.ts';

export interface ServerContext {
  store: Store;
  counters: Counters;
  /** This worker's own counter slot (counters.mine). */
  stats: Float64Array;
  config: ServerConfig;
  /** Shared words the main thread and workers both read: verbosity, limits. */
  shared: Int32Array;
  conns: ConnectionTable;
  /** The debug commands (worker-crash tests) answer only when SLABCACHE_DEBUG_HOOKS=1. */
  debugHooks: boolean;
  /** SASL / ascii-auth users; null when auth is off. */
  credentials: Credentials | null;
  baseline: ResetBaseline;
  /** The version memcached clients see after "VERSION ". */
  version: string;
  /** Unix time (seconds) the server started. */
  startedAt: number;
  /** Asks the main thread to stop the server (shutdown command). */
  requestShutdown(graceful: boolean): void;
  /** refresh_certs: loads the TLS certificate files again in every worker; null when done,
   * else why not. */
  refreshCerts(): string | null;
  /** Writes a log line to stderr when verbosity allows it. */
  log(level: number, message: string): void;
}

/** Words of `shared`. */
export const SH_VERBOSITY = 0;
export const SH_LRU_CRAWLER = 1; // 1 while the crawler is enabled
export const SH_CRAWLER_TOCRAWL = 2;
export const SH_CRAWLER_SLEEP = 3;
export const SH_SLAB_AUTOMOVE = 4;
export const SH_WORKER_RESTARTS = 5; // workers started again after dying
export const SH_CERTS_REFRESHED = 6; // unix second of the last refresh_certs (0: never)
export const SH_CLUSTER_VERSION = 7; // config get cluster: the node list's version
export const SH_CLUSTER_HASH = 8; // ... and a hash of the list it counts (0: none yet)
export const SH_WORDS = 16;
