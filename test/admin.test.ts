/**
 * The admin service of a running slabcached (three worker threads) after real traffic over the
 * text protocol: its JSON agrees with `stats`, `stats settings`, `stats slabs`, `stats items`
 * and `stats conns`; /metrics parses as Prometheus text and carries memcached_exporter's
 * metrics with the same numbers; counters move with traffic; the token gates POST /flush.
 */
import { readFileSync } from 'node:fs';
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import t from 'tap';
import { RawClient } from '../packages/server/test/helpers/raw-client.ts';
import { type AdminTestServer, startAdminServer } from './helpers/admin.ts';

const TOKEN = 'env-s3cret';

/** Every metric memcached_exporter v0.16 derives from what slabcached reports, with its type
 * (pkg/exporter/exporter.go). */
const EXPORTER_METRICS: Record<string, 'COUNTER' | 'GAUGE'> = {
  memcached_up: 'GAUGE',
  memcached_uptime_seconds: 'COUNTER',
  memcached_time_seconds: 'GAUGE',
  memcached_version: 'GAUGE',
  memcached_process_user_cpu_seconds_total: 'COUNTER',
  memcached_process_system_cpu_seconds_total: 'COUNTER',
  memcached_read_bytes_total: 'COUNTER',
  memcached_written_bytes_total: 'COUNTER',
  memcached_current_connections: 'GAUGE',
  memcached_max_connections: 'GAUGE',
  memcached_connections_total: 'COUNTER',
  memcached_connections_rejected_total: 'COUNTER',
  memcached_connections_yielded_total: 'COUNTER',
  memcached_connections_listener_disabled_total: 'COUNTER',
  memcached_current_bytes: 'GAUGE',
  memcached_limit_bytes: 'GAUGE',
  memcached_commands_total: 'COUNTER',
  memcached_current_items: 'GAUGE',
  memcached_items_total: 'COUNTER',
  memcached_items_evicted_total: 'COUNTER',
  memcached_items_reclaimed_total: 'COUNTER',
  memcached_item_too_large_total: 'COUNTER',
  memcached_item_no_memory_total: 'COUNTER',
  memcached_direct_reclaims_total: 'COUNTER',
  memcached_lru_crawler_items_checked_total: 'COUNTER',
  memcached_lru_crawler_reclaimed_total: 'COUNTER',
  memcached_lru_crawler_moves_to_cold_total: 'COUNTER',
  memcached_lru_crawler_moves_to_warm_total: 'COUNTER',
  memcached_lru_crawler_moves_within_lru_total: 'COUNTER',
  memcached_malloced_bytes: 'GAUGE',
  memcached_accepting_connections: 'GAUGE',
  memcached_lru_crawler_enabled: 'GAUGE',
  memcached_lru_crawler_sleep: 'GAUGE',
  memcached_lru_crawler_to_crawl: 'GAUGE',
  memcached_lru_crawler_maintainer_thread: 'GAUGE',
  memcached_lru_crawler_hot_percent: 'GAUGE',
  memcached_lru_crawler_warm_percent: 'GAUGE',
  memcached_slab_current_items: 'GAUGE',
  memcached_slab_items_age_seconds: 'GAUGE',
  memcached_slab_lru_hits_total: 'COUNTER',
  memcached_slab_items_crawler_reclaimed_total: 'COUNTER',
  memcached_slab_items_evicted_total: 'COUNTER',
  memcached_slab_items_evicted_nonzero_total: 'COUNTER',
  memcached_slab_items_evicted_time_seconds: 'COUNTER',
  memcached_slab_items_evicted_unfetched_total: 'COUNTER',
  memcached_slab_items_expired_unfetched_total: 'COUNTER',
  memcached_slab_items_outofmemory_total: 'COUNTER',
  memcached_slab_items_reclaimed_total: 'COUNTER',
  memcached_slab_items_tailrepairs_total: 'COUNTER',
  memcached_slab_mem_requested_bytes: 'COUNTER',
  memcached_slab_items_moves_to_cold: 'COUNTER',
  memcached_slab_items_moves_to_warm: 'COUNTER',
  memcached_slab_items_moves_within_lru: 'COUNTER',
  memcached_slab_hot_items: 'GAUGE',
  memcached_slab_warm_items: 'GAUGE',
  memcached_slab_cold_items: 'GAUGE',
  memcached_slab_hot_age_seconds: 'GAUGE',
  memcached_slab_warm_age_seconds: 'GAUGE',
  memcached_slab_chunk_size_bytes: 'GAUGE',
  memcached_slab_chunks_per_page: 'GAUGE',
  memcached_slab_current_pages: 'GAUGE',
  memcached_slab_current_chunks: 'GAUGE',
  memcached_slab_chunks_used: 'GAUGE',
  memcached_slab_chunks_free: 'GAUGE',
  memcached_slab_chunks_free_end: 'GAUGE',
  memcached_slab_commands_total: 'COUNTER',
};

/** Stats that change by themselves between two reads a few milliseconds apart. */
const MOVING = new Set([
  'uptime',
  'time',
  'rusage_user',
  'rusage_system',
  'rss_bytes',
  // The `stats` request and its reply count themselves.
  'bytes_read',
  'bytes_written',
  // The crawler walks pages every second in the background.
  'crawler_items_checked',
  'crawler_reclaimed',
]);

type Text = Record<string, string>;

/** "STAT name value" lines of one reply. */
function statLines(reply: string): Text {
  const out: Text = {};
  for (const line of reply.split('\r\n')) {
    if (!line.startsWith('STAT ')) continue;
    const space = line.indexOf(' ', 5);
    out[line.slice(5, space)] = line.slice(space + 1);
  }
  return out;
}

/** "<id>:<field>" names (after `prefix`) as {id: {field: value}}. */
function perClass(lines: Text, prefix = ''): Record<string, Text> {
  const out: Record<string, Text> = {};
  for (const [name, value] of Object.entries(lines)) {
    const m = /^(\d+):(\w+)$/.exec(name.startsWith(prefix) ? name.slice(prefix.length) : name);
    if (m === null) continue;
    out[m[1]] ??= {};
    out[m[1]][m[2]] = value;
  }
  return out;
}

/** A text value as the JSON should carry it: numbers as numbers. */
function typed(value: string): string | number {
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

function typedAll(lines: Text): Record<string, string | number> {
  return Object.fromEntries(Object.entries(lines).map(([k, v]) => [k, typed(v)]));
}

function sample(m: MetricFamily[], name: string, labels: Record<string, string> = {}) {
  const s = m
    .find((f) => f.name === name)
    ?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return s === undefined ? undefined : Number(s.value);
}

let server: AdminTestServer;
const clients: RawClient[] = [];
let c: RawClient;

async function json(path: string): Promise<Record<string, unknown>> {
  const r = await server.http(path);
  t.equal(r.status, 200, path);
  return (await r.json()) as Record<string, unknown>;
}

async function metrics(): Promise<MetricFamily[]> {
  const r = await server.http('/metrics');
  return parsePrometheusTextFormat(await r.text());
}

/** Keys over several slab classes, hits and misses, deletes, incr, cas outcomes, touch. */
async function traffic(): Promise<void> {
  for (const [i, client] of clients.entries()) {
    for (let k = 0; k < 30; k++) {
      const value = 'x'.repeat(20 + ((k * 97) % 2000));
      t.equal(
        await client.call(`set k${i}:${k} 0 0 ${value.length}\r\n${value}\r\n`),
        'STORED\r\n',
      );
      await client.call(`get k${i}:${k} nope${k}\r\n`, 'END\r\n');
    }
  }
  t.equal(await c.call('delete k0:0\r\n'), 'DELETED\r\n');
  t.equal(await c.call('delete k0:0\r\n'), 'NOT_FOUND\r\n');
  t.equal(await c.call('set n 0 0 1\r\n1\r\n'), 'STORED\r\n');
  t.equal(await c.call('incr n 5\r\n'), '6\r\n');
  t.equal(await c.call('decr missing 1\r\n'), 'NOT_FOUND\r\n');
  const gets = await c.call('gets n\r\n', 'END\r\n');
  const cas = /VALUE n 0 1 (\d+)/.exec(gets)![1];
  t.equal(await c.call(`cas n 0 0 1 ${cas}\r\n7\r\n`), 'STORED\r\n');
  t.equal(await c.call(`cas n 0 0 1 ${cas}\r\n8\r\n`), 'EXISTS\r\n');
  t.equal(await c.call('cas gone 0 0 1 1\r\n9\r\n'), 'NOT_FOUND\r\n');
  t.equal(await c.call('touch n 100\r\n'), 'TOUCHED\r\n');
}

t.before(async () => {
  // The token from the environment, as an operator would keep it out of `ps`.
  const saved = process.env.SLABCACHE_ADMIN_TOKEN;
  process.env.SLABCACHE_ADMIN_TOKEN = TOKEN;
  try {
    server = await startAdminServer(['-t', '3']);
  } finally {
    if (saved === undefined) delete process.env.SLABCACHE_ADMIN_TOKEN;
    else process.env.SLABCACHE_ADMIN_TOKEN = saved;
  }
  for (let i = 0; i < 4; i++) clients.push(await RawClient.connect(server.port));
  c = clients[0];
  await traffic();
});

t.teardown(async () => {
  for (const client of clients) client.close();
  await server.close();
});

t.test('/stats equals the text protocol stats, numbers as numbers', async (t) => {
  const text = statLines(await c.call('stats\r\n', 'END\r\n'));
  const stats = await json('/stats');
  t.same(Object.keys(stats), Object.keys(text), 'the same fields in the same order');
  for (const [name, value] of Object.entries(text)) {
    if (MOVING.has(name)) t.equal(typeof stats[name], 'number', name);
    else t.equal(stats[name], typed(value), name);
  }
  t.ok((stats.get_hits as number) > 0 && (stats.get_misses as number) > 0, 'real traffic');
  t.equal(stats.threads, 3);
});

t.test('/stats/settings equals stats settings', async (t) => {
  const text = statLines(await c.call('stats settings\r\n', 'END\r\n'));
  t.same(await json('/stats/settings'), typedAll(text));
});

t.test('/stats/slabs and /stats/items match stats slabs and stats items', async (t) => {
  const slabsText = statLines(await c.call('stats slabs\r\n', 'END\r\n'));
  const slabs = (await json('/stats/slabs')) as {
    slabs: Record<string, Record<string, number>>;
    active_slabs: number;
    total_malloced: number;
  };
  const classes = perClass(slabsText);
  t.ok(Object.keys(classes).length >= 3, 'the traffic filled several slab classes');
  t.same(
    slabs,
    {
      slabs: Object.fromEntries(Object.entries(classes).map(([id, f]) => [id, typedAll(f)])),
      active_slabs: Number(slabsText.active_slabs),
      total_malloced: Number(slabsText.total_malloced),
    },
    'every class and total',
  );

  const itemsText = perClass(statLines(await c.call('stats items\r\n', 'END\r\n')), 'items:');
  const items = (await json('/stats/items')) as { items: Record<string, Record<string, number>> };
  t.same(Object.keys(items.items), Object.keys(itemsText));
  for (const [id, fields] of Object.entries(itemsText)) {
    t.same(Object.keys(items.items[id]), Object.keys(fields), `class ${id} fields`);
    for (const [field, value] of Object.entries(fields)) {
      // The crawler walks pages in the background between the two reads: its counts move.
      if (field.startsWith('crawler_')) continue;
      // Ages count seconds on the store clock, which may tick between the two reads.
      const slack = field.startsWith('age') ? 1 : 0;
      const diff = Math.abs(items.items[id][field] - Number(value));
      t.ok(diff <= slack, `class ${id} ${field}: ${items.items[id][field]} vs ${value}`);
    }
  }
});

t.test('/stats/conns lists the same connections as stats conns', async (t) => {
  const text = perClass(statLines(await c.call('stats conns\r\n', 'END\r\n')));
  const conns = (await json('/stats/conns')) as { conns: Record<string, Record<string, unknown>> };
  t.same(Object.keys(conns.conns).sort(), Object.keys(text).sort());
  t.equal(Object.keys(text).length, clients.length);
  for (const [id, f] of Object.entries(text)) t.equal(conns.conns[id].addr, f.addr, id);
});

t.test('/metrics: every exporter metric, with the numbers of stats', async (t) => {
  const r = await server.http('/metrics');
  t.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const m = parsePrometheusTextFormat(await r.text());
  for (const [name, type] of Object.entries(EXPORTER_METRICS)) {
    const family = m.find((f) => f.name === name);
    t.equal(family?.type, type, `${name} is a ${type.toLowerCase()}`);
    t.ok((family?.metrics.length ?? 0) > 0, `${name} has samples`);
  }
  const exported = m.filter((f) => f.name.startsWith('memcached_')).map((f) => f.name);
  t.same(exported.sort(), Object.keys(EXPORTER_METRICS).sort(), 'and no other memcached_*');
  t.ok(
    m.some((f) => f.name === 'nodejs_heap_size_used_bytes'),
    'default Node metrics',
  );
  t.ok(
    m.some((f) => f.name === 'slabcache_slab_wasted_bytes'),
    'slabcache metrics',
  );

  const stats = await json('/stats');
  const cmd = (command: string, status: string) =>
    sample(m, 'memcached_commands_total', { command, status });
  t.equal(sample(m, 'memcached_up'), 1);
  t.equal(cmd('get', 'hit'), stats.get_hits);
  t.equal(cmd('get', 'miss'), stats.get_misses);
  t.equal(cmd('delete', 'hit'), 1);
  t.equal(cmd('delete', 'miss'), 1);
  t.equal(cmd('incr', 'hit'), 1);
  t.equal(cmd('decr', 'miss'), 1);
  t.same([cmd('cas', 'hit'), cmd('cas', 'badval'), cmd('cas', 'miss')], [1, 1, 1]);
  t.equal(cmd('touch', 'hit'), 1);
  t.equal(cmd('set', 'hit'), (stats.cmd_set as number) - 3, 'cmd_set less the three cas');
  t.equal(sample(m, 'memcached_current_items'), stats.curr_items);
  t.equal(sample(m, 'memcached_limit_bytes'), stats.limit_maxbytes);
  t.equal(sample(m, 'memcached_current_connections'), stats.curr_connections);
  t.equal(sample(m, 'memcached_version', { version: stats.version as string }), 1);
  const slabs = (await json('/stats/slabs')) as { slabs: Record<string, Record<string, number>> };
  for (const [slab, f] of Object.entries(slabs.slabs)) {
    t.equal(sample(m, 'memcached_slab_chunk_size_bytes', { slab }), f.chunk_size, slab);
    t.equal(sample(m, 'memcached_slab_chunks_used', { slab }), f.used_chunks, slab);
    t.equal(sample(m, 'memcached_slab_current_pages', { slab }), f.total_pages, slab);
    const slabCmd = (command: string, status: string) =>
      sample(m, 'memcached_slab_commands_total', { slab, command, status });
    t.equal(slabCmd('get', 'hit'), f.get_hits, `${slab}: get hits`);
    t.equal(slabCmd('set', 'hit'), f.cmd_set, `${slab}: sets`);
    t.equal(slabCmd('cas', 'badval'), f.cas_badval, `${slab}: cas badval`);
  }
  // Per class, the commands add up to the general counters.
  const total = (field: string) =>
    Object.values(slabs.slabs).reduce((n, f) => n + (f[field] ?? 0), 0);
  t.equal(total('get_hits'), stats.get_hits, 'per-class get hits sum to get_hits');
  t.equal(total('cmd_set'), stats.cmd_set, 'per-class sets sum to cmd_set');
  t.same(
    ['delete_hits', 'incr_hits', 'cas_hits', 'cas_badval', 'touch_hits'].map(total),
    [1, 1, 1, 1, 1],
  );
});

t.test('every metric the Grafana dashboard queries is served', async (t) => {
  const dashboard = readFileSync(
    new URL('../deploy/grafana/slabcache-dashboard.json', import.meta.url),
    'utf8',
  );
  // The PromQL of every panel and variable.
  const queries = [...dashboard.matchAll(/"(?:expr|definition)": "((?:[^"\\]|\\.)*)"/g)];
  const queried = new Set(
    queries.flatMap((q) => q[1].match(/\b(?:memcached|slabcache)_\w+/g) ?? []),
  );
  t.ok(queried.size >= 10, `the dashboard queries ${queried.size} metrics`);
  const served = new Set((await metrics()).filter((f) => f.metrics.length > 0).map((f) => f.name));
  for (const name of queried) t.ok(served.has(name), name);
});

t.test('counters move with traffic', async (t) => {
  const before = await metrics();
  const hits = (m: MetricFamily[]) =>
    sample(m, 'memcached_commands_total', { command: 'get', status: 'hit' })!;
  for (let k = 0; k < 25; k++) {
    t.equal(await clients[1].call(`set more${k} 0 0 3\r\nabc\r\n`), 'STORED\r\n');
    t.match(await clients[1].call(`get more${k}\r\n`, 'END\r\n'), /^VALUE /);
  }
  const after = await metrics();
  t.equal(hits(after) - hits(before), 25, '25 more get hits');
  t.equal(
    sample(after, 'memcached_current_items')! - sample(before, 'memcached_current_items')!,
    25,
  );
  t.ok(
    sample(after, 'memcached_read_bytes_total')! > sample(before, 'memcached_read_bytes_total')!,
  );
});

t.test('the token gates POST /flush; with it the cache is emptied', async (t) => {
  t.equal((await server.http('/flush', { method: 'POST' })).status, 401, 'no token');
  const wrong = await server.http('/flush', {
    method: 'POST',
    headers: { authorization: 'Bearer not-it' },
  });
  t.equal(wrong.status, 403, 'wrong token');
  t.match(await c.call('get k1:1\r\n', 'END\r\n'), /^VALUE k1:1 /, 'nothing was flushed');
  const ok = await server.http('/flush', {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  t.equal(ok.status, 200);
  t.same(await ok.json(), { result: 'OK', delay: 0 });
  for (const key of ['k1:1', 'k2:29', 'n', 'more3']) {
    t.equal(await c.call(`get ${key}\r\n`, 'END\r\n'), 'END\r\n', `${key} is gone`);
  }
});

t.test('health: /healthz and /readyz of a running server', async (t) => {
  t.same(await json('/healthz'), { status: 'ok' });
  t.same(await json('/readyz'), { status: 'ready', listening: true, accepting: true });
});

t.test('--admin-token wins over the environment; -F refuses the flush', async (t) => {
  const saved = process.env.SLABCACHE_ADMIN_TOKEN;
  process.env.SLABCACHE_ADMIN_TOKEN = 'from-env';
  const other = await startAdminServer(['-t', '1', '-F', '--admin-token', 'from-flag']).finally(
    () => {
      if (saved === undefined) delete process.env.SLABCACHE_ADMIN_TOKEN;
      else process.env.SLABCACHE_ADMIN_TOKEN = saved;
    },
  );
  t.teardown(() => other.close());
  const post = (token: string) =>
    other.http('/flush', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  t.equal((await post('from-env')).status, 403);
  const refused = await post('from-flag');
  t.equal(refused.status, 403);
  t.equal(((await refused.json()) as { code: string }).code, 'SLAB_ADMIN_FLUSH_DISABLED');
});
