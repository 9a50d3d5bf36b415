/**
 * @slabcache/store: memcached's cache engine on SharedArrayBuffer memory that many worker
 * threads open at once. See README.md for the API and docs/ARCHITECTURE.md for the layout.
 */
export type { ItemMeta } from './crawler.ts';
export type { SharedStore } from './engine.ts';
export { murmur3 } from './hash.ts';
export type { SnapshotInfo } from './persist.ts';
export { Reassign, type ReassignResult } from './rebalance.ts';
export type { SelfCheckReport } from './selfcheck.ts';
export {
  KiB,
  MAX_ITEM_SIZE,
  MAX_KEY_LENGTH,
  MAX_MEMORY_LIMIT,
  MiB,
  REALTIME_MAXDELTA,
  resolveSettings,
  type StoreOptions,
  type StoreSettings,
  StoreSettingsError,
} from './settings.ts';
export type { ItemClassStats, SlabClassStats, StoreStats } from './stats.ts';
export {
  Arith,
  ArithExtras,
  ArithOutput,
  type ArithResult,
  Deleted,
  type DeleteResult,
  type ItemReader,
  ItemView,
  MetaDelete,
  MetaGet,
  Mode,
  Read,
  type ReadResult,
  Store,
  Stored,
  StoreKeyError,
  type StoreResult,
  WriteExtras,
  type WriteMode,
} from './store.ts';
