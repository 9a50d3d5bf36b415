/**
 * Connection limits and sharing across worker threads: -c caps connections with memcached's
 * refusal, -o idle_timeout closes idle clients, a write on one worker is visible on all, and
 * -M refuses stores when the cache is full.
 */
import t from 'tap';
import { RawClient } from './helpers/raw-client.ts';
import { startTestServer } from './helpers/server.ts';

t.test('-c caps connections across all workers', async (t) => {
  const server = await startTestServer(['-c', '3']);
  t.teardown(() => server.close());
  const open = await Promise.all([0, 1, 2].map(() => RawClient.connect(server.port)));
  for (const c of open) t.match(await c.call('version\r\n'), /^VERSION /);
  const extra = await RawClient.connect(server.port);
  t.equal(await extra.readLine(), 'ERROR Too many open connections\r\n');
  await extra.closed();
  open[0].close();
  await new Promise((r) => setTimeout(r, 100));
  const again = await RawClient.connect(server.port);
  t.match(await again.call('version\r\n'), /^VERSION /, 'a closed connection frees its place');
  const stats = await again.call('stats\r\n', 'END\r\n');
  t.match(stats, /STAT rejected_connections 1\r\n/);
  t.match(stats, /STAT curr_connections 3\r\n/);
  t.match(stats, /STAT max_connections 3\r\n/);
  for (const c of [...open, again]) c.close();
});

t.test('-o idle_timeout closes idle connections', async (t) => {
  const server = await startTestServer(['-o', 'idle_timeout=1']);
  t.teardown(() => server.close());
  const c = await RawClient.connect(server.port);
  t.match(await c.call('version\r\n'), /^VERSION /);
  const started = Date.now();
  await c.closed(5000);
  t.ok(Date.now() - started >= 900, 'closed after about a second of silence');
});

t.test('every worker sees every write at once', async (t) => {
  const server = await startTestServer(['-t', '4']);
  t.teardown(() => server.close());
  const clients = await Promise.all(
    Array.from({ length: 8 }, () => RawClient.connect(server.port)),
  );
  let misses = 0;
  for (let i = 0; i < 200; i++) {
    const writer = clients[i % 8];
    const reader = clients[(i * 3 + 1) % 8];
    await writer.call(`set vis${i} 0 0 ${String(i).length}\r\n${i}\r\n`);
    const got = await reader.call(`get vis${i}\r\n`, 'END\r\n');
    if (got !== `VALUE vis${i} 0 ${String(i).length}\r\n${i}\r\nEND\r\n`) misses++;
  }
  t.equal(misses, 0);
  const conns = await clients[0].call('stats conns\r\n', 'END\r\n');
  t.equal(
    conns.match(/:addr tcp:127\.0\.0\.1:\d+\r\n/g)?.length,
    8,
    'stats conns lists the connections of all workers',
  );
  t.match(conns, /:state conn_(waiting|parse_cmd)\r\n/);
  for (const c of clients) c.close();
});

t.test('stats groups and stats reset', async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.close());
  const c = await RawClient.connectFor(t, server.port);
  await c.call(`set s1 0 0 100\r\n${'x'.repeat(100)}\r\n`);
  await c.call('get s1\r\n', 'END\r\n');
  await c.call('get nope\r\n', 'END\r\n');
  const general = await c.call('stats\r\n', 'END\r\n');
  for (const name of [
    'pid',
    'uptime',
    'time',
    'version',
    'curr_connections',
    'total_connections',
    'cmd_get',
    'cmd_set',
    'get_hits',
    'get_misses',
    'get_expired',
    'delete_hits',
    'incr_hits',
    'cas_badval',
    'touch_hits',
    'bytes_read',
    'bytes_written',
    'limit_maxbytes',
    'threads',
    'bytes',
    'curr_items',
    'total_items',
    'evictions',
    'reclaimed',
  ]) {
    t.match(general, new RegExp(`STAT ${name} \\S+\\r\\n`), name);
  }
  t.match(general, /STAT cmd_get 2\r\nSTAT cmd_set 1\r\n/);
  t.match(general, /STAT get_hits 1\r\nSTAT get_misses 1\r\n/);
  t.match(general, /STAT curr_items 1\r\n/);
  t.match(general, /STAT threads 2\r\n/);
  const slabs = await c.call('stats slabs\r\n', 'END\r\n');
  t.match(
    slabs,
    /STAT 3:chunk_size 144\r\n/,
    'header 40 + key 2 + value 100 fits the 144-byte class',
  );
  t.match(slabs, /STAT active_slabs 1\r\nSTAT total_malloced 1048576\r\nEND\r\n$/);
  const items = await c.call('stats items\r\n', 'END\r\n');
  t.match(items, /STAT items:\d+:number 1\r\n/);
  const settings = await c.call('stats settings\r\n', 'END\r\n');
  t.match(settings, /STAT maxbytes 67108864\r\n/);
  t.match(settings, /STAT item_size_max 1048576\r\n/);
  t.match(settings, /STAT growth_factor 1.25\r\n/);
  t.equal(await c.call('stats sizes\r\n', 'END\r\n'), 'STAT sizes_status disabled\r\nEND\r\n');
  t.equal(await c.call('stats bogus\r\n'), 'ERROR\r\n');
  t.equal(await c.call('stats reset\r\n'), 'RESET\r\n');
  const after = await c.call('stats\r\n', 'END\r\n');
  t.match(after, /STAT cmd_get 0\r\n/);
  t.match(after, /STAT total_items 0\r\n/);
  t.match(after, /STAT curr_items 1\r\n/, 'resets counters, not the cache');
  t.match(after, /STAT curr_connections 1\r\n/, 'and not the gauges');
});

t.test('-M: a full cache refuses stores and counts them in store_no_memory', async (t) => {
  const server = await startTestServer(['-M', '-m', '8', '-t', '1']);
  t.teardown(() => server.close());
  const c = await RawClient.connectFor(t, server.port);
  const value = 'v'.repeat(100_000);
  let refused = '';
  for (let i = 0; i < 200 && refused === ''; i++) {
    const reply = await c.call(`set fill:${i} 0 0 ${value.length}\r\n${value}\r\n`);
    if (reply !== 'STORED\r\n') refused = reply;
  }
  t.equal(refused, 'SERVER_ERROR out of memory storing object\r\n', 'text set');
  t.equal(
    await c.call(`ms fill:meta ${value.length}\r\n${value}\r\n`),
    'SERVER_ERROR out of memory storing object\r\n',
    'meta set',
  );
  t.match(
    await c.call('get fill:0\r\n', 'END\r\n'),
    /^VALUE fill:0 0 100000\r\n/,
    'nothing evicted',
  );
  const stats = await c.call('stats\r\n', 'END\r\n');
  const noMemory = Number(/STAT store_no_memory (\d+)\r\n/.exec(stats)?.[1]);
  t.equal(noMemory, 2, 'one text and one meta refusal');
  t.match(stats, /STAT evictions 0\r\n/);
});
