/**
 * The admin app alone, through fastify's inject (no port): every route against a fake
 * StatsSource with memcached-shaped numbers. test/admin.test.ts runs it over a real slabcached.
 */
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import t from 'tap';
import { buildAdminApp } from '../src/app.ts';
import type {
  FlushResult,
  ReassignResult,
  StatMap,
  StatsActions,
  StatsSource,
} from '../src/snapshot.ts';

interface Fake extends StatsSource {
  calls: Record<string, number>;
  flushed: number[];
  reassigned: [number, number][];
  settingsMap: StatMap;
  ready: { listening: boolean; accepting: boolean };
  failing: boolean;
  flushResult: FlushResult;
  reassignResult: ReassignResult;
}

function fakeSource(withActions = true): Fake {
  const calls: Record<string, number> = {};
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  const fake: Fake = {
    calls,
    flushed: [],
    reassigned: [],
    failing: false,
    flushResult: 'OK',
    reassignResult: 'OK',
    ready: { listening: true, accepting: true },
    settingsMap: {
      maxconns: 1024,
      growth_factor: 1.25,
      lru_crawler: 'yes',
      lru_crawler_sleep: 100,
      lru_crawler_tocrawl: 0,
      lru_maintainer_thread: 'no',
      hot_lru_pct: 20,
      warm_lru_pct: 40,
    },
    stats() {
      count('stats');
      if (fake.failing) throw new Error('shared memory went away');
      return {
        pid: 42,
        uptime: 7,
        time: 1_700_000_000,
        version: '1.6.21',
        rusage_user: 0.25,
        rusage_system: 0.125,
        curr_connections: 3,
        total_connections: 9,
        rejected_connections: 1,
        conn_yields: 0,
        listen_disabled_num: 0,
        cmd_get: 10,
        cmd_set: 12,
        cmd_flush: 1,
        cmd_meta: 2,
        get_hits: 6,
        get_misses: 4,
        get_expired: 1,
        get_flushed: 0,
        delete_hits: 1,
        delete_misses: 2,
        incr_hits: 0,
        incr_misses: 1,
        decr_hits: 0,
        decr_misses: 0,
        cas_misses: 1,
        cas_hits: 2,
        cas_badval: 3,
        touch_hits: 0,
        touch_misses: 0,
        store_too_large: 0,
        store_no_memory: 0,
        bytes_read: 1000,
        bytes_written: 2000,
        limit_maxbytes: 67_108_864,
        accepting_conns: 1,
        threads: 4,
        bytes: 500,
        curr_items: 5,
        total_items: 12,
        evictions: 0,
        reclaimed: 0,
      };
    },
    settings() {
      count('settings');
      return fake.settingsMap;
    },
    slabs() {
      count('slabs');
      return {
        slabs: {
          '1': {
            chunk_size: 96,
            chunks_per_page: 10922,
            total_pages: 1,
            total_chunks: 10922,
            used_chunks: 5,
            free_chunks: 10917,
            free_chunks_end: 0,
          },
        },
        active_slabs: 1,
        total_malloced: 1_048_576,
      };
    },
    items() {
      count('items');
      return {
        items: {
          '1': {
            number: 5,
            number_hot: 1,
            number_warm: 0,
            number_cold: 4,
            age_hot: 0,
            age_warm: 0,
            age: 7,
            mem_requested: 400,
            evicted: 0,
            evicted_time: 0,
            hits_to_hot: 0,
            hits_to_warm: 0,
            hits_to_cold: 0,
            hits_to_temp: 0,
          },
        },
      };
    },
    conns() {
      return {
        conns: {
          '17': {
            addr: 'tcp:127.0.0.1:5555',
            listen_addr: 'tcp:127.0.0.1:11211',
            state: 'conn_waiting',
            secs_since_last_cmd: 0,
          },
        },
      };
    },
    readiness() {
      return fake.ready;
    },
  };
  if (withActions) {
    const actions: StatsActions = {
      flush(delay) {
        fake.flushed.push(delay);
        return fake.flushResult;
      },
      reassign(src, dst) {
        fake.reassigned.push([src, dst]);
        return fake.reassignResult;
      },
    };
    fake.actions = actions;
  }
  return fake;
}

function sample(families: MetricFamily[], name: string, labels: Record<string, string> = {}) {
  const family = families.find((f) => f.name === name);
  const m = family?.metrics.find((s) =>
    Object.entries(labels).every(([k, v]) => s.labels?.[k] === v),
  );
  return m === undefined ? undefined : Number(m.value);
}

t.test('JSON stats routes: memcached names, numbers as numbers, never cached', async (t) => {
  const source = fakeSource();
  const app = buildAdminApp({ source, defaultMetrics: false });
  t.teardown(() => app.close());
  const stats = await app.inject('/stats');
  t.equal(stats.statusCode, 200);
  t.match(stats.headers['content-type'], /^application\/json/);
  t.equal(stats.headers['cache-control'], 'no-store');
  t.same(stats.json(), source.stats());
  t.equal(typeof stats.json().rusage_user, 'number');
  t.same((await app.inject('/stats/settings')).json(), source.settings());
  const slabs = (await app.inject('/stats/slabs')).json();
  t.equal(slabs.slabs['1'].chunk_size, 96);
  t.equal(slabs.total_malloced, 1_048_576);
  t.same((await app.inject('/stats/items')).json(), source.items());
  t.equal((await app.inject('/stats/conns')).json().conns['17'].state, 'conn_waiting');
  t.equal((await app.inject('/stats/nope')).statusCode, 404);
});

t.test('/healthz answers while alive; /readyz follows readiness', async (t) => {
  const source = fakeSource();
  const app = buildAdminApp({ source, defaultMetrics: false });
  t.teardown(() => app.close());
  t.same((await app.inject('/healthz')).json(), { status: 'ok' });
  const ready = await app.inject('/readyz');
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready', listening: true, accepting: true });
  source.ready = { listening: true, accepting: false };
  const full = await app.inject('/readyz');
  t.equal(full.statusCode, 503, 'not ready at -c connections');
  t.equal(full.json().status, 'not ready');
  source.ready = { listening: false, accepting: true };
  t.equal((await app.inject('/readyz')).statusCode, 503, 'not ready while closing');
});

t.test('/metrics: memcached_exporter names and values from one snapshot', async (t) => {
  const source = fakeSource();
  const app = buildAdminApp({ source });
  t.teardown(() => app.close());
  const res = await app.inject('/metrics');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  t.same(source.calls, { stats: 1, settings: 1, slabs: 1, items: 1 }, 'one read per scrape');
  const m = parsePrometheusTextFormat(res.body);
  const type = (name: string) => m.find((f) => f.name === name)?.type;
  t.equal(sample(m, 'memcached_up'), 1);
  t.equal(sample(m, 'memcached_version', { version: '1.6.21' }), 1);
  const cmd = (command: string, status: string) =>
    sample(m, 'memcached_commands_total', { command, status });
  t.equal(cmd('get', 'hit'), 6);
  t.equal(cmd('get', 'miss'), 4);
  t.equal(cmd('cas', 'badval'), 3);
  t.equal(cmd('flush', 'hit'), 1);
  t.equal(cmd('set', 'hit'), 12 - 1 - 2 - 3, "the exporter's set: cmd_set less every cas");
  t.equal(type('memcached_commands_total'), 'COUNTER');
  t.equal(sample(m, 'memcached_process_user_cpu_seconds_total'), 0.25);
  t.equal(sample(m, 'memcached_max_connections'), 1024, 'from stats settings');
  t.equal(sample(m, 'memcached_malloced_bytes'), 1_048_576, 'from stats slabs');
  t.equal(sample(m, 'memcached_lru_crawler_enabled'), 1);
  t.equal(sample(m, 'memcached_lru_crawler_maintainer_thread'), 0);
  t.equal(sample(m, 'memcached_slab_chunk_size_bytes', { slab: '1' }), 96);
  t.equal(sample(m, 'memcached_slab_current_items', { slab: '1' }), 5);
  t.equal(sample(m, 'memcached_slab_lru_hits_total', { slab: '1', lru: 'temporary' }), 0);
  t.equal(type('memcached_slab_mem_requested_bytes'), 'COUNTER', "the exporter's type, kept");
  t.equal(sample(m, 'slabcache_slab_wasted_bytes', { slab: '1' }), 96 * 5 - 400);
  t.equal(sample(m, 'slabcache_get_expired_total'), 1);
  t.ok(
    m.some((f) => f.name === 'process_cpu_user_seconds_total'),
    'default Node metrics',
  );
  t.equal(sample(m, 'memcached_items_evicted_total'), 0);
  t.notOk(
    m.find((f) => f.name === 'memcached_direct_reclaims_total')?.metrics.length,
    'a stat the source lacks has no sample',
  );

  source.settingsMap = { ...source.settingsMap, lru_crawler: 'no' };
  const off = parsePrometheusTextFormat((await app.inject('/metrics')).body);
  t.equal(sample(off, 'memcached_lru_crawler_sleep'), undefined, 'crawler metrics need it on');
  t.equal(sample(off, 'memcached_max_connections'), 1024);
});

t.test('/metrics says memcached_up 0 when the stats cannot be read', async (t) => {
  const source = fakeSource();
  const logged: string[] = [];
  const app = buildAdminApp({ source, log: (line) => logged.push(line) });
  t.teardown(() => app.close());
  source.failing = true;
  const res = await app.inject('/metrics');
  t.equal(res.statusCode, 200, 'the process metrics still answer');
  const m = parsePrometheusTextFormat(res.body);
  t.equal(sample(m, 'memcached_up'), 0);
  t.equal(sample(m, 'memcached_current_bytes'), undefined);
  t.match(logged.join('\n'), /reading stats for \/metrics failed: Error: shared memory went away/);
});

t.test('actions need the bearer token; without one they are off', async (t) => {
  const off = buildAdminApp({ source: fakeSource(), defaultMetrics: false });
  t.teardown(() => off.close());
  const refused = await off.inject({ method: 'POST', url: '/flush' });
  t.equal(refused.statusCode, 403);
  t.equal(refused.json().code, 'SLAB_ADMIN_ACTIONS_OFF');

  const source = fakeSource();
  const app = buildAdminApp({ source, token: 's3cret', defaultMetrics: false });
  t.teardown(() => app.close());
  const anonymous = await app.inject({ method: 'POST', url: '/flush' });
  t.equal(anonymous.statusCode, 401);
  t.equal(anonymous.headers['www-authenticate'], 'Bearer realm="slabcache-admin"');
  t.equal(anonymous.json().code, 'SLAB_ADMIN_NO_TOKEN');
  for (const authorization of ['Bearer s3cre', 'Bearer s3cret2', 'Basic s3cret', 'Bearer ']) {
    const r = await app.inject({ method: 'POST', url: '/flush', headers: { authorization } });
    t.equal(r.statusCode, authorization.startsWith('Bearer s') ? 403 : 401, authorization);
  }
  t.same(source.flushed, [], 'nothing flushed without the token');

  const auth = { authorization: 'Bearer s3cret' };
  const ok = await app.inject({ method: 'POST', url: '/flush', headers: auth });
  t.equal(ok.statusCode, 200);
  t.same(ok.json(), { result: 'OK', delay: 0 });
  await app.inject({ method: 'POST', url: '/flush?delay=30', headers: auth });
  t.same(source.flushed, [0, 30]);
  const bad = await app.inject({ method: 'POST', url: '/flush?delay=-1', headers: auth });
  t.equal(bad.statusCode, 400);
  source.flushResult = 'DISABLED';
  const disabled = await app.inject({ method: 'POST', url: '/flush', headers: auth });
  t.equal(disabled.statusCode, 403);
  t.equal(disabled.json().message, 'flush_all not allowed (slabcached -F)');
  t.equal((await app.inject({ method: 'GET', url: '/flush', headers: auth })).statusCode, 404);
});

t.test('POST /slabs/reassign answers memcached outcomes', async (t) => {
  const source = fakeSource();
  const app = buildAdminApp({ source, token: 's3cret', defaultMetrics: false });
  t.teardown(() => app.close());
  const post = (payload: object, authorization = 'Bearer s3cret') =>
    app.inject({ method: 'POST', url: '/slabs/reassign', headers: { authorization }, payload });
  t.equal((await post({ src: 1, dst: 2 }, 'Bearer x')).statusCode, 403);
  const ok = await post({ src: 1, dst: 2 });
  t.equal(ok.statusCode, 200);
  t.same(ok.json(), { result: 'OK', src: 1, dst: 2 });
  t.same(source.reassigned, [[1, 2]]);
  t.equal((await post({ src: 1 })).statusCode, 400, 'dst is required');
  t.equal((await post({ src: 'a', dst: 2 })).statusCode, 400);
  const outcomes: [ReassignResult, number, string][] = [
    ['BUSY', 409, 'currently processing reassign request'],
    ['BADCLASS', 400, 'invalid src or dst class id'],
    ['NOSPARE', 409, 'source class has no spare pages'],
    ['SAME', 400, 'src and dst class are identical'],
    ['DISABLED', 403, 'slab reassignment disabled'],
  ];
  for (const [result, status, message] of outcomes) {
    source.reassignResult = result;
    const r = await post({ src: -1, dst: 3 });
    t.equal(r.statusCode, status, result);
    t.equal(r.json().message, message);
    t.equal(r.json().code, `SLAB_ADMIN_REASSIGN_${result}`);
  }
});

t.test('a source without actions has no action routes', async (t) => {
  const app = buildAdminApp({ source: fakeSource(false), token: 's3cret', defaultMetrics: false });
  t.teardown(() => app.close());
  const r = await app.inject({
    method: 'POST',
    url: '/flush',
    headers: { authorization: 'Bearer s3cret' },
  });
  t.equal(r.statusCode, 404);
});

t.test('the dashboard and uPlot come from the app itself', async (t) => {
  const app = buildAdminApp({ source: fakeSource(), defaultMetrics: false });
  t.teardown(() => app.close());
  const page = await app.inject('/');
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.headers['content-security-policy'], /default-src 'self'/);
  t.match(page.body, /<script src="\/vendor\/uPlot\.iife\.min\.js"/);
  t.match(page.body, /<script src="\/dashboard\.js"/);
  for (const [url, type] of [
    ['/dashboard.js', /^text\/javascript/],
    ['/dashboard.css', /^text\/css/],
    ['/vendor/uPlot.iife.min.js', /^text\/javascript/],
    ['/vendor/uPlot.min.css', /^text\/css/],
  ] as const) {
    const r = await app.inject(url);
    t.equal(r.statusCode, 200, url);
    t.match(r.headers['content-type'], type, url);
    t.ok(r.body.length > 100, url);
  }
  t.match((await app.inject('/vendor/uPlot.iife.min.js')).body, /uPlot/);
});
