/**
 * Key placement agrees with libmemcached's weighted ketama (Debian's python3-pylibmc with the
 * `ketama_weighted` behavior, what PHP's memcached does with OPT_LIBKETAMA_COMPATIBLE):
 * pylibmc stores 10,000 keys on real slabcached servers and @slabcache/client must find every
 * one on the server its serverFor() names, and only there. Servers on port 11211 (which
 * libmemcached names by host alone on its ring) on 127.0.0.x, servers on other ports, equal
 * and unequal weights. Then 25 equal servers, where libmemcached's 32-bit float arithmetic
 * gives each 39 point groups instead of 40, against recording fake servers.
 *
 * Each case also checks that the naive ring (npm hashring with the `host:port` strings, as
 * the npm memcached client builds it) disagrees, so the comparison can fail.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import { Client, type ServerInput } from '@slabcache/client';
import t from 'tap';
import { run } from './helpers/exec.ts';
import { type CacheNode, portFree, startNode } from './helpers/fleet.ts';

const PYTHON = '/usr/bin/python3';
const KEYS = 10_000;

async function pylibmcMissing(): Promise<false | string> {
  if (process.env.CI) return false;
  const r = await run(PYTHON, ['-c', 'import pylibmc']).catch(() => null);
  return r?.code === 0
    ? false
    : 'python3-pylibmc is not installed (apt-get install python3-pylibmc)';
}
const skip = await pylibmcMissing();

/**
 * Stores every key (value = key) with pylibmc over `servers` ("host:port:weight") and reads
 * them all back with get_multi; prints how many came back. noreply and buffered requests only
 * make it fast (libmemcached pipelines the sets; the multi-get flushes them and waits for every
 * server). Placement is the `ketama_weighted` behavior alone.
 */
const STORE = `
import sys, json, pylibmc
mc = pylibmc.Client(json.loads(sys.argv[1]),
                    behaviors={"ketama_weighted": True, "_noreply": True, "buffer_requests": True})
keys = sys.stdin.read().split("\\n")
for k in keys:
    mc.set(k, k)
back = mc.get_multi(keys)
print(sum(1 for k in keys if back.get(k) == k))
`;

async function pylibmcStore(servers: Spec[], keys: string[]): Promise<number> {
  const specs = servers.map((s) => `${s.host}:${s.port}:${s.weight}`);
  const child = spawn(PYTHON, ['-c', STORE, JSON.stringify(specs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(keys.join('\n'));
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const [code] = await once(child, 'close');
  if (code !== 0) throw new Error(`pylibmc exited with ${code}`);
  return Number(out.trim());
}

interface Spec {
  host: string;
  port: number;
  weight: number;
}

/** Keys of many shapes: short, long, UTF-8, digits only. */
function makeKeys(n: number, tag: string): string[] {
  return Array.from({ length: n }, (_, i) => {
    switch (i % 5) {
      case 0:
        return `${tag}:user:${i}`;
      case 1:
        return `${tag}:${i.toString(36)}:${(i * 2654435761) % 4294967296}`;
      case 2:
        return `${tag}:ключ:${i}:ü€`;
      case 3:
        return `${i}`.padStart(6, '0') + tag;
      default:
        return `${tag}:${'x'.repeat(150)}:${i}`;
    }
  });
}

/** The naive ring: hashring fed the `host:port` strings and weights, with its defaults. */
function naiveOwner(servers: Spec[]): (key: string) => string {
  const HashRing = createRequire(new URL('../packages/client/package.json', import.meta.url))(
    'hashring',
  );
  const ring = new HashRing(
    Object.fromEntries(servers.map((s) => [`${s.host}:${s.port}`, s.weight])),
  );
  return (key) => ring.get(key);
}

function inputs(servers: Spec[]): ServerInput[] {
  return servers.map((s) => ({ host: s.host, port: s.port, weight: s.weight }));
}

/** 127.0.0.x addresses where port 11211 is free (all of 127/8 is loopback). */
async function freeLoopbacks(count: number): Promise<string[]> {
  const found: string[] = [];
  for (let x = 2; x < 255 && found.length < count; x++) {
    if (await portFree(`127.0.0.${x}`, 11211)) found.push(`127.0.0.${x}`);
  }
  return found;
}

t.test('pylibmc (ketama_weighted) and serverFor agree on real servers', { skip }, async (t) => {
  const hosts = await freeLoopbacks(2);
  t.equal(hosts.length, 2, 'two loopback addresses with 11211 free');
  const nodes: CacheNode[] = await Promise.all([
    ...hosts.map((host) => startNode('embedded', { host, port: 11211 })),
    ...hosts.map(() => startNode('embedded')),
  ]);
  t.teardown(() => Promise.all(nodes.map((n) => n.stop())));
  const spec = (n: CacheNode, weight: number): Spec => ({ host: n.host, port: n.port, weight });
  // nodes 0 and 1 listen on 127.0.0.x:11211, nodes 2 and 3 on 127.0.0.1 and other ports.
  const cases: [string, Spec[]][] = [
    ['port 11211, equal weights', [spec(nodes[0], 1), spec(nodes[1], 1)]],
    ['port 11211, weights 2 5', [spec(nodes[0], 2), spec(nodes[1], 5)]],
    ['other ports, weights 5 2', [spec(nodes[2], 5), spec(nodes[3], 2)]],
    [
      'mixed ports, weights 1 3 1 2',
      [spec(nodes[0], 1), spec(nodes[2], 3), spec(nodes[1], 1), spec(nodes[3], 2)],
    ],
  ];
  for (const [name, servers] of cases) {
    const on11211 = servers.some((s) => s.port === 11211);
    const client = new Client({ servers: inputs(servers), timeout: 5000 });
    await client.flush();
    const keys = makeKeys(KEYS, name.replace(/\W+/g, '-'));
    t.equal(
      await pylibmcStore(servers, keys),
      KEYS,
      `${name}: pylibmc stored every key and read it back`,
    );
    // Where each key really is: ask every server on its own for all of them.
    const holders = new Map<string, string[]>();
    for (const s of servers) {
      const address = `${s.host}:${s.port}`;
      const single = new Client({ servers: [address], timeout: 5000 });
      for (const key of (await single.getMulti(keys)).keys()) {
        holders.set(key, [...(holders.get(key) ?? []), address]);
      }
      await single.close();
    }
    const agree = keys.filter((k) => {
      const where = holders.get(k);
      return where?.length === 1 && where[0] === client.serverFor(k);
    }).length;
    t.equal(agree, KEYS, `${name}: serverFor named pylibmc's server for ${agree} of ${KEYS} keys`);
    const got = await client.getMulti<Buffer>(keys);
    t.ok(
      got.size === KEYS && keys.every((k) => got.get(k)?.toString() === k),
      `${name}: the client reads every key pylibmc wrote`,
    );
    // The comparison can fail: a ring that names 11211 servers `host:11211`, or ignores the
    // weights, puts many keys elsewhere.
    const wrong = on11211
      ? naiveOwner(servers)
      : naiveOwner(servers.map((s) => ({ ...s, weight: 1 })));
    const wrongAgree = keys.filter((k) => holders.get(k)?.[0] === wrong(k)).length;
    t.ok(
      wrongAgree < KEYS * 0.95,
      `${name}: ${on11211 ? 'naming by host:11211' : 'equal weights'} would agree on ${wrongAgree} only`,
    );
    await client.close();
  }
});

t.test(
  '25 equal servers: libmemcached counts 39 point groups each, and so do we',
  { skip },
  async (t) => {
    // Fake servers that answer STORED and record which keys reached them.
    const seen = new Map<string, string>();
    const servers: Server[] = [];
    t.teardown(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
    const specs: Spec[] = [];
    for (let i = 0; i < 25; i++) {
      const items = new Map<string, Buffer>();
      const server = createServer((socket) => {
        let pending = Buffer.alloc(0);
        socket.on('data', (d: Buffer) => {
          pending = Buffer.concat([pending, d]);
          for (;;) {
            const eol = pending.indexOf('\r\n');
            if (eol < 0) return;
            const line = pending.toString('latin1', 0, eol);
            const set = /^set (\S+) (\d+) \d+ (\d+)( noreply)?$/.exec(line);
            if (set) {
              const end = eol + 2 + Number(set[3]) + 2;
              if (pending.length < end) return;
              const key = Buffer.from(set[1], 'latin1').toString('utf8');
              seen.set(key, address);
              items.set(
                set[1],
                Buffer.concat([
                  Buffer.from(`VALUE ${set[1]} ${set[2]} ${set[3]}\r\n`, 'latin1'),
                  pending.subarray(eol + 2, end),
                ]),
              );
              if (!set[4]) socket.write('STORED\r\n');
              pending = pending.subarray(end);
              continue;
            }
            if (line.startsWith('get ')) {
              const hits = line
                .split(' ')
                .slice(1)
                .map((k) => items.get(k) ?? Buffer.alloc(0));
              socket.write(Buffer.concat([...hits, Buffer.from('END\r\n')]));
            }
            pending = pending.subarray(eol + 2);
          }
        });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      servers.push(server);
      const port = (server.address() as { port: number }).port;
      const address = `127.0.0.1:${port}`;
      specs.push({ host: '127.0.0.1', port, weight: 1 });
    }
    const keys = makeKeys(5000, 'many');
    t.equal(await pylibmcStore(specs, keys), 5000, 'pylibmc stored every key and read it back');
    const client = new Client({ servers: inputs(specs) });
    t.teardown(() => client.close());
    const agree = keys.filter((k) => seen.get(k) === client.serverFor(k)).length;
    t.equal(agree, 5000, `serverFor named pylibmc's server for ${agree} of 5000 keys`);
    // hashring's own count (floor(1/25 * 40 * 25) in doubles = 40 groups) differs.
    const HashRing = createRequire(new URL('../packages/client/package.json', import.meta.url))(
      'hashring',
    );
    const doubles = new HashRing(Object.fromEntries(specs.map((s) => [`${s.host}:${s.port}`, 1])));
    const doublesAgree = keys.filter((k) => seen.get(k) === doubles.get(k)).length;
    t.ok(doublesAgree < 5000, `40 groups per server would agree on ${doublesAgree} keys only`);
  },
);
