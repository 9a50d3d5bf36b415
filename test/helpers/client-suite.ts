/**
 * The @slabcache/client suite, run against a fleet of three real nodes: slabcached
 * (test/client-api.test.ts) and Debian's memcached (test/client-api-memcached.test.ts). Every
 * API call on each wire protocol, multi-get across the nodes, values and serializers,
 * compression, fetch with stale-while-revalidate, the local cache, namespaces and pipelining.
 * Failures (dead nodes, timeouts) are test/client-failover.test.ts's.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Client,
  type ClientOptions,
  Codes,
  type FetchOptions,
  Flags,
  type ProtocolName,
} from '@slabcache/client';
import type { Test } from 'tap';
import { type Fleet, type NodeKind, skipUnlessAvailable, startFleet } from './fleet.ts';

const PROTOCOLS: ProtocolName[] = ['meta', 'text', 'binary'];
/** Above 30 days an exptime is a unix time; this one is long past. */
const EXPIRED = 60 * 60 * 24 * 30 + 1;

/** An item's stored bytes and flags, read with a plain text `get` (no client involved). */
export function rawGet(
  address: string,
  key: string,
): Promise<{ flags: number; data: Buffer } | null> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let acc = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`get ${key}\r\n`));
    socket.on('data', (d: Buffer) => {
      acc = Buffer.concat([acc, d]);
      const head = acc.indexOf('\r\n');
      if (head < 0) return;
      const line = acc.toString('latin1', 0, head);
      if (line === 'END') {
        socket.destroy();
        resolve(null);
        return;
      }
      const m = /^VALUE \S+ (\d+) (\d+)$/.exec(line);
      if (!m) {
        socket.destroy();
        reject(new Error(`unexpected ${line}`));
        return;
      }
      const size = Number(m[2]);
      if (acc.length < head + 2 + size + 7) return;
      socket.destroy();
      resolve({ flags: Number(m[1]), data: acc.subarray(head + 2, head + 2 + size) });
    });
  });
}

/** A promise and the function that resolves it: to wait until a loader has started. */
function signal(): [Promise<void>, () => void] {
  let fire!: () => void;
  const done = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return [done, fire];
}

/**
 * Starts a fetch whose loader takes `ms` to return `value`, and resolves (with the fetch's
 * promise, in an array so it is not awaited) once the loader runs: the caller won the lease.
 */
async function slowFetch(
  c: Client,
  key: string,
  value: string,
  ms: number,
  options: FetchOptions,
): Promise<[Promise<string>]> {
  const [loading, started] = signal();
  const recompute = c.fetch(
    key,
    async () => {
      started();
      await sleep(ms);
      return value;
    },
    options,
  );
  await loading;
  return [recompute];
}

export function clientSuite(t: Test, kind: NodeKind): void {
  const skip = skipUnlessAvailable(kind);
  let fleet: Fleet;
  const clients: Client[] = [];
  /** A client of the whole fleet, closed at the end. */
  const client = (options: Partial<ClientOptions> = {}): Client => {
    const c = new Client({ servers: fleet.addresses, timeout: 3000, ...options });
    clients.push(c);
    return c;
  };
  /** Each subtest works under its own key prefix (no flush between them). */
  const RUN = randomBytes(4).toString('hex');
  let prefixes = 0;
  const keys = () => {
    const prefix = `${RUN}:${++prefixes}:`;
    return (name: string) => prefix + name;
  };

  t.before(async () => {
    if (!skip) fleet = await startFleet(kind, 3);
  });
  t.teardown(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await fleet?.close();
  });

  for (const protocol of PROTOCOLS) {
    t.test(`${protocol}: set, get, add, replace, delete`, { skip }, async (t) => {
      const c = client({ protocol });
      const k = keys();
      t.equal(await c.set(k('a'), 'hello'), true);
      t.equal(await c.get(k('a')), 'hello');
      t.equal(await c.get(k('missing')), undefined, 'a miss is undefined');
      t.equal(await c.add(k('a'), 'other'), false, 'add on an existing key');
      t.equal(await c.add(k('b'), 'new'), true);
      t.equal(await c.replace(k('b'), 'newer'), true);
      t.equal(await c.replace(k('none'), 'x'), false, 'replace on a missing key');
      t.equal(await c.get(k('b')), 'newer');
      t.equal(await c.delete(k('a')), true);
      t.equal(await c.delete(k('a')), false, 'delete of a missing key');
      t.equal(await c.get(k('a')), undefined);
    });

    t.test(`${protocol}: gets and cas, append and prepend`, { skip }, async (t) => {
      const c = client({ protocol });
      const k = keys();
      await c.set(k('a'), 'one');
      const item = await c.gets<string>(k('a'));
      t.equal(item?.value, 'one');
      t.type(item?.cas, 'bigint');
      t.ok((item?.cas ?? 0n) > 0n, 'a real CAS');
      t.equal(await c.cas(k('a'), 'two', item!.cas), true, 'cas with the current token');
      t.equal(await c.cas(k('a'), 'three', item!.cas), false, 'cas with a stale token');
      t.equal(await c.get(k('a')), 'two');
      t.equal(await c.cas(k('gone'), 'x', 1n), false, 'cas on a missing key');
      t.equal(await c.gets(k('gone')), undefined);
      await t.rejects(c.cas(k('a'), 'x', 5 as unknown as bigint), TypeError);
      t.equal(await c.append(k('a'), '>>'), true);
      t.equal(await c.prepend(k('a'), Buffer.from('<<')), true);
      t.equal(await c.get(k('a')), '<<two>>', 'text flags kept: still a string');
      t.equal(await c.append(k('gone'), 'x'), false, 'append to a missing key');
      t.equal(await c.prepend(k('gone'), 'x'), false);
    });

    t.test(`${protocol}: incr and decr`, { skip }, async (t) => {
      const c = client({ protocol });
      const k = keys();
      await c.set(k('n'), 5);
      t.equal(await c.incr(k('n')), 6);
      t.equal(await c.incr(k('n'), 10), 16);
      t.equal(await c.decr(k('n'), 6n), 10);
      t.equal(await c.decr(k('n'), 100), 0, 'decr stops at 0');
      t.equal(await c.get(k('n')), 0, 'still a number to get (the LONG flag stays)');
      t.equal(await c.incr(k('none')), undefined, 'a missing counter');
      t.equal(await c.incr(k('made'), 5, { initial: 100 }), 100, 'created with initial');
      t.equal(await c.incr(k('made'), 5, { initial: 100 }), 105, 'then counted');
      t.equal(await c.decr(k('down'), 1, { initial: 7 }), 7);
      await c.set(k('big'), (1n << 52n).toString());
      t.equal(await c.incr(k('big'), 1), 2 ** 52 + 1, 'large counters');
      await c.set(k('s'), 'abc');
      await t.rejects(c.incr(k('s')), { code: Codes.SERVER_ERROR }, 'a non-numeric value');
      t.equal(await c.get(k('s')), 'abc', 'the connection still works after the error');
      await t.rejects(c.incr(k('n'), -1), TypeError);
      await t.rejects(c.incr(k('n'), 1.5), TypeError);
    });

    t.test(`${protocol}: touch, gat and expiry`, { skip }, async (t) => {
      const c = client({ protocol });
      const k = keys();
      await c.set(k('a'), 'x');
      t.equal(await c.touch(k('a'), 100), true);
      t.equal(await c.touch(k('none'), 100), false);
      t.equal(await c.gat(k('a'), 200), 'x');
      t.equal(await c.gat(k('none'), 200), undefined);
      t.equal(await c.gat(k('a'), EXPIRED), 'x', 'gat returns the value it expires');
      t.equal(await c.get(k('a')), undefined, 'touched to a past time: gone');
      await c.set(k('b'), 'x', { ttl: EXPIRED });
      t.equal(await c.get(k('b')), undefined, 'stored already expired');
      await c.set(k('c'), 'x', { ttl: 1000 });
      t.equal(await c.get(k('c')), 'x');
      await t.rejects(c.set(k('c'), 'x', { ttl: -1 }), TypeError);
      await t.rejects(c.touch(k('c'), 1.5), TypeError);
    });

    t.test(`${protocol}: getMulti across the nodes`, { skip }, async (t) => {
      const c = client({ protocol });
      const k = keys();
      const names = Array.from({ length: 300 }, (_, i) => k(`m${i}`));
      await Promise.all(names.map((n, i) => (i % 3 === 0 ? null : c.set(n, `v${i}`))));
      const owners = new Map<string, string[]>();
      for (const n of names) {
        const owner = c.serverFor(n);
        owners.set(owner, [...(owners.get(owner) ?? []), n]);
      }
      t.equal(owners.size, 3, 'the keys spread over the three nodes');
      const got = await c.getMulti<string>([...names, names[1]]);
      t.equal(got.size, 200, 'every stored key, no missing one');
      t.ok(
        names.every((n, i) => (i % 3 === 0 ? !got.has(n) : got.get(n) === `v${i}`)),
        'each value under its key',
      );
      t.same(await c.getMulti([]), new Map(), 'no keys, no requests');
      // Each key lives on the node serverFor names, and only there.
      for (const [owner, list] of owners) {
        const single = client({ servers: [owner], protocol });
        const here = await single.getMulti(list);
        t.equal(here.size, list.filter((n) => got.has(n)).length, `${owner} holds its keys`);
        const others = fleet.addresses.filter((a) => a !== owner);
        const elsewhere = await client({ servers: others, protocol }).getMulti(list);
        t.equal(elsewhere.size, 0, `no other node holds ${owner}'s keys`);
      }
    });

    t.test(`${protocol}: values keep their type and bytes`, { skip }, async (t) => {
      const c = client({ protocol });
      const k = keys();
      const values: [string, unknown][] = [
        ['string', 'héllo wörld ✓'],
        ['empty string', ''],
        ['number', 42],
        ['negative', -7],
        ['float', 1.5],
        ['bigint', 1n << 70n],
        ['true', true],
        ['null', null],
        ['object', { a: [1, 'two', { three: 3 }] }],
        ['bytes', Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
        ['empty bytes', Buffer.alloc(0)],
      ];
      for (const [name, value] of values) {
        const key = k(name.replace(' ', '-'));
        await c.set(key, value);
        t.same(await c.get(key), value, name);
      }
      t.type(await c.get(k('number')), 'number');
      t.type(await c.get(k('bigint')), 'bigint');
      t.ok(Buffer.isBuffer(await c.get(k('bytes'))), 'bytes come back as a Buffer');
      t.same(
        await rawGet(c.serverFor(k('string')), k('string')),
        {
          flags: Flags.TEXT,
          data: Buffer.from('héllo wörld ✓'),
        },
        'a string is UTF-8 with the TEXT flag, as pylibmc stores str',
      );
      t.same(await rawGet(c.serverFor(k('number')), k('number')), {
        flags: Flags.LONG,
        data: Buffer.from('42'),
      });
      const big = randomBytes(512 * 1024);
      await c.set(k('big'), big);
      t.same(await c.get(k('big')), big, '512 KiB keep every byte');
      await t.rejects(
        c.set(k('huge'), Buffer.alloc(2 * 1024 * 1024)),
        {
          code: Codes.SERVER_ERROR,
        },
        'a value over the item size limit',
      );
      t.equal(await c.get(k('string')), 'héllo wörld ✓', 'and the connection goes on');
      await t.rejects(c.set(k('u'), undefined), TypeError);
      const utf8 = k('ключ-🔑');
      await c.set(utf8, 'unicode key');
      t.equal(await c.get(utf8), 'unicode key', 'UTF-8 keys');
      t.same(await c.getMulti([utf8]), new Map([[utf8, 'unicode key']]));
    });

    t.test(`${protocol}: a custom serializer`, { skip }, async (t) => {
      const calls: number[] = [];
      const c = client({
        protocol,
        serializer: {
          serialize: (v) => ({ value: Buffer.from(JSON.stringify(v)), flags: 7 << 8 }),
          deserialize: (value, flags) => {
            calls.push(flags);
            return { decoded: JSON.parse(value.toString()) };
          },
        },
      });
      const k = keys();
      await c.set(k('a'), [1, 2]);
      t.same(await c.get(k('a')), { decoded: [1, 2] });
      t.same(calls, [7 << 8], 'the flags it chose came back');
      t.equal((await rawGet(c.serverFor(k('a')), k('a')))?.flags, 7 << 8);
    });

    t.test(`${protocol}: compression`, { skip }, async (t) => {
      const c = client({ protocol, compression: { threshold: 100 } });
      const plain = client({ protocol });
      const k = keys();
      const text = 'all work and no play '.repeat(1000);
      await c.set(k('text'), text);
      const stored = await rawGet(c.serverFor(k('text')), k('text'));
      t.equal(stored?.flags, Flags.TEXT | Flags.COMPRESSED, 'marked compressed');
      t.ok((stored?.data.length ?? 0) < text.length / 10, 'and stored small');
      t.equal(await c.get(k('text')), text);
      t.equal(await plain.get(k('text')), text, 'a client without compression reads it');
      const noise = randomBytes(5000);
      await c.set(k('noise'), noise);
      t.equal(
        (await rawGet(c.serverFor(k('noise')), k('noise')))?.flags,
        Flags.BYTES,
        'incompressible: stored as is',
      );
      await c.set(k('small'), 'tiny');
      t.equal(
        (await rawGet(c.serverFor(k('small')), k('small')))?.flags,
        Flags.TEXT,
        'below the threshold: as is',
      );
      const large = Buffer.alloc(300 * 1024, 'abc');
      await c.set(k('large'), large);
      t.same(
        await c.getMulti([k('large'), k('text')]),
        new Map<string, unknown>([
          [k('large'), large],
          [k('text'), text],
        ]),
      );
    });

    t.test(`${protocol}: fetch reads through, once per process`, { skip }, async (t) => {
      const c = client({ protocol });
      const k = keys();
      let calls = 0;
      const loader = async () => {
        calls++;
        await sleep(20);
        return { computed: true };
      };
      const all = await Promise.all(
        Array.from({ length: 10 }, () => c.fetch(k('a'), loader, { ttl: 60 })),
      );
      t.equal(calls, 1, 'one load for ten concurrent fetches');
      t.ok(all.every((v) => v.computed === true));
      t.same(await c.fetch(k('a'), loader, { ttl: 60 }), { computed: true });
      t.equal(calls, 1, 'then served from the cache');
      t.same(await c.get(k('a')), { computed: true });
      await t.rejects(
        c.fetch(k('b'), () => Promise.reject(new Error('boom')), { ttl: 60 }),
        /boom/,
      );
      t.equal(await c.get(k('b')), undefined, 'a failed load stores nothing');
      if (protocol !== 'meta') {
        await t.rejects(c.invalidate(k('a')), { code: Codes.NOT_SUPPORTED });
      }
    });

    t.test(`${protocol}: flush, stats, version`, { skip }, async (t) => {
      const c = client({ protocol });
      const k = keys();
      const versions = await c.version();
      t.same([...versions.keys()].sort(), [...fleet.addresses].sort());
      t.ok(
        [...versions.values()].every((v) => /^\d+\.\d+\.\d+/.test(v)),
        'version numbers',
      );
      const stats = await c.stats();
      t.equal(stats.size, 3);
      t.ok(
        [...stats.values()].every((s) => Number(s.pid) > 0 && 'curr_items' in s),
        'stats fields',
      );
      const settings = await c.stats('settings');
      t.ok(
        [...settings.values()].every((s) => s.maxbytes === String(32 * 1024 * 1024)),
        'stats settings',
      );
      await Promise.all(Array.from({ length: 30 }, (_, i) => c.set(k(`f${i}`), i)));
      await c.flush();
      const left = await c.getMulti(Array.from({ length: 30 }, (_, i) => k(`f${i}`)));
      t.equal(left.size, 0, 'flush emptied every node');
    });
  }

  t.test(
    'meta fetch: one caller recomputes a miss, the others wait for it',
    { skip },
    async (t) => {
      const k = keys();
      let calls = 0;
      const loader = async () => {
        calls++;
        await sleep(60);
        return 'fresh';
      };
      // Separate clients: as separate processes would, they meet only on the server.
      const results = await Promise.all(
        Array.from({ length: 8 }, () => client().fetch(k('a'), loader, { ttl: 60, wait: 2000 })),
      );
      t.equal(calls, 1, 'eight clients, one load');
      t.same(results, Array(8).fill('fresh'));
    },
  );

  t.test('meta fetch: stale-while-revalidate after invalidate', { skip }, async (t) => {
    const k = keys();
    const [a, b, c] = [client(), client(), client()];
    t.equal(await a.fetch(k('a'), () => 'v1', { ttl: 60, staleTtl: 30 }), 'v1');
    t.equal(await a.invalidate(k('a'), { ttl: 30 }), true);
    t.equal(await a.invalidate(k('none')), false);
    const [recompute] = await slowFetch(b, k('a'), 'v2', 100, { ttl: 60, staleTtl: 30 });
    const t0 = performance.now();
    const stale = await c.fetch(k('a'), () => t.fail('a second recompute') as never, {
      ttl: 60,
      staleTtl: 30,
    });
    t.equal(stale, 'v1', 'the others get the stale value meanwhile');
    t.ok(performance.now() - t0 < 90, 'at once, without waiting for the recompute');
    t.equal(await recompute, 'v2', 'the winner recomputed');
    t.equal(await client().fetch(k('a'), () => 'v3', { ttl: 60 }), 'v2', 'and stored it');
  });

  t.test('meta fetch: recompute when the TTL runs below staleTtl', { skip }, async (t) => {
    const k = keys();
    const [a, b] = [client(), client()];
    await a.set(k('a'), 'old', { ttl: 20 });
    const [recompute] = await slowFetch(a, k('a'), 'new', 50, { ttl: 60, staleTtl: 100 });
    t.equal(
      await b.fetch(k('a'), () => 'unused', { ttl: 60, staleTtl: 100 }),
      'old',
      'stale while one recomputes',
    );
    t.equal(await recompute, 'new');
    t.equal(await b.fetch(k('a'), () => 'unused', { ttl: 60, staleTtl: 10 }), 'new', 'fresh now');
  });

  t.test(
    'meta fetch: a winner that never stores does not block the others',
    { skip },
    async (t) => {
      const k = keys();
      const [a, b, c] = [client(), client(), client()];
      let release!: (v: string) => void;
      const [winning, started] = signal();
      const stuck = a.fetch(
        k('a'),
        () => {
          started();
          return new Promise<string>((resolve) => {
            release = resolve;
          });
        },
        { ttl: 60 },
      );
      await winning;
      const t0 = performance.now();
      t.equal(await b.fetch(k('a'), () => 'b-loaded', { ttl: 60, wait: 150 }), 'b-loaded');
      const waited = performance.now() - t0;
      t.ok(
        waited >= 140 && waited < 1000,
        `waited ${waited.toFixed(0)} ms for the winner, then loaded`,
      );
      release('a-loaded');
      t.equal(await stuck, 'a-loaded');
      // A loader that fails on the placeholder frees it: the next caller wins at once.
      await t.rejects(
        c.fetch(k('b'), () => Promise.reject(new Error('down')), { ttl: 60 }),
        /down/,
      );
      const t1 = performance.now();
      t.equal(await b.fetch(k('b'), () => 'ok', { ttl: 60, wait: 2000 }), 'ok');
      t.ok(performance.now() - t1 < 500, 'no wait behind a failed load');
    },
  );

  t.test(
    'local cache: hot keys served in process, bounded and short-lived',
    { skip },
    async (t) => {
      const k = keys();
      const c = client({ localCache: { max: 2, ttl: 300 } });
      const other = client();
      await c.set(k('a'), 'a1');
      t.equal(await c.get(k('a')), 'a1');
      await other.set(k('a'), 'a2');
      t.equal(await c.get(k('a')), 'a1', 'served locally: the other write is not seen yet');
      t.same(await c.getMulti([k('a')]), new Map([[k('a'), 'a1']]), 'getMulti too');
      await c.set(k('a'), 'a3');
      t.equal(await c.get(k('a')), 'a3', 'its own write replaces the local copy');
      await other.set(k('b'), 'b1');
      await other.set(k('c'), 'c1');
      t.equal(await c.get(k('b')), 'b1');
      t.equal(await c.get(k('c')), 'c1');
      await other.set(k('a'), 'a4');
      await other.set(k('c'), 'c2');
      t.equal(await c.get(k('a')), 'a4', 'a: evicted (max 2, least recently used), read again');
      t.equal(await c.get(k('c')), 'c1', 'c: still local');
      await sleep(350);
      t.equal(await c.get(k('c')), 'c2', 'expired after ttl');
      await c.delete(k('c'));
      t.equal(await c.get(k('c')), undefined, 'its own delete drops it');
    },
  );

  t.test('namespace: on the wire, not in the placement', { skip }, async (t) => {
    const k = keys();
    const c = client({ namespace: 'app1:' });
    const plain = client();
    await c.set(k('a'), 'x');
    const home = client({ servers: [c.serverFor(k('a'))] });
    t.equal(await home.get(`app1:${k('a')}`), 'x', 'stored under the prefixed key');
    t.equal(await home.get(k('a')), undefined);
    t.equal(c.serverFor(k('a')), plain.serverFor(k('a')), 'placed by the bare key');
    t.same(await c.getMulti([k('a'), k('b')]), new Map([[k('a'), 'x']]), 'keys come back bare');
    await t.rejects(c.get('x'.repeat(246)), { code: Codes.BAD_KEY }, 'prefix + key over 250 bytes');
  });

  t.test('pipelining: thousands of requests on one connection per node', { skip }, async (t) => {
    const k = keys();
    const c = client();
    const names = Array.from({ length: 2000 }, (_, i) => k(`p${i}`));
    await Promise.all(names.map((n, i) => c.set(n, i)));
    const values = await Promise.all(names.map((n) => c.get(n)));
    t.ok(
      values.every((v, i) => v === i),
      'every answer matched to its request',
    );
    t.same(
      c.servers().map((s) => s.connects),
      [1, 1, 1],
      'one connection per node',
    );
    const pooled = client({ poolSize: 3 });
    await Promise.all(names.map((n) => pooled.get(n)));
    t.same(
      pooled.servers().map((s) => s.connects),
      [3, 3, 3],
      'poolSize 3: three per node',
    );
  });

  t.test('bad keys and closed clients fail with codes', { skip }, async (t) => {
    const c = new Client({ servers: fleet.addresses });
    for (const bad of ['', 'has space', 'tab\there', 'nl\n', 'x'.repeat(251), 'é'.repeat(126)]) {
      await t.rejects(
        c.get(bad),
        { code: Codes.BAD_KEY, name: 'BadKeyError' },
        JSON.stringify(bad.slice(0, 20)),
      );
    }
    t.equal(await c.get('x'.repeat(250)), undefined, '250 bytes is fine');
    t.throws(() => c.serverFor('a b'), { code: Codes.BAD_KEY });
    await c.close();
    await t.rejects(c.get('a'), { code: Codes.CLIENT_CLOSED });
    await t.rejects(c.stats(), { code: Codes.CLIENT_CLOSED });
    t.throws(() => new Client({ servers: [] }), TypeError);
    t.throws(() => new Client({ servers: ['a:1', 'a:1'] }), /listed twice/);
    t.throws(
      () => new Client({ servers: ['a:1'], protocol: 'udp' as ProtocolName }),
      /unknown protocol/,
    );
    t.throws(() => new Client({ servers: ['a:1'], timeout: 0 }), /timeout/);
  });
}
