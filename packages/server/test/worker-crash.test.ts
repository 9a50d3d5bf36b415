/**
 * Worker-crash survival: a worker that dies of an uncaught exception (the test-only `debug`
 * commands, on with SLABCACHE_DEBUG_HOOKS=1) is replaced; the cache and the other workers'
 * connections carry on without a failed request; a lock the dead worker held is freed; the
 * store passes its self-check afterwards.
 */
import t from 'tap';
import { RawClient } from './helpers/raw-client.ts';
import { startTestServer } from './helpers/server.ts';

process.env.SLABCACHE_DEBUG_HOOKS = '1';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(50);
  }
  return false;
}

async function statValue(port: number, name: string): Promise<string | undefined> {
  const c = await RawClient.connect(port);
  const text = await c.call('stats\r\n', 'END\r\n');
  c.close();
  return new RegExp(`STAT ${name} (\\S+)`).exec(text)?.[1];
}

t.test('a worker dies mid-traffic: only its own connections go, no request fails', async (t) => {
  const server = await startTestServer(['-t', '4']);
  t.teardown(() => server.close());
  const clients = await Promise.all(
    Array.from({ length: 12 }, () => RawClient.connect(server.port)),
  );
  t.teardown(() => {
    for (const c of clients) c.close();
  });
  let crashed = false;
  // Each client sets and reads back its own keys until the crash is well past.
  const traffic = clients.map(async (c, n) => {
    let ok = 0;
    let bad = 0;
    for (let i = 0; i < 400; i++) {
      const k = `c${n}:${i}`;
      try {
        const r = await c.call(`set ${k} ${n} 0 ${k.length}\r\n${k}\r\nget ${k}\r\n`, 'END\r\n');
        if (r === `STORED\r\nVALUE ${k} ${n} ${k.length}\r\n${k}\r\nEND\r\n`) ok++;
        else bad++;
      } catch {
        // The connection went down: it was on the crashed worker. That must be all.
        return { ok, bad, closed: c.ended, afterCrash: crashed };
      }
      if (i % 50 === 0) await sleep(5);
    }
    return { ok, bad, closed: false, afterCrash: crashed };
  });
  await sleep(100);
  const killer = await RawClient.connect(server.port);
  killer.write('debug crash\r\n');
  await killer.closed(5000);
  crashed = true;
  const results = await Promise.all(traffic);
  t.equal(
    results.reduce((n, r) => n + r.bad, 0),
    0,
    'no wrong or missing reply on any connection',
  );
  for (const r of results.filter((r) => !r.ok || r.closed)) {
    t.ok(r.closed, 'a connection that stopped early was closed with its worker');
  }
  const survivors = results.filter((r) => !r.closed);
  t.ok(survivors.length > 0, `${survivors.length} of 12 connections were on other workers`);
  t.ok(
    survivors.every((r) => r.ok === 400),
    'every request on the other connections succeeded',
  );

  t.ok(
    await until(async () => (await statValue(server.port, 'worker_restarts')) === '1', 5000),
    'stats counts the restart',
  );
  // New connections land on every worker again, the replacement included, and see the cache.
  for (let i = 0; i < 16; i++) {
    const c = await RawClient.connect(server.port);
    t.equal(await c.call('get c0:0\r\n', 'END\r\n'), 'VALUE c0:0 0 4\r\nc0:0\r\nEND\r\n');
    c.close();
  }
  t.ok(
    await until(async () => Number(await statValue(server.port, 'curr_connections')) <= 14, 3000),
    'the dead worker’s connections no longer count',
  );
  const check = server.store.check();
  t.equal(check.ok, true, check.errors.join('; '));
});

t.test('a worker dies holding a key’s lock: the lock is freed for the others', async (t) => {
  const server = await startTestServer(['-t', '2']);
  t.teardown(() => server.close());
  const c = await RawClient.connectFor(t, server.port);
  t.equal(await c.call('set hot 0 0 3\r\nyes\r\n'), 'STORED\r\n');
  const killer = await RawClient.connect(server.port);
  killer.write('debug crash-locked hot\r\n');
  await killer.closed(5000);
  // Without recovery this would wait for the lock forever (and time out here).
  const d = await RawClient.connectFor(t, server.port);
  t.equal(await d.call('get hot\r\n', 'END\r\n'), 'VALUE hot 0 3\r\nyes\r\nEND\r\n');
  t.equal(await d.call('set hot 0 0 2\r\nno\r\n'), 'STORED\r\n');
  const check = server.store.check();
  t.equal(check.ok, true, check.errors.join('; '));
});

t.test('without SLABCACHE_DEBUG_HOOKS the debug commands do not exist', async (t) => {
  delete process.env.SLABCACHE_DEBUG_HOOKS;
  const server = await startTestServer();
  t.teardown(() => server.close());
  const c = await RawClient.connectFor(t, server.port);
  t.equal(await c.call('debug crash\r\n'), 'ERROR\r\n');
  t.equal(await c.call('debug crash-locked k\r\n'), 'ERROR\r\n');
  t.equal(await c.call('version\r\n'), 'VERSION 1.6.45\r\n', 'the worker lives on');
});
