/**
 * The npm package `memcached` (node-memcached, the classic text-protocol client nobody here
 * wrote) against a started slabcached with four worker threads: every command it offers,
 * its value encodings (string, number, JSON, Buffer), 500 KiB values, and many clients and
 * pooled connections at once, spread over the workers by SO_REUSEPORT.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { call, connectClient, type Memcached, settle } from './helpers/npm-memcached.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const KiB = 1024;
const THREADS = 4;

let server: TestServer;
let mc: Memcached;

t.before(async () => {
  server = await startTestServer(['-t', String(THREADS), '-m', '64']);
  mc = connectClient(server.address);
});
t.teardown(async () => {
  mc.end();
  await server.close();
});

/** Each subtest works under its own key prefix, so subtests cannot see each other's keys. */
let prefixes = 0;
function keys(): (name: string) => string {
  const prefix = `t${++prefixes}:`;
  return (name) => prefix + name;
}

function set(key: string, value: unknown, lifetime = 0): Promise<boolean> {
  return call<boolean>((cb) => mc.set(key, value, lifetime, cb));
}
function get(key: string, client: Memcached = mc): Promise<unknown> {
  return call<unknown>((cb) => client.get(key, cb));
}
/** touch's callback gets (err, true | false); @types/memcached declares only err. */
function touch(key: string, lifetime: number): Promise<boolean> {
  const touchWithResult = mc.touch as unknown as (
    key: string,
    lifetime: number,
    cb: (err: unknown, touched: boolean) => void,
  ) => void;
  return call<boolean>((cb) => touchWithResult.call(mc, key, lifetime, cb));
}
/** stats items and stats slabs, which the client groups by slab class. */
type ByClass = Record<string, Record<string, number>>;
function grouped(fn: (cb: (err: unknown, stats: Memcached.StatusData[]) => void) => void) {
  return call<Memcached.StatusData[]>(fn) as unknown as Promise<ByClass[]>;
}

t.test('version', async (t) => {
  const [v] = await call<Memcached.VersionData[]>((cb) => mc.version(cb));
  t.ok(v, 'one server answered');
  t.equal(v?.server, server.address);
  t.match(v?.version, /^\d+\.\d+\.\d+$/);
  t.equal(`${v?.major}.${v?.minor}.${v?.bugfix}`, v?.version);
});

t.test('set and get: strings, numbers, JSON, empty, UTF-8, line breaks', async (t) => {
  const k = keys();
  t.equal(await set(k('s'), 'hello world'), true);
  t.equal(await get(k('s')), 'hello world');
  t.equal(await set(k('n'), 42.5), true, 'numbers are stored with the numeric flag');
  t.equal(await get(k('n')), 42.5);
  const doc = { a: [1, 2, { b: 'c' }], d: null, e: 'ünïcødé' };
  t.equal(await set(k('j'), doc), true, 'objects are stored as JSON');
  t.same(await get(k('j')), doc);
  t.equal(await set(k('empty'), ''), true);
  t.equal(await get(k('empty')), '');
  t.equal(await set(k('utf8'), '日本語 ✓ 🚀'), true);
  t.equal(await get(k('utf8')), '日本語 ✓ 🚀');
  t.equal(await set(k('lines'), 'a\r\nb\nc\rEND\r\n'), true, 'the client escapes CR and LF');
  t.equal(await get(k('lines')), 'a\r\nb\nc\rEND\r\n');
  t.equal(await get(k('missing')), undefined, 'a miss is undefined');
  t.equal(await set(k('s'), 'overwritten'), true);
  t.equal(await get(k('s')), 'overwritten');
});

t.test('Buffers keep every byte', async (t) => {
  const k = keys();
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  t.equal(await set(k('bytes'), all), true);
  t.same(await get(k('bytes')), all);
  const random = randomBytes(4 * KiB);
  t.equal(await set(k('random'), random), true);
  t.same(await get(k('random')), random);
});

t.test('getMulti returns the hits only', async (t) => {
  const k = keys();
  await set(k('a'), 'A');
  await set(k('b'), 2);
  await set(k('c'), { c: true });
  const got = await call<Record<string, unknown>>((cb) =>
    mc.getMulti([k('a'), k('missing'), k('b'), k('c')], cb),
  );
  t.same(got, { [k('a')]: 'A', [k('b')]: 2, [k('c')]: { c: true } });
  const none = await call<Record<string, unknown>>((cb) => mc.getMulti([k('x'), k('y')], cb));
  t.same(none, {}, 'all misses');
  const many = Array.from({ length: 100 }, (_, i) => k(`m${i}`));
  await Promise.all(many.map((key, i) => set(key, `v${i}`)));
  const all = await call<Record<string, unknown>>((cb) => mc.getMulti(many, cb));
  t.equal(Object.keys(all).length, 100, '100 keys in one get');
  t.equal(all[k('m57')], 'v57');
});

t.test('gets and cas', async (t) => {
  const k = keys();
  await set(k('c'), 'one');
  const first = await call<{ cas: string; [key: string]: unknown }>((cb) => mc.gets(k('c'), cb));
  t.equal(first[k('c')], 'one');
  t.match(first.cas, /^\d+$/, 'a numeric CAS unique');
  t.equal(await call<boolean>((cb) => mc.cas(k('c'), 'two', first.cas, 0, cb)), true);
  t.equal(await get(k('c')), 'two');
  t.equal(
    await call<boolean>((cb) => mc.cas(k('c'), 'three', first.cas, 0, cb)),
    false,
    'a stale CAS unique is refused (EXISTS)',
  );
  t.equal(await get(k('c')), 'two');
  const second = await call<{ cas: string }>((cb) => mc.gets(k('c'), cb));
  t.not(second.cas, first.cas, 'the CAS unique changed with the value');
  t.equal(
    await call<boolean>((cb) => mc.cas(k('missing'), 'x', second.cas, 0, cb)),
    false,
    'cas on a missing key (NOT_FOUND)',
  );
  t.equal(await call<unknown>((cb) => mc.gets(k('missing'), cb)), undefined);
});

t.test('add and replace', async (t) => {
  const k = keys();
  t.equal(await call<boolean>((cb) => mc.add(k('a'), 'first', 0, cb)), true);
  const again = await settle<boolean>((cb) => mc.add(k('a'), 'second', 0, cb));
  t.equal(again.result, false, 'add on an existing key');
  t.match(again.err, { message: 'Item is not stored', notStored: true });
  t.equal(await get(k('a')), 'first');
  const missing = await settle<boolean>((cb) => mc.replace(k('missing'), 'x', 0, cb));
  t.equal(missing.result, false, 'replace on a missing key');
  t.match(missing.err, { notStored: true });
  t.equal(await get(k('missing')), undefined);
  t.equal(await call<boolean>((cb) => mc.replace(k('a'), 'replaced', 0, cb)), true);
  t.equal(await get(k('a')), 'replaced');
});

t.test('append and prepend', async (t) => {
  const k = keys();
  await set(k('s'), 'middle');
  t.equal(await call<boolean>((cb) => mc.append(k('s'), '>>', cb)), true);
  t.equal(await call<boolean>((cb) => mc.prepend(k('s'), '<<', cb)), true);
  t.equal(await get(k('s')), '<<middle>>');
  const missing = await settle<boolean>((cb) => mc.append(k('missing'), 'x', cb));
  t.equal(missing.result, false);
  t.match(missing.err, { notStored: true });
  const missing2 = await settle<boolean>((cb) => mc.prepend(k('missing'), 'x', cb));
  t.equal(missing2.result, false);
  t.equal(await get(k('missing')), undefined, 'append/prepend do not create keys');
  await set(k('n'), 12);
  await call<boolean>((cb) => mc.append(k('n'), '34', cb));
  t.equal(await get(k('n')), 1234, 'the flags (numeric) survive an append');
});

t.test('del', async (t) => {
  const k = keys();
  await set(k('d'), 'x');
  t.equal(await call<boolean>((cb) => mc.del(k('d'), cb)), true);
  t.equal(await get(k('d')), undefined);
  t.equal(await call<boolean>((cb) => mc.del(k('d'), cb)), false, 'NOT_FOUND the second time');
});

t.test('incr and decr', async (t) => {
  const k = keys();
  await set(k('n'), 10);
  t.equal(await call<number | boolean>((cb) => mc.incr(k('n'), 5, cb)), 15);
  t.equal(await call<number | boolean>((cb) => mc.decr(k('n'), 3, cb)), 12);
  t.equal(await call<number | boolean>((cb) => mc.decr(k('n'), 100, cb)), 0, 'decr stops at 0');
  await set(k('big'), '18446744073709551615');
  t.equal(await call<number | boolean>((cb) => mc.incr(k('big'), 1, cb)), 0, 'incr wraps at 2^64');
  t.equal(await call<number | boolean>((cb) => mc.incr(k('missing'), 1, cb)), false);
  t.equal(await call<number | boolean>((cb) => mc.decr(k('missing'), 1, cb)), false);
  await set(k('text'), 'abc');
  const bad = await settle<number | boolean>((cb) => mc.incr(k('text'), 1, cb));
  t.match(bad.err, { message: /non-numeric value/ }, 'CLIENT_ERROR reaches the callback');
  t.equal(await get(k('n')), 0, 'the counter reads back as a number');
});

t.test('touch', async (t) => {
  const k = keys();
  await set(k('a'), 'x', 100);
  t.equal(await touch(k('a'), 1000), true, 'TOUCHED');
  t.equal(await touch(k('missing'), 10), false, 'NOT_FOUND');
  t.equal(await get(k('a')), 'x', 'touch keeps the value');
  // A touch to 1 s makes it expire: poll (bounded) until it is gone.
  t.equal(await touch(k('a'), 1), true);
  let value: unknown = 'x';
  for (let i = 0; i < 40 && value !== undefined; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await get(k('a'));
  }
  t.equal(value, undefined, 'expired within 4 s of a touch to 1 s');
});

t.test('lifetimes: set with a lifetime expires', async (t) => {
  const k = keys();
  await set(k('short'), 'x', 1);
  await set(k('long'), 'y', 3600);
  t.equal(await get(k('short')), 'x');
  let value: unknown = 'x';
  for (let i = 0; i < 40 && value !== undefined; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await get(k('short'));
  }
  t.equal(value, undefined, 'gone within 4 s');
  t.equal(await get(k('long')), 'y');
});

t.test('500 KiB values', async (t) => {
  const k = keys();
  const text = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil((500 * KiB) / 36));
  const big = text.slice(0, 500 * KiB);
  t.equal(await set(k('text'), big), true);
  t.equal(await get(k('text')), big);
  // The client sends a Buffer as a latin1 string in UTF-8, so bytes above 127 take two on
  // the wire: 300 KiB of random bytes is about 450 KiB stored, below the 1 MiB item limit.
  const bytes = randomBytes(300 * KiB);
  t.equal(await set(k('bytes'), bytes), true);
  t.same(await get(k('bytes')), bytes);
  const doc = { rows: Array.from({ length: 6000 }, (_, i) => ({ i, s: `row ${i}`.repeat(10) })) };
  t.ok(JSON.stringify(doc).length > 500 * KiB, 'the JSON is above 500 KiB');
  t.equal(await set(k('json'), doc), true);
  t.same(await get(k('json')), doc);

  // Three large values in one multi-get, and updates of a large value.
  const parts = [0, 1, 2].map((i) => String(i).repeat(500 * KiB));
  await Promise.all(parts.map((p, i) => set(k(`p${i}`), p)));
  const got = await call<Record<string, unknown>>((cb) =>
    mc.getMulti([k('p0'), k('p1'), k('p2')], cb),
  );
  t.same(
    Object.keys(got).map((key) => (got[key] as string).length),
    [500 * KiB, 500 * KiB, 500 * KiB],
  );
  t.ok(
    parts.every((p, i) => got[k(`p${i}`)] === p),
    'all three are whole',
  );
  t.equal(await call<boolean>((cb) => mc.append(k('text'), 'tail', cb)), true);
  t.equal(await get(k('text')), `${big}tail`);
  const gets = await call<{ cas: string }>((cb) => mc.gets(k('p0'), cb));
  t.equal(await call<boolean>((cb) => mc.cas(k('p0'), parts[1], gets.cas, 0, cb)), true);
  t.equal(await get(k('p0')), parts[1]);
  t.equal(await call<boolean>((cb) => mc.del(k('p0'), cb)), true);
  t.equal(await get(k('p0')), undefined);
});

t.test('values above the item limit are refused', async (t) => {
  const k = keys();
  // The client stops at its own maxValue; raise it so that the server's -I (1 MiB) decides.
  // The client takes the SERVER_ERROR reply for a sick server and drops the connection, so
  // this is a client of its own, whose issue timers are short enough to let the test end.
  const options: Memcached.options & { failuresTimeout: number } = {
    maxValue: 4 * 1024 * KiB,
    retry: 50,
    failuresTimeout: 200, // the client has it; @types/memcached does not
  };
  const client = connectClient(server.address, options);
  t.teardown(() => client.end());
  const tooBig = 'x'.repeat(2 * 1024 * KiB);
  const r = await settle<boolean>((cb) => client.set(k('huge'), tooBig, 0, cb));
  t.not(r.result, true, 'not stored');
  t.equal(await get(k('huge')), undefined);
  t.equal(await set(k('after'), 'still works'), true, 'the server still answers');
  t.equal(await get(k('after')), 'still works');
});

t.test('stats, settings, slabs, items', async (t) => {
  const k = keys();
  await set(k('item'), 'x'.repeat(100));
  const [stats] = await call<Memcached.StatusData[]>((cb) => mc.stats(cb));
  t.ok(stats);
  t.equal(stats?.server, server.address);
  for (const name of ['pid', 'uptime', 'time', 'curr_connections', 'cmd_get', 'get_hits'])
    t.type(stats?.[name], 'number', `stats ${name} is a number`);
  t.equal(stats?.threads, THREADS, 'stats threads');
  t.ok((stats?.curr_items as number) >= 1, 'curr_items counts our items');
  t.match(stats?.version, /^\d+\.\d+\.\d+$/);

  const [settings] = await call<Memcached.StatusData[]>((cb) => mc.settings(cb));
  t.equal(settings?.maxbytes, 64 * 1024 * KiB, 'settings maxbytes is -m');
  t.equal(settings?.item_size_max, 1024 * KiB);
  t.equal(settings?.num_threads, THREADS);

  const [slabs] = await grouped((cb) => mc.slabs(cb));
  // The client splits every name at ':', so a total such as active_slabs becomes an object.
  t.ok(slabs && typeof slabs.active_slabs === 'object', 'stats slabs totals parsed');
  const classes = Object.keys(slabs ?? {}).filter((id) => /^\d+$/.test(id));
  t.ok(classes.length >= 1, 'at least one slab class in use');
  t.type((slabs?.[classes[0] ?? ''] as Record<string, unknown>)?.chunk_size, 'number');

  const [items] = await grouped((cb) => mc.items(cb));
  const itemClasses = Object.keys(items ?? {}).filter((id) => /^\d+$/.test(id));
  t.ok(itemClasses.length >= 1, 'stats items has a slab class');
  const total = itemClasses.reduce((sum, id) => sum + (items?.[id]?.number ?? 0), 0);
  t.ok(total >= 1, 'stats items numbers count our items');
});

t.test('cachedump', async (t) => {
  const k = keys();
  await set(k('dumped'), 'x'.repeat(10));
  const [items] = await grouped((cb) => mc.items(cb));
  const slab = Number(Object.keys(items ?? {}).find((id) => /^\d+$/.test(id)) ?? 1);
  const r = await settle<Memcached.CacheDumpData | Memcached.CacheDumpData[] | undefined>((cb) =>
    mc.cachedump(server.address, slab, 0, cb),
  );
  t.equal(r.err, null, `stats cachedump ${slab} 0 answers`);
  // memcached lists only its COLD LRU, so our fresh key may be absent: check the shape only.
  const dumped = r.result === undefined ? [] : [r.result].flat();
  t.ok(
    dumped.every((d) => typeof d.key === 'string' && Number.isInteger(d.b)),
    'ITEM lines parse into {key, b, s}',
  );
});

t.test('many clients at once across the worker threads', async (t) => {
  const k = keys();
  const clients = Array.from({ length: THREADS * 2 }, () => connectClient(server.address));
  t.teardown(() => {
    for (const c of clients) c.end();
  });
  const [before] = await call<Memcached.StatusData[]>((cb) => mc.stats(cb));

  // Every client writes its own keys, all at once, then each reads another client's keys.
  const PER = 100;
  await Promise.all(
    clients.map((c, ci) =>
      Promise.all(
        Array.from({ length: PER }, (_, i) =>
          call<boolean>((cb) => c.set(k(`c${ci}:${i}`), `value ${ci} ${i}`, 0, cb)),
        ),
      ),
    ),
  );
  const readBack = await Promise.all(
    clients.map((c, ci) => {
      const other = (ci + 1) % clients.length;
      const wanted = Array.from({ length: PER }, (_, i) => k(`c${other}:${i}`));
      return call<Record<string, unknown>>((cb) => c.getMulti(wanted, cb)).then((got) =>
        wanted.every((key, i) => got[key] === `value ${other} ${i}`),
      );
    }),
  );
  t.same(
    readBack,
    clients.map(() => true),
    'every client sees every other client’s writes',
  );

  // One counter incremented concurrently from every client: no increment is lost.
  await set(k('counter'), 0);
  const INCRS = 50;
  await Promise.all(
    clients.flatMap((c) =>
      Array.from({ length: INCRS }, () =>
        call<number | boolean>((cb) => c.incr(k('counter'), 1, cb)),
      ),
    ),
  );
  t.equal(await get(k('counter')), clients.length * INCRS, 'all increments counted');

  // Contended cas: each client loops gets+cas until it wins once; every win is unique.
  await set(k('cas'), 0);
  const wins = await Promise.all(
    clients.map(async (c) => {
      for (let attempt = 0; attempt < 200; attempt++) {
        const g = await call<{ cas: string; [key: string]: unknown }>((cb) => c.gets(k('cas'), cb));
        const n = g[k('cas')] as number;
        if (await call<boolean>((cb) => c.cas(k('cas'), n + 1, g.cas, 0, cb))) return n + 1;
      }
      return -1;
    }),
  );
  t.same(
    [...wins].sort((a, b) => a - b),
    clients.map((_, i) => i + 1),
    'each cas win saw the previous one',
  );
  t.equal(await get(k('cas')), clients.length);

  const [after] = await call<Memcached.StatusData[]>((cb) => mc.stats(cb));
  t.ok(
    (after?.total_connections as number) > (before?.total_connections as number),
    'the clients opened new connections',
  );
  t.ok(
    (after?.cmd_set as number) - (before?.cmd_set as number) >= clients.length * PER,
    'cmd_set counted every write, whichever worker took it',
  );
});

t.test('flush', async (t) => {
  const k = keys();
  await set(k('a'), 'x');
  await set(k('b'), 'y');
  t.same(await call<boolean[]>((cb) => mc.flush(cb)), [true], 'OK from the one server');
  t.equal(await get(k('a')), undefined);
  t.same(await call<Record<string, unknown>>((cb) => mc.getMulti([k('a'), k('b')], cb)), {});
  t.equal(await set(k('a'), 'again'), true, 'usable after a flush');
  t.equal(await get(k('a')), 'again');
});
