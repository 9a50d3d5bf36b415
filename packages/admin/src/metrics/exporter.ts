/**
 * The metrics prometheus/memcached_exporter (v0.16) derives from memcached's `stats`,
 * `stats slabs`, `stats items` and `stats settings`, with its names, help strings, types and
 * labels copied from its pkg/exporter/exporter.go, so Grafana dashboards and alerts written for
 * the exporter work against slabcached's /metrics unchanged. Its quirks are kept on purpose:
 * `memcached_slab_items_evicted_time_seconds` and `memcached_slab_mem_requested_bytes` are
 * counters (they come from `stats items`, whose fields it declares as counters), the warm age
 * help says "HOT", and "nmber" is misspelt.
 *
 * Like the exporter, a metric whose stat the source does not report is left out, and
 * `stats slabs`' totals (active_slabs, total_malloced) count as general stats (scrape.ts).
 * memcached_up is registered beside these (registry.ts). Not here, because slabcached reports
 * no such stat: memcached_lru_crawler_starts_total, memcached_lru_crawler_{hot,warm}_max_factor,
 * memcached_slab_temporary_items, and the extstore and proxy metrics (the exporter emits those only when memcached reports them).
 */
import { type Emit, type MetricSpec, num, type Scrape, stat } from './scrape.ts';

/** memcached_exporter's parseBool: "yes" 1, "no" 0. */
function yesNo(name: string, help: string, key: string): MetricSpec {
  return {
    name,
    help,
    type: 'gauge',
    collect(s, emit) {
      const v = s.settings[key];
      if (v === 'yes' || v === 'no') emit(v === 'yes' ? 1 : 0);
    },
  };
}

/** One field of every slab class (`stats items` or `stats slabs`), labelled by class. */
function perClass(
  name: string,
  help: string,
  type: MetricSpec['type'],
  group: 'items' | 'slabs',
  key: string,
): MetricSpec {
  return {
    name,
    help,
    type,
    labelNames: ['slab'],
    collect(s, emit) {
      for (const [slab, fields] of classes(s, group)) {
        if (key in fields) emit(fields[key], { slab });
      }
    },
  };
}

function classes(s: Scrape, group: 'items' | 'slabs'): [string, Record<string, number>][] {
  return Object.entries(group === 'items' ? s.items.items : s.slabs.slabs);
}

/** `stats settings` feeds the LRU crawler metrics only while the crawler is on. */
function crawlerSetting(spec: MetricSpec): MetricSpec {
  return {
    ...spec,
    collect(s, emit) {
      if (s.settings.lru_crawler === 'yes') spec.collect(s, emit);
    },
  };
}

const COMMAND_OPS = ['get', 'delete', 'incr', 'decr', 'cas', 'touch'] as const;

function emitIf(emit: Emit, value: number | undefined, labels: Record<string, string>): void {
  if (value !== undefined) emit(value, labels);
}

const commands: MetricSpec = {
  name: 'memcached_commands_total',
  help: 'Total number of all requests broken down by command (get, set, etc.) and status.',
  type: 'counter',
  labelNames: ['command', 'status'],
  collect({ stats }, emit) {
    for (const op of COMMAND_OPS) {
      emitIf(emit, num(stats[`${op}_hits`]), { command: op, status: 'hit' });
      emitIf(emit, num(stats[`${op}_misses`]), { command: op, status: 'miss' });
    }
    emitIf(emit, num(stats.cas_badval), { command: 'cas', status: 'badval' });
    emitIf(emit, num(stats.cmd_flush), { command: 'flush', status: 'hit' });
    // memcached counts cas commands in cmd_set too; the exporter takes them out.
    const set = num(stats.cmd_set);
    const cas = ['cas_misses', 'cas_hits', 'cas_badval'].map((k) => num(stats[k]));
    if (set !== undefined && cas.every((v) => v !== undefined)) {
      const casTotal = cas.reduce<number>((a, b) => a + (b ?? 0), 0);
      emit(set - casTotal, { command: 'set', status: 'hit' });
    }
  },
};

const lruHits: MetricSpec = {
  name: 'memcached_slab_lru_hits_total',
  help: 'Number of get_hits to the LRU.',
  type: 'counter',
  labelNames: ['slab', 'lru'],
  collect(s, emit) {
    const lrus = [
      ['hits_to_hot', 'hot'],
      ['hits_to_warm', 'warm'],
      ['hits_to_cold', 'cold'],
      ['hits_to_temp', 'temporary'],
    ] as const;
    for (const [slab, f] of classes(s, 'items')) {
      for (const [key, lru] of lrus) emitIf(emit, f[key], { slab, lru });
    }
  },
};

const version: MetricSpec = {
  name: 'memcached_version',
  help: 'The version of this memcached server.',
  type: 'gauge',
  labelNames: ['version'],
  collect({ stats }, emit) {
    emit(1, { version: String(stats.version ?? '') });
  },
};

const SLAB_COMMAND_OPS = ['get', 'delete', 'incr', 'decr', 'cas', 'touch'] as const;

export const EXPORTER_METRICS: MetricSpec[] = [
  stat(
    'memcached_uptime_seconds',
    'Number of seconds since the server started.',
    'counter',
    'uptime',
  ),
  stat('memcached_time_seconds', 'current UNIX time according to the server.', 'gauge', 'time'),
  version,
  stat(
    'memcached_process_user_cpu_seconds_total',
    'Accumulated user time for this process.',
    'counter',
    'rusage_user',
  ),
  stat(
    'memcached_process_system_cpu_seconds_total',
    'Accumulated system time for this process.',
    'counter',
    'rusage_system',
  ),
  stat(
    'memcached_read_bytes_total',
    'Total number of bytes read by this server from network.',
    'counter',
    'bytes_read',
  ),
  stat(
    'memcached_written_bytes_total',
    'Total number of bytes sent by this server to network.',
    'counter',
    'bytes_written',
  ),
  stat(
    'memcached_current_connections',
    'Current number of open connections.',
    'gauge',
    'curr_connections',
  ),
  stat(
    'memcached_max_connections',
    'Maximum number of clients allowed.',
    'gauge',
    'maxconns',
    'settings',
  ),
  stat(
    'memcached_connections_total',
    'Total number of connections opened since the server started running.',
    'counter',
    'total_connections',
  ),
  stat(
    'memcached_connections_rejected_total',
    "Total number of connections rejected due to hitting the memcached's -c limit in maxconns_fast mode.",
    'counter',
    'rejected_connections',
  ),
  stat(
    'memcached_connections_yielded_total',
    "Total number of connections yielded running due to hitting the memcached's -R limit.",
    'counter',
    'conn_yields',
  ),
  stat(
    'memcached_connections_listener_disabled_total',
    'Number of times that memcached has hit its connections limit and disabled its listener.',
    'counter',
    'listen_disabled_num',
  ),
  stat('memcached_current_bytes', 'Current number of bytes used to store items.', 'gauge', 'bytes'),
  stat(
    'memcached_limit_bytes',
    'Number of bytes this server is allowed to use for storage.',
    'gauge',
    'limit_maxbytes',
  ),
  commands,
  stat(
    'memcached_current_items',
    'Current number of items stored by this instance.',
    'gauge',
    'curr_items',
  ),
  stat(
    'memcached_items_total',
    'Total number of items stored during the life of this instance.',
    'counter',
    'total_items',
  ),
  stat(
    'memcached_items_evicted_total',
    'Total number of valid items removed from cache to free memory for new items.',
    'counter',
    'evictions',
  ),
  stat(
    'memcached_items_reclaimed_total',
    'Total number of times an entry was stored using memory from an expired entry.',
    'counter',
    'reclaimed',
  ),
  stat(
    'memcached_item_too_large_total',
    'The number of times an item exceeded the max-item-size when being stored.',
    'counter',
    'store_too_large',
  ),
  stat(
    'memcached_item_no_memory_total',
    'The number of times an item could not be stored due to no more memory.',
    'counter',
    'store_no_memory',
  ),
  stat(
    'memcached_direct_reclaims_total',
    'Times worker threads had to directly reclaim or evict items.',
    'counter',
    'direct_reclaims',
  ),
  stat(
    'memcached_lru_crawler_items_checked_total',
    'Total items examined by LRU Crawler.',
    'counter',
    'crawler_items_checked',
  ),
  stat(
    'memcached_lru_crawler_reclaimed_total',
    'Total items freed by LRU Crawler.',
    'counter',
    'crawler_reclaimed',
  ),
  stat(
    'memcached_lru_crawler_moves_to_cold_total',
    "Total number of items moved from HOT/WARM to COLD LRU's.",
    'counter',
    'moves_to_cold',
  ),
  stat(
    'memcached_lru_crawler_moves_to_warm_total',
    'Total number of items moved from COLD to WARM LRU.',
    'counter',
    'moves_to_warm',
  ),
  stat(
    'memcached_lru_crawler_moves_within_lru_total',
    "Total number of items reshuffled within HOT or WARM LRU's.",
    'counter',
    'moves_within_lru',
  ),
  stat(
    'memcached_malloced_bytes',
    'Number of bytes of memory allocated to slab pages.',
    'gauge',
    'total_malloced',
  ),
  stat(
    'memcached_accepting_connections',
    'The Memcached server is currently accepting new connections.',
    'gauge',
    'accepting_conns',
  ),

  // stats settings, while the LRU crawler is on.
  crawlerSetting(
    yesNo('memcached_lru_crawler_enabled', 'Whether the LRU crawler is enabled.', 'lru_crawler'),
  ),
  crawlerSetting(
    stat(
      'memcached_lru_crawler_sleep',
      'Microseconds to sleep between LRU crawls.',
      'gauge',
      'lru_crawler_sleep',
      'settings',
    ),
  ),
  crawlerSetting(
    stat(
      'memcached_lru_crawler_to_crawl',
      'Max items to crawl per slab per run.',
      'gauge',
      'lru_crawler_tocrawl',
      'settings',
    ),
  ),
  crawlerSetting(
    yesNo(
      'memcached_lru_crawler_maintainer_thread',
      'Split LRU mode and background threads.',
      'lru_maintainer_thread',
    ),
  ),
  crawlerSetting(
    stat(
      'memcached_lru_crawler_hot_percent',
      'Percent of slab memory reserved for HOT LRU.',
      'gauge',
      'hot_lru_pct',
      'settings',
    ),
  ),
  crawlerSetting(
    stat(
      'memcached_lru_crawler_warm_percent',
      'Percent of slab memory reserved for WARM LRU.',
      'gauge',
      'warm_lru_pct',
      'settings',
    ),
  ),

  // stats items, per slab class.
  perClass(
    'memcached_slab_current_items',
    'Number of items currently stored in this slab class.',
    'gauge',
    'items',
    'number',
  ),
  perClass(
    'memcached_slab_items_age_seconds',
    'Number of seconds the oldest item has been in the slab class.',
    'gauge',
    'items',
    'age',
  ),
  lruHits,
  perClass(
    'memcached_slab_items_crawler_reclaimed_total',
    'Number of items freed by the LRU Crawler.',
    'counter',
    'items',
    'crawler_reclaimed',
  ),
  perClass(
    'memcached_slab_items_evicted_total',
    'Total number of times an item had to be evicted from the LRU before it expired.',
    'counter',
    'items',
    'evicted',
  ),
  perClass(
    'memcached_slab_items_evicted_nonzero_total',
    'Total number of times an item which had an explicit expire time set had to be evicted from the LRU before it expired.',
    'counter',
    'items',
    'evicted_nonzero',
  ),
  perClass(
    'memcached_slab_items_evicted_time_seconds',
    'Seconds since the last access for the most recent item evicted from this class.',
    'counter',
    'items',
    'evicted_time',
  ),
  perClass(
    'memcached_slab_items_evicted_unfetched_total',
    'Total nmber of items evicted and never fetched.',
    'counter',
    'items',
    'evicted_unfetched',
  ),
  perClass(
    'memcached_slab_items_expired_unfetched_total',
    'Total number of valid items evicted from the LRU which were never touched after being set.',
    'counter',
    'items',
    'expired_unfetched',
  ),
  perClass(
    'memcached_slab_items_outofmemory_total',
    'Total number of items for this slab class that have triggered an out of memory error.',
    'counter',
    'items',
    'outofmemory',
  ),
  perClass(
    'memcached_slab_items_reclaimed_total',
    'Total number of items reclaimed.',
    'counter',
    'items',
    'reclaimed',
  ),
  perClass(
    'memcached_slab_items_tailrepairs_total',
    'Total number of times the entries for a particular ID need repairing.',
    'counter',
    'items',
    'tailrepairs',
  ),
  perClass(
    'memcached_slab_mem_requested_bytes',
    'Number of bytes of memory actual items take up within a slab.',
    'counter',
    'items',
    'mem_requested',
  ),
  perClass(
    'memcached_slab_items_moves_to_cold',
    'Number of items moved from HOT or WARM into COLD.',
    'counter',
    'items',
    'moves_to_cold',
  ),
  perClass(
    'memcached_slab_items_moves_to_warm',
    'Number of items moves from COLD into WARM.',
    'counter',
    'items',
    'moves_to_warm',
  ),
  perClass(
    'memcached_slab_items_moves_within_lru',
    'Number of times active items were bumped within HOT or WARM.',
    'counter',
    'items',
    'moves_within_lru',
  ),
  perClass(
    'memcached_slab_hot_items',
    'Number of items presently stored in the HOT LRU.',
    'gauge',
    'items',
    'number_hot',
  ),
  perClass(
    'memcached_slab_warm_items',
    'Number of items presently stored in the WARM LRU.',
    'gauge',
    'items',
    'number_warm',
  ),
  perClass(
    'memcached_slab_cold_items',
    'Number of items presently stored in the COLD LRU.',
    'gauge',
    'items',
    'number_cold',
  ),
  perClass(
    'memcached_slab_hot_age_seconds',
    'Age of the oldest item in HOT LRU.',
    'gauge',
    'items',
    'age_hot',
  ),
  perClass(
    'memcached_slab_warm_age_seconds',
    'Age of the oldest item in HOT LRU.',
    'gauge',
    'items',
    'age_warm',
  ),

  // stats slabs, per slab class.
  perClass(
    'memcached_slab_chunk_size_bytes',
    'Number of bytes allocated to each chunk within this slab class.',
    'gauge',
    'slabs',
    'chunk_size',
  ),
  perClass(
    'memcached_slab_chunks_per_page',
    'Number of chunks within a single page for this slab class.',
    'gauge',
    'slabs',
    'chunks_per_page',
  ),
  perClass(
    'memcached_slab_current_pages',
    'Number of pages allocated to this slab class.',
    'gauge',
    'slabs',
    'total_pages',
  ),
  perClass(
    'memcached_slab_current_chunks',
    'Number of chunks allocated to this slab class.',
    'gauge',
    'slabs',
    'total_chunks',
  ),
  perClass(
    'memcached_slab_chunks_used',
    'Number of chunks allocated to an item.',
    'gauge',
    'slabs',
    'used_chunks',
  ),
  perClass(
    'memcached_slab_chunks_free',
    'Number of chunks not yet allocated items.',
    'gauge',
    'slabs',
    'free_chunks',
  ),
  perClass(
    'memcached_slab_chunks_free_end',
    'Number of free chunks at the end of the last allocated page.',
    'gauge',
    'slabs',
    'free_chunks_end',
  ),
  {
    // The exporter's per-class command counts from `stats slabs`: <op>_hits as hits, cas_badval,
    // and cmd_set as set hits.
    name: 'memcached_slab_commands_total',
    help: 'Total number of all requests broken down by command (get, set, etc.) and status per slab.',
    type: 'counter',
    labelNames: ['slab', 'command', 'status'],
    collect(s, emit) {
      for (const [slab, fields] of classes(s, 'slabs')) {
        for (const op of SLAB_COMMAND_OPS) {
          const v = fields[`${op}_hits`];
          if (v !== undefined) emit(v, { slab, command: op, status: 'hit' });
        }
        if (fields.cas_badval !== undefined)
          emit(fields.cas_badval, { slab, command: 'cas', status: 'badval' });
        if (fields.cmd_set !== undefined)
          emit(fields.cmd_set, { slab, command: 'set', status: 'hit' });
      }
    },
  },
];
