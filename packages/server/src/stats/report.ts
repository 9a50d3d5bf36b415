/**
 * memcached's `stats` groups as name/value lists, built from the summed counters, the store's
 * snapshot and the settings. Field names and order follow memcached 1.6 so tools that parse
 * them (memcached_exporter, memcstat, dashboards) find what they expect. The same lists feed
 * the text and binary protocols (`formatStats`, `statText`) and the admin service's JSON and
 * metrics (stats/source.ts), so the two can never disagree. Not a hot path.
 */
import { cpuUsage, memoryUsage } from 'node:process';
import type { ServerContext } from '../context.ts';
import {
  SH_CERTS_REFRESHED,
  SH_CRAWLER_SLEEP,
  SH_CRAWLER_TOCRAWL,
  SH_LRU_CRAWLER,
  SH_SLAB_AUTOMOVE,
  SH_VERBOSITY,
  SH_WORKER_RESTARTS,
} from '../context.ts';
import { C, SLAB_COUNTER_NAMES, slabCounter } from './counters.ts';

/** A statistic: numbers stay numbers (the admin's JSON); `decimals` fixes how the text
 * protocols print a fraction, as memcached's printf formats do ("%.2f", "%ld.%06ld"). */
export type StatLine = [name: string, value: string | number, decimals?: number];

/** What the stats groups read: a worker's context, or the main thread's for the admin. */
export type StatsContext = Pick<
  ServerContext,
  'store' | 'counters' | 'baseline' | 'config' | 'conns' | 'shared' | 'version' | 'startedAt'
>;

/** Store counters that `stats reset` zeroes, kept as a baseline in shared memory. */
export const RESETTABLE = [
  'total_items',
  'evictions',
  'reclaimed',
  'expired_unfetched',
  'evicted_unfetched',
  'evicted_active',
  'crawler_reclaimed',
  'crawler_items_checked',
] as const;

export class ResetBaseline {
  readonly values: Float64Array;
  constructor(buffer: SharedArrayBuffer) {
    this.values = new Float64Array(buffer);
  }
  static bytes(): number {
    return RESETTABLE.length * 8;
  }
}

export function resetStats(ctx: StatsContext): void {
  ctx.counters.reset();
  const s = ctx.store.stats() as unknown as Record<string, number>;
  RESETTABLE.forEach((name, i) => {
    ctx.baseline.values[i] = s[name];
  });
}

/** Seconds of CPU, to the microsecond like memcached's timeval. */
function rusage(): [number, number] {
  const u = cpuUsage();
  return [u.user / 1e6, u.system / 1e6];
}

export function generalStats(ctx: StatsContext): StatLine[] {
  const sums = ctx.counters.sum();
  const st = ctx.store.stats() as unknown as Record<string, number>;
  const base = ctx.baseline.values;
  const reset = (name: (typeof RESETTABLE)[number]) => st[name] - base[RESETTABLE.indexOf(name)];
  const now = ctx.store.time;
  const [user, system] = rusage();
  const n = (name: keyof typeof C) => sums[C[name]];
  const cfg = ctx.config;
  const moves = lruMoves(ctx);
  return [
    ['pid', process.pid],
    ['uptime', now - ctx.startedAt],
    ['time', now],
    ['version', ctx.version],
    ['libevent', 'node'],
    ['pointer_size', 64],
    ['rusage_user', user, 6],
    ['rusage_system', system, 6],
    ['max_connections', cfg.maxConnections],
    ['curr_connections', n('curr_connections')],
    ['total_connections', n('total_connections')],
    ['rejected_connections', n('rejected_connections')],
    ['connection_structures', ctx.conns.open()],
    ['cmd_get', n('cmd_get')],
    ['cmd_set', n('cmd_set')],
    ['cmd_flush', n('cmd_flush')],
    ['cmd_touch', n('cmd_touch')],
    ['cmd_meta', n('cmd_meta')],
    ['get_hits', n('get_hits')],
    ['get_misses', n('get_misses')],
    ['get_expired', n('get_expired')],
    ['get_flushed', n('get_flushed')],
    ['delete_misses', n('delete_misses')],
    ['delete_hits', n('delete_hits')],
    ['incr_misses', n('incr_misses')],
    ['incr_hits', n('incr_hits')],
    ['decr_misses', n('decr_misses')],
    ['decr_hits', n('decr_hits')],
    ['cas_misses', n('cas_misses')],
    ['cas_hits', n('cas_hits')],
    ['cas_badval', n('cas_badval')],
    ['touch_hits', n('touch_hits')],
    ['touch_misses', n('touch_misses')],
    ['store_too_large', n('store_too_large')],
    ['store_no_memory', n('store_no_memory')],
    ['auth_cmds', n('auth_cmds')],
    ['auth_errors', n('auth_errors')],
    ['bytes_read', n('bytes_read')],
    ['bytes_written', n('bytes_written')],
    ['limit_maxbytes', st.limit_maxbytes],
    ['accepting_conns', 1],
    ['listen_disabled_num', 0],
    ['threads', cfg.threads],
    ['conn_yields', n('conn_yields')],
    ['hash_power_level', st.hash_power_level],
    ['hash_bytes', st.hash_bytes],
    ['hash_is_expanding', st.hash_is_expanding],
    ['slab_global_page_pool', st.slab_global_page_pool],
    ['bytes', st.bytes],
    ['curr_items', st.curr_items],
    ['total_items', reset('total_items')],
    ['expired_unfetched', reset('expired_unfetched')],
    ['evicted_unfetched', reset('evicted_unfetched')],
    ['evicted_active', reset('evicted_active')],
    ['evictions', reset('evictions')],
    ['reclaimed', reset('reclaimed')],
    ['crawler_reclaimed', reset('crawler_reclaimed')],
    ['crawler_items_checked', reset('crawler_items_checked')],
    ['lrutail_reflocked', 0],
    ['moves_to_cold', moves.toCold],
    ['moves_to_warm', moves.toWarm],
    ['moves_within_lru', moves.withinLru],
    ['direct_reclaims', 0],
    ['lru_bumps_dropped', 0],
    ['rss_bytes', memoryUsage.rss()],
    ...tlsStats(ctx, n, now),
    // slabcached's own: workers started again after dying (see workers.ts).
    ['worker_restarts', Atomics.load(ctx.shared, SH_WORKER_RESTARTS)],
  ];
}

/** memcached's TLS counters, present only with -Z as in memcached. */
function tlsStats(ctx: StatsContext, n: (name: keyof typeof C) => number, now: number): StatLine[] {
  const cfg = ctx.config;
  if (!cfg.ssl) return [];
  const refreshed = Atomics.load(ctx.shared, SH_CERTS_REFRESHED) || ctx.startedAt;
  return [
    ...(cfg.sslSessionCache ? [['ssl_new_sessions', n('ssl_new_sessions')] as StatLine] : []),
    ['ssl_handshake_errors', n('ssl_handshake_errors')],
    ['time_since_server_cert_refresh', now - refreshed],
  ];
}

/** LRU moves summed over classes, from one snapshot of `stats items`. */
function lruMoves(ctx: StatsContext): { toCold: number; toWarm: number; withinLru: number } {
  const moves = { toCold: 0, toWarm: 0, withinLru: 0 };
  for (const c of ctx.store.itemStats()) {
    moves.toCold += c.moves_to_cold;
    moves.toWarm += c.moves_to_warm;
    moves.withinLru += c.moves_within_lru;
  }
  return moves;
}

export function settingsStats(ctx: StatsContext): StatLine[] {
  const cfg = ctx.config;
  const s = ctx.store.settings;
  const lru = ctx.store.lruShares();
  return [
    ['maxbytes', ctx.store.stats().limit_maxbytes],
    ['maxconns', cfg.maxConnections],
    ['tcpport', cfg.port],
    ['udpport', cfg.udpPort],
    ['inter', cfg.listen.join(',') || 'NULL'],
    ['verbosity', Atomics.load(ctx.shared, SH_VERBOSITY)],
    ['oldest', 0],
    ['evictions', s.evict ? 'on' : 'off'],
    ['domain_socket', cfg.unixSocket ?? 'NULL'],
    ['umask', cfg.unixMask.toString(8)],
    ['shutdown_command', onoff(cfg.enableShutdown)],
    ['growth_factor', s.growthFactor, 2],
    ['chunk_size', s.minChunk],
    ['num_threads', cfg.threads],
    ['num_threads_per_udp', cfg.threads],
    ['stat_key_prefix', cfg.delimiter],
    ['detail_enabled', 'no'],
    ['reqs_per_event', cfg.reqsPerEvent],
    ['cas_enabled', onoff(s.cas)],
    ['tcp_backlog', cfg.backlog],
    ['binding_protocol', cfg.protocol === 'auto' ? 'auto-negotiate' : cfg.protocol],
    ['auth_enabled_sasl', onoff(cfg.sasl)],
    ['auth_enabled_ascii', onoff(cfg.authFile !== null)],
    ['item_size_max', s.itemSizeMax],
    ['maxconns_fast', 'yes'],
    ['hashpower_init', s.hashPower],
    ['slab_reassign', onoff(cfg.slabReassign)],
    ['slab_automove', Atomics.load(ctx.shared, SH_SLAB_AUTOMOVE)],
    ['slab_chunk_max', s.slabChunkMax],
    ['lru_crawler', onoff(Atomics.load(ctx.shared, SH_LRU_CRAWLER) === 1)],
    ['lru_crawler_sleep', Atomics.load(ctx.shared, SH_CRAWLER_SLEEP)],
    ['lru_crawler_tocrawl', Atomics.load(ctx.shared, SH_CRAWLER_TOCRAWL)],
    ['tail_repair_time', 0],
    ['flush_enabled', onoff(cfg.flushEnabled)],
    ['dump_enabled', onoff(cfg.dumpEnabled)],
    ['hash_algorithm', 'murmur3'],
    ['lru_maintainer_thread', 'no'],
    ['lru_segmented', 'yes'],
    ['hot_lru_pct', lru.hot],
    ['warm_lru_pct', lru.warm],
    ['temp_lru', 'no'],
    ['idle_timeout', cfg.idleTimeout],
    ['slab_page_size', s.pageSize],
    ['ssl_enabled', onoff(cfg.ssl)],
    ...(cfg.ssl ? tlsSettings(cfg) : []),
  ];
}

export function slabsStats(ctx: StatsContext): StatLine[] {
  const lines: StatLine[] = [];
  const classes = ctx.store.slabStats();
  const sums = ctx.counters.sum();
  let malloced = 0;
  for (const c of classes) {
    const p = `${c.id}:`;
    lines.push(
      [`${p}chunk_size`, c.chunk_size],
      [`${p}chunks_per_page`, c.chunks_per_page],
      [`${p}total_pages`, c.total_pages],
      [`${p}total_chunks`, c.total_chunks],
      [`${p}used_chunks`, c.used_chunks],
      [`${p}free_chunks`, c.free_chunks],
      [`${p}free_chunks_end`, c.free_chunks_end],
    );
    // memcached's per-class command counters (get_hits, cmd_set, ... touch_hits).
    SLAB_COUNTER_NAMES.forEach((name, i) => {
      lines.push([`${p}${name}`, sums[slabCounter(c.id, i)]]);
    });
    malloced += c.total_pages * ctx.store.settings.pageSize;
  }
  lines.push(['active_slabs', classes.length], ['total_malloced', malloced]);
  return lines;
}

export function itemsStats(ctx: StatsContext): StatLine[] {
  const lines: StatLine[] = [];
  for (const c of ctx.store.itemStats()) {
    if (c.number === 0 && c.evicted === 0 && c.outofmemory === 0) continue;
    const p = `items:${c.id}:`;
    lines.push(
      [`${p}number`, c.number],
      [`${p}number_hot`, c.number_hot],
      [`${p}number_warm`, c.number_warm],
      [`${p}number_cold`, c.number_cold],
      [`${p}age_hot`, c.age_hot],
      [`${p}age_warm`, c.age_warm],
      [`${p}age`, c.age],
      [`${p}mem_requested`, c.mem_requested],
      [`${p}evicted`, c.evicted],
      [`${p}evicted_nonzero`, c.evicted_nonzero],
      [`${p}evicted_time`, c.evicted_time],
      [`${p}outofmemory`, c.outofmemory],
      [`${p}tailrepairs`, c.tailrepairs],
      [`${p}reclaimed`, c.reclaimed],
      [`${p}expired_unfetched`, c.expired_unfetched],
      [`${p}evicted_unfetched`, c.evicted_unfetched],
      [`${p}evicted_active`, c.evicted_active],
      [`${p}crawler_reclaimed`, c.crawler_reclaimed],
      [`${p}crawler_items_checked`, c.crawler_items_checked],
      [`${p}lrutail_reflocked`, c.lrutail_reflocked],
      [`${p}moves_to_cold`, c.moves_to_cold],
      [`${p}moves_to_warm`, c.moves_to_warm],
      [`${p}moves_within_lru`, c.moves_within_lru],
      [`${p}direct_reclaims`, c.direct_reclaims],
      [`${p}hits_to_hot`, 0],
      [`${p}hits_to_warm`, 0],
      [`${p}hits_to_cold`, 0],
      [`${p}hits_to_temp`, 0],
    );
  }
  return lines;
}

export function connsStats(ctx: StatsContext): StatLine[] {
  const lines: StatLine[] = [];
  const host = ctx.config.listen[0] ?? '127.0.0.1';
  for (const c of ctx.conns.list(ctx.store.relativeTime, host)) {
    lines.push(
      [`${c.id}:addr`, c.addr],
      [`${c.id}:listen_addr`, c.listenAddr],
      [`${c.id}:state`, c.state],
      [`${c.id}:secs_since_last_cmd`, c.secsSinceLastCmd],
    );
  }
  return lines;
}

/** A statistic's value as the text and binary protocols print it. */
export function statText([, value, decimals]: StatLine): string {
  return decimals !== undefined && typeof value === 'number'
    ? value.toFixed(decimals)
    : String(value);
}

export function formatStats(lines: StatLine[]): string {
  let s = '';
  for (const line of lines) s += `STAT ${line[0]} ${statText(line)}\r\n`;
  return `${s}END\r\n`;
}

const onoff = (b: boolean) => (b ? 'yes' : 'no');

/** memcached's ssl_* settings lines (with -Z). */
function tlsSettings(cfg: StatsContext['config']): StatLine[] {
  return [
    ['ssl_chain_cert', cfg.sslChainCert ?? 'NULL'],
    ['ssl_key', cfg.sslKey ?? 'NULL'],
    ['ssl_verify_mode', cfg.sslVerifyMode],
    ['ssl_keyformat', cfg.sslKeyFormat === 'der' ? 2 : 1],
    ['ssl_ciphers', cfg.sslCiphers ?? 'NULL'],
    ['ssl_ca_cert', cfg.sslCaCert ?? 'NULL'],
    ['ssl_wbuf_size', cfg.sslWbufSize],
    ['ssl_session_cache', onoff(cfg.sslSessionCache)],
    ['ssl_kernel_tls', onoff(cfg.sslKernelTls)],
    // memcached's names: tlsv1.0 .. tlsv1.3.
    [
      'ssl_min_version',
      cfg.sslMinVersion === 'TLSv1' ? 'tlsv1.0' : cfg.sslMinVersion.toLowerCase(),
    ],
  ];
}
