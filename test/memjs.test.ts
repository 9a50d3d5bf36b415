/**
 * The npm package `memjs` (MemCachier's binary-protocol client, which nobody here wrote)
 * against a started slabcached with four worker threads: every command it offers, its
 * pipelining over one connection, and SASL PLAIN with its username/password options against
 * a server started with -S. SLABCACHE_TEST_TARGET points the plain tests at another server;
 * SLABCACHE_TEST_SASL_TARGET then names a SASL one with the users below.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import memjs from 'memjs';
import t, { type Test } from 'tap';
import { startTestServer, type TestServer } from './helpers/server.ts';

const THREADS = 4;
const USERS = 'alice:secret\nbob:pw2\n';
/** Above 30 days an expiration is a unix time; this one is long past. */
const EXPIRED = 60 * 60 * 24 * 30 + 1;
const quiet = { log() {} };

let server: TestServer;
let mc: memjs.Client;

t.before(async () => {
  server = await startTestServer(['-t', String(THREADS), '-m', '64']);
  mc = memjs.Client.create(server.address, { logger: quiet, timeout: 5, retries: 1 });
});
t.teardown(async () => {
  mc.close();
  await server.close();
});

/** Each subtest works under its own key prefix, so subtests (and runs against a server that
 * outlives them) cannot see each other's keys. */
const RUN = randomBytes(4).toString('hex');
let prefixes = 0;
function keys(): (name: string) => string {
  const prefix = `${RUN}:${++prefixes}:`;
  return (name) => prefix + name;
}

async function value(key: string, client = mc): Promise<string | null> {
  const { value } = await client.get(key);
  return value === null ? null : value.toString();
}

type Stats = Record<string, string>;
/** memjs calls back once per server; there is one. */
function statsWithKey(group: string): Promise<Stats> {
  return new Promise((resolve, reject) => {
    mc.statsWithKey(group, (err, _server, stats) => (err ? reject(err) : resolve(stats ?? {})));
  });
}

t.test('set, get, delete', async (t) => {
  const k = keys();
  t.equal(await mc.set(k('a'), 'hello'), true);
  const got = await mc.get(k('a'));
  t.equal(got.value?.toString(), 'hello');
  t.equal(got.flags?.toString('hex'), '00000000', 'flags arrive as the 4-byte extras');
  t.equal(await value(k('missing')), null, 'a miss is null');
  t.equal(await mc.set(k('a'), Buffer.from('bye')), true);
  t.equal(await value(k('a')), 'bye');
  t.equal(await mc.delete(k('a')), true);
  t.equal(await mc.delete(k('a')), false, 'deleting a missing key');
  t.equal(await value(k('a')), null);
});

t.test('binary values and large values keep every byte', async (t) => {
  const k = keys();
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  await mc.set(k('bytes'), all);
  t.same((await mc.get(k('bytes'))).value, all);
  const big = randomBytes(512 * 1024);
  await mc.set(k('big'), big);
  t.same((await mc.get(k('big'))).value, big);
  await t.rejects(mc.set(k('huge'), Buffer.alloc(2 * 1024 * 1024)), /Value too large/);
});

t.test('add and replace', async (t) => {
  const k = keys();
  t.equal(await mc.add(k('a'), 'one'), true);
  t.equal(await mc.add(k('a'), 'two'), false, 'add on an existing key');
  t.equal(await value(k('a')), 'one');
  t.equal(await mc.replace(k('a'), 'three'), true);
  t.equal(await mc.replace(k('none'), 'x'), false, 'replace on a missing key');
  t.equal(await value(k('a')), 'three');
});

t.test('append and prepend', async (t) => {
  const k = keys();
  await mc.set(k('a'), 'mid');
  t.equal(await mc.append(k('a'), '>'), true);
  t.equal(await mc.prepend(k('a'), '<'), true);
  // memjs 1.3.2 sends its prepend with the append opcode (0x0e), so both append.
  t.equal(await value(k('a')), 'mid><');
  await t.rejects(mc.append(k('none'), 'x'), /Item not stored/);
});

t.test('increment and decrement, creating with the initial value', async (t) => {
  const k = keys();
  t.same(await mc.increment(k('n'), 5, { initial: 10 }), { success: true, value: 10 });
  t.same(await mc.increment(k('n'), 5, {}), { success: true, value: 15 });
  t.same(await mc.decrement(k('n'), 3, {}), { success: true, value: 12 });
  t.same(await mc.decrement(k('n'), 100, {}), { success: true, value: 0 }, 'decr stops at 0');
  t.same(await mc.decrement(k('d'), 1, { initial: 7 }), { success: true, value: 7 });
  t.equal(await value(k('n')), '0 ', 'stored as text, padded as memcached pads it');
  await mc.set(k('s'), 'abc');
  await t.rejects(mc.increment(k('s'), 1), /Incr\/Decr on non-numeric value/);
});

t.test('touch and expiry', async (t) => {
  const k = keys();
  await mc.set(k('a'), 'x');
  t.equal(await mc.touch(k('a'), 100), true);
  t.equal(await mc.touch(k('none'), 100), false);
  t.equal(await mc.touch(k('a'), EXPIRED), true);
  t.equal(await value(k('a')), null, 'touched to a past time: gone');
  await mc.set(k('b'), 'x', { expires: EXPIRED });
  t.equal(await value(k('b')), null, 'set with a past time: gone');
  await mc.set(k('c'), 'x', { expires: 1000 });
  t.equal(await value(k('c')), 'x');
});

t.test('many requests in flight on one connection', async (t) => {
  const k = keys();
  const n = 500;
  const sets = await Promise.all(Array.from({ length: n }, (_, i) => mc.set(k(`m${i}`), `v${i}`)));
  t.ok(
    sets.every((ok) => ok === true),
    `${n} sets`,
  );
  const got = await Promise.all(Array.from({ length: n }, (_, i) => value(k(`m${i}`))));
  t.same(
    got,
    Array.from({ length: n }, (_, i) => `v${i}`),
    `${n} gets, each with its reply`,
  );
});

t.test('several clients, several connections, one cache', async (t) => {
  const k = keys();
  const clients = Array.from({ length: 8 }, () =>
    memjs.Client.create(server.address, { logger: quiet, timeout: 5 }),
  );
  t.teardown(() => {
    for (const c of clients) c.close();
  });
  await Promise.all(clients.map((c, i) => c.set(k(`c${i}`), `from ${i}`)));
  for (const c of clients) {
    t.same(
      await Promise.all(clients.map((_, i) => value(k(`c${i}`), c))),
      clients.map((_, i) => `from ${i}`),
    );
  }
});

t.test('stats, stats groups, reset', async (t) => {
  const k = keys();
  await mc.set(k('a'), 'x');
  await mc.get(k('a'));
  const general = await statsWithKey('');
  t.match(general.version, /^\d+\.\d+\.\d+$/, 'the version, as memjs has no version call');
  t.match(general.pid, /^\d+$/);
  t.ok(Number(general.cmd_get) >= 1);
  if (!server.external) t.equal(general.threads, String(THREADS));
  t.ok('maxbytes' in (await statsWithKey('settings')));
  t.ok('total_malloced' in (await statsWithKey('slabs')));
  t.ok(Object.keys(await statsWithKey('items')).some((s) => s.endsWith(':number')));
  t.same(await statsWithKey('reset'), {}, 'reset answers no stats');
  t.equal((await statsWithKey('')).cmd_get, '0', 'and zeroes the counters');
});

t.test('flush', async (t) => {
  const k = keys();
  await mc.set(k('a'), 'x');
  t.same(await mc.flush(), { [`${server.host}:${server.port}`]: true });
  t.equal(await value(k('a')), null);
});

const SASL_TARGET = process.env.SLABCACHE_TEST_SASL_TARGET;
const noSaslServer = process.env.SLABCACHE_TEST_TARGET !== undefined && !SASL_TARGET;

t.test('SASL PLAIN with username and password', { skip: noSaslServer }, async (t) => {
  const sasl = SASL_TARGET ?? (await startSaslServer(t));
  const k = keys();
  const good = memjs.Client.create(sasl, {
    username: 'alice',
    password: 'secret',
    logger: quiet,
    timeout: 5,
  });
  t.teardown(() => good.close());
  t.equal(await good.set(k('k'), 'v'), true);
  t.equal(await value(k('k'), good), 'v');
  t.same(await good.increment(k('n'), 2, { initial: 1 }), { success: true, value: 1 });
  const other = memjs.Client.create(sasl, {
    username: 'bob',
    password: 'pw2',
    logger: quiet,
  });
  t.teardown(() => other.close());
  t.equal(await value(k('k'), other), 'v', 'every user in the file, one cache');

  for (const [name, options] of [
    ['a wrong password', { username: 'alice', password: 'wrong' }],
    ['an unknown user', { username: 'carol', password: 'secret' }],
    ['no credentials', {}],
  ] as const) {
    const bad = memjs.Client.create(sasl, { ...options, logger: quiet, timeout: 2, retries: 1 });
    t.teardown(() => bad.close());
    await t.rejects(bad.get(k('k')), `${name}: refused`);
  }
});

/** Starts a -S server whose password file holds USERS; returns its address. */
async function startSaslServer(t: Test): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'slabcache-memjs-'));
  const pwdb = join(dir, 'pwdb');
  writeFileSync(pwdb, USERS);
  const saved = process.env.MEMCACHED_SASL_PWDB;
  process.env.MEMCACHED_SASL_PWDB = pwdb;
  try {
    const sasl = await startTestServer(['-S']);
    t.teardown(async () => {
      await sasl.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return sasl.address;
  } finally {
    if (saved === undefined) delete process.env.MEMCACHED_SASL_PWDB;
    else process.env.MEMCACHED_SASL_PWDB = saved;
  }
}
