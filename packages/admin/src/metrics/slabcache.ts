/**
 * slabcache's own metrics, for what memcached_exporter leaves out: statistics memcached
 * reports but the exporter ignores, and what a dashboard of slab classes needs (bytes wasted
 * per class). Named slabcache_* so they never collide with the exporter's.
 */
import { type MetricSpec, stat } from './scrape.ts';

const wasted: MetricSpec = {
  name: 'slabcache_slab_wasted_bytes',
  help: 'Bytes of used chunks that hold no item data: chunk size times used chunks, less the bytes the items asked for.',
  type: 'gauge',
  labelNames: ['slab'],
  collect({ slabs, items }, emit) {
    for (const [slab, c] of Object.entries(slabs.slabs)) {
      const requested = items.items[slab]?.mem_requested ?? 0;
      emit(Math.max(0, c.chunk_size * c.used_chunks - requested), { slab });
    }
  },
};

export const SLABCACHE_METRICS: MetricSpec[] = [
  stat(
    'slabcache_get_expired_total',
    'Gets that found their item expired (memcached get_expired).',
    'counter',
    'get_expired',
  ),
  stat(
    'slabcache_get_flushed_total',
    'Gets that found their item invalidated by flush_all (memcached get_flushed).',
    'counter',
    'get_flushed',
  ),
  stat(
    'slabcache_meta_commands_total',
    'Meta commands (memcached cmd_meta).',
    'counter',
    'cmd_meta',
  ),
  stat(
    'slabcache_auth_commands_total',
    'Authentication attempts, SASL or ascii (memcached auth_cmds).',
    'counter',
    'auth_cmds',
  ),
  stat(
    'slabcache_auth_errors_total',
    'Failed authentication attempts (memcached auth_errors).',
    'counter',
    'auth_errors',
  ),
  stat(
    'slabcache_items_expired_unfetched_total',
    'Items reclaimed after expiring without ever being fetched (memcached expired_unfetched).',
    'counter',
    'expired_unfetched',
  ),
  stat(
    'slabcache_items_evicted_unfetched_total',
    'Items evicted without ever being fetched (memcached evicted_unfetched).',
    'counter',
    'evicted_unfetched',
  ),
  stat(
    'slabcache_items_evicted_active_total',
    'Items that were active when the LRU tail reached them and got a second chance (memcached evicted_active).',
    'counter',
    'evicted_active',
  ),
  stat('slabcache_worker_threads', 'Worker threads serving clients (-t).', 'gauge', 'threads'),
  stat(
    'slabcache_connection_slots_used',
    'Slots of the shared connection table in use, across all worker threads (memcached connection_structures).',
    'gauge',
    'connection_structures',
  ),
  stat(
    'slabcache_slab_global_page_pool',
    'Pages of -m memory not yet given to any slab class.',
    'gauge',
    'slab_global_page_pool',
  ),
  stat(
    'slabcache_hash_power_level',
    'The hash table holds 2^this buckets (memcached hash_power_level).',
    'gauge',
    'hash_power_level',
  ),
  stat(
    'slabcache_hash_bytes',
    'Bytes of the hash table in use (memcached hash_bytes).',
    'gauge',
    'hash_bytes',
  ),
  wasted,
];
