/**
 * @slabcache/client: a consistent-hashing client for slabcache and memcached fleets, with
 * libmemcached's key placement, pipelined connections, failover and the meta protocol's
 * stale-while-revalidate. See README.md.
 */
export { DEFAULT_PORT, parseServer, type ServerInput, type ServerSpec } from './address.ts';
export {
  type CasItem,
  Client,
  type ClientOptions,
  type CounterOptions,
  type ServerStatus,
  type ServersChange,
  type StoreOptions,
} from './client.ts';
export type { CompressionOptions } from './compression.ts';
export {
  type Discovered,
  type DiscoveryOptions,
  type DnsResolver,
  fetchClusterConfig,
  parseClusterConfig,
} from './discovery.ts';
export {
  BadKeyError,
  ClientClosedError,
  Codes,
  ConnectionError,
  NotSupportedError,
  PartialResultError,
  ProtocolError,
  ServerDownError,
  ServerError,
  SlabcacheError,
  TimeoutError,
} from './errors.ts';
export type { FetchOptions } from './fetch.ts';
export type { LocalCacheOptions } from './local-cache.ts';
export type { ProtocolName } from './protocols/protocol.ts';
export { continuumName, ketamaGroups, Ring } from './ring.ts';
export { defaultSerializer, Flags, type Serialized, type Serializer } from './serializer.ts';
