/**
 * @slabcache/client discovery: a local DNS server (dns2, on loopback) answers A and SRV
 * queries for a name with slabcached nodes on 127.0.0.1-127.0.0.4 (one port on each address);
 * the client follows the answer on its interval. Adding a 4th node moves about a quarter of
 * 10,000 keys and only onto the new node; removing a node moves only its keys; staying nodes
 * keep their connections; a failed look-up keeps the last good list. Then ElastiCache's
 * `config get cluster`: slabcached with --cluster-config as the configuration endpoint (the
 * file changes, the version goes up, the client follows), and a scripted fake endpoint that
 * sends its reply one byte at a time, or a bad one.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, parseClusterConfig, type ServersChange } from '@slabcache/client';
import dns2 from 'dns2';
import t, { type Test } from 'tap';
import { freePort } from '../packages/server/test/helpers/ports.ts';
import { type CacheNode, portFree, startNode } from './helpers/fleet.ts';
import { startTestServer } from './helpers/server.ts';

const KEYS = Array.from({ length: 10_000 }, (_, i) => `key:${i}`);
const NAME = 'memcached.cache.test';
const HOSTS = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];

/** A port free on every one of HOSTS. */
async function portFreeOnAll(): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const port = await freePort(HOSTS[0]);
    const free = await Promise.all(HOSTS.map((h) => portFree(h, port)));
    if (free.every(Boolean)) return port;
  }
  throw new Error('no port free on every loopback address');
}

interface FakeDns {
  /** The A answer for NAME (SRV: each with the nodes' port, weight 1 but 127.0.0.1's 2);
   * null: SERVFAIL. */
  hosts: string[] | null;
  nameserver: string;
  close(): Promise<void>;
}

async function fakeDns(port: number, hosts: string[]): Promise<FakeDns> {
  const { Packet } = dns2;
  const state: FakeDns = { hosts, nameserver: '', close: async () => {} };
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      if (state.hosts === null || question.name !== NAME) {
        response.header.rcode = state.hosts === null ? 2 : 3; // SERVFAIL, NXDOMAIN
        send(response);
        return;
      }
      // dns2's types want a toBuffer() on answers; its encoder does not.
      const answer = (r: object) => response.answers.push(r as (typeof response.answers)[number]);
      for (const address of state.hosts) {
        const base = { name: NAME, class: Packet.CLASS.IN, ttl: 5 };
        if (question.type === Packet.TYPE.A) {
          answer({ ...base, type: Packet.TYPE.A, address });
        } else if (question.type === Packet.TYPE.SRV) {
          const weight = address === HOSTS[0] ? 2 : 1;
          answer({
            ...base,
            type: Packet.TYPE.SRV,
            priority: 10,
            weight,
            port,
            target: address,
          });
        }
      }
      send(response);
    },
  });
  const addresses = await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  state.nameserver = `127.0.0.1:${addresses.udp?.port}`;
  state.close = () => server.close();
  return state;
}

/** The next 'servers-changed' event (after `action`), within 5 s. */
async function nextChange(client: Client, action: () => void): Promise<ServersChange> {
  const changed = once(client, 'servers-changed', { signal: AbortSignal.timeout(5000) });
  action();
  const [change] = (await changed) as [ServersChange];
  return change;
}

function owners(client: Client): Map<string, string> {
  return new Map(KEYS.map((k) => [k, client.serverFor(k)]));
}

const port = await portFreeOnAll();
const nodes: CacheNode[] = await Promise.all(
  HOSTS.map((host) => startNode('embedded', { host, port })),
);
const dns = await fakeDns(port, HOSTS.slice(0, 3));
t.teardown(async () => {
  await dns.close();
  await Promise.all(nodes.map((n) => n.stop()));
});

t.test('A records: nodes come and go, keys of staying nodes stay', async (t) => {
  dns.hosts = HOSTS.slice(0, 3);
  const client = new Client({
    discovery: { dns: NAME, port, nameservers: [dns.nameserver], interval: 100 },
  });
  t.teardown(() => client.close());
  await client.ready();
  const addr = (h: string) => `${h}:${port}`;
  t.same(
    client.servers().map((s) => s.address),
    HOSTS.slice(0, 3).map(addr),
    'the answer, sorted',
  );
  await Promise.all(KEYS.map((k) => client.set(k, k)));
  const before = owners(client);
  const connects = new Map(client.servers().map((s) => [s.address, s.connects]));

  // A 4th node.
  const added = await nextChange(client, () => {
    dns.hosts = [HOSTS[3], ...HOSTS.slice(0, 3)]; // answer order does not matter
  });
  t.same(added.added, [addr(HOSTS[3])]);
  t.same(added.removed, []);
  t.same(added.servers, HOSTS.map(addr));
  const afterAdd = owners(client);
  const moved = KEYS.filter((k) => afterAdd.get(k) !== before.get(k));
  const share = moved.length / KEYS.length;
  t.comment(
    `adding a 4th node moved ${moved.length} of ${KEYS.length} keys (${(share * 100).toFixed(1)}%)`,
  );
  t.ok(share > 0.15 && share < 0.35, `about a quarter of the keys moved (${share})`);
  t.ok(
    moved.every((k) => afterAdd.get(k) === addr(HOSTS[3])),
    'every key that moved went to the new node',
  );
  const found = await client.getMulti(KEYS);
  t.equal(found.size, KEYS.length - moved.length, 'every key that stayed is still a hit');
  for (const s of client.servers()) {
    if (connects.has(s.address)) {
      t.equal(s.connects, connects.get(s.address), `${s.address} kept its connection`);
    }
  }

  // 127.0.0.2 goes.
  const gone = addr(HOSTS[1]);
  const removed = await nextChange(client, () => {
    dns.hosts = [HOSTS[0], HOSTS[2], HOSTS[3]];
  });
  t.same(removed.removed, [gone]);
  t.same(removed.added, []);
  const afterRemove = owners(client);
  const movedAgain = KEYS.filter((k) => afterRemove.get(k) !== afterAdd.get(k));
  t.comment(`removing a node moved ${movedAgain.length} keys, all of them its own`);
  t.ok(movedAgain.length > 0);
  t.ok(
    movedAgain.every((k) => afterAdd.get(k) === gone),
    'only the removed node’s keys moved',
  );
  t.notOk(
    client.servers().some((s) => s.address === gone),
    'its pool is gone',
  );
  const hits = await client.getMulti(KEYS);
  t.equal(
    hits.size,
    KEYS.filter((k) => afterRemove.get(k) === before.get(k)).length,
    'the keys that never moved are all hits',
  );

  // The DNS server fails: the last good list stays.
  const failed = once(client, 'discovery-error', { signal: AbortSignal.timeout(5000) });
  dns.hosts = null;
  await failed;
  t.pass("a failed look-up emits 'discovery-error'");
  t.equal(client.servers().length, 3, 'the last good list stays');
  t.ok(await client.set('after-failure', 1), 'and serves');
  dns.hosts = HOSTS.slice(0, 3);
});

t.test('SRV records give host, port and weight', async (t) => {
  dns.hosts = HOSTS.slice(0, 2);
  const client = new Client({
    discovery: { dns: NAME, type: 'SRV', nameservers: [dns.nameserver], interval: 0 },
  });
  t.teardown(() => client.close());
  await client.ready();
  t.same(
    client.servers().map((s) => [s.address, s.weight]),
    [
      [`${HOSTS[0]}:${port}`, 2],
      [`${HOSTS[1]}:${port}`, 1],
    ],
  );
  t.ok(await client.set('srv', 'yes'));
  t.equal(await client.get('srv'), 'yes');
  dns.hosts = HOSTS.slice(0, 3);
  t.equal(await client.discover(), true, 'discover() asks at once');
  t.equal(client.servers().length, 3);
  t.equal(await client.discover(), false, 'the same answer changes nothing');
});

t.test('no servers yet: requests fail fast with SLABCACHE_NO_SERVERS', async (t) => {
  dns.hosts = null;
  const client = new Client({
    discovery: { dns: NAME, nameservers: [dns.nameserver], interval: 0 },
  });
  client.on('discovery-error', () => {});
  t.teardown(() => client.close());
  await t.rejects(client.get('k'), { code: 'SLABCACHE_NO_SERVERS' });
  await t.rejects(client.ready());
  dns.hosts = HOSTS.slice(0, 3);
  await client.ready();
  t.equal(client.servers().length, 3);
  t.throws(() => new Client({ discovery: {} }), /one of `dns`/);
  t.throws(() => new Client({ discovery: { dns: NAME, type: 'MX' as 'A' } }), /'A', 'AAAA'/);
});

/** `config get cluster` over a raw connection. */
async function configGetCluster(address: string): Promise<string> {
  const [host, p] = address.split(':');
  const socket = connect({ host, port: Number(p) });
  socket.write('config get cluster\r\n');
  let reply = '';
  for await (const chunk of socket) {
    reply += chunk.toString();
    if (reply.endsWith('END\r\n') || reply.endsWith('ERROR\r\n')) break;
  }
  socket.destroy();
  return reply;
}

t.test('slabcached --cluster-config answers config get cluster', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slabcache-cluster-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'nodes');
  const line = (h: string) => `${h}|${h}|${port}`;
  writeFileSync(file, `# the fleet\n${HOSTS.slice(0, 3).map(line).join('\n')}\n`);
  const endpoint = await startTestServer(['-t', '1', '--cluster-config', file]);
  t.teardown(() => endpoint.close());

  const nodesLine = HOSTS.slice(0, 3).map(line).join(' ');
  const body = `1\n${nodesLine}\n`;
  t.equal(
    await configGetCluster(endpoint.address),
    `CONFIG cluster 0 ${body.length}\r\n${body}\r\nEND\r\n`,
    "ElastiCache's reply, byte for byte",
  );

  const client = new Client({ discovery: { configEndpoint: endpoint.address, interval: 100 } });
  t.teardown(() => client.close());
  await client.ready();
  t.same(
    client.servers().map((s) => s.address),
    HOSTS.slice(0, 3).map((h) => `${h}:${port}`),
  );
  await Promise.all(KEYS.slice(0, 1000).map((k) => client.set(k, k)));

  // The file changes (other spellings too): the version goes up and the client follows.
  const change = await nextChange(client, () => {
    writeFileSync(file, `${HOSTS.slice(0, 3).map(line).join(' ')}\n${HOSTS[3]}:${port}\n`);
  });
  t.equal(change.version, 2, 'the version went up');
  t.same(change.added, [`${HOSTS[3]}:${port}`]);
  t.match(
    await configGetCluster(endpoint.address),
    `\r\n2\n${nodesLine} ${line(HOSTS[3])}\n\r\nEND`,
  );

  t.equal(await configGetCluster(nodes[0].address), 'ERROR\r\n', 'without the flag: ERROR');
});

/** A TCP server on loopback that answers every `config get cluster` with `reply()`. */
async function fakeEndpoint(t: Test, reply: () => string, byteByByte = false): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', async () => {
      const bytes = Buffer.from(reply());
      if (!byteByByte) return void socket.write(bytes);
      for (const b of bytes) {
        socket.write(Buffer.of(b));
        await new Promise((r) => setImmediate(r));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

function configReply(version: number, nodes: string[]): string {
  const body = `${version}\n${nodes.join(' ')}\n`;
  return `CONFIG cluster 0 ${Buffer.byteLength(body)}\r\n${body}\r\nEND\r\n`;
}

t.test('a scripted configuration endpoint', async (t) => {
  let reply = configReply(7, [
    `node-b.cache.test|${HOSTS[1]}|${port}`,
    `node-a.cache.test|${HOSTS[0]}|${port}`,
  ]);
  const address = await fakeEndpoint(t, () => reply, true);
  const client = new Client({ discovery: { configEndpoint: address, interval: 0 } });
  t.teardown(() => client.close());
  await client.ready();
  t.same(
    client.servers().map((s) => s.address),
    [`${HOSTS[0]}:${port}`, `${HOSTS[1]}:${port}`],
    'a reply sent byte by byte; nodes by IP, sorted',
  );
  reply = configReply(7, [`node-c.cache.test|${HOSTS[2]}|${port}`]);
  t.equal(await client.discover(), false, 'same version: no rebuild');
  reply = configReply(8, [`node-c.cache.test|${HOSTS[2]}|${port}`]);
  t.equal(await client.discover(), true, 'new version: rebuilt');
  t.same(
    client.servers().map((s) => s.address),
    [`${HOSTS[2]}:${port}`],
  );
  reply = 'ERROR\r\n';
  await t.rejects(client.discover(), /unexpected reply: ERROR/);
  t.equal(client.servers().length, 1, 'the last good list stays');

  t.same(
    parseClusterConfig(Buffer.from(configReply(3, ['cache-1.local||11212']))),
    {
      servers: [{ host: 'cache-1.local', port: 11212, weight: 1, address: 'cache-1.local:11212' }],
      version: 3,
    },
    'no IP: the host name',
  );
  t.equal(parseClusterConfig(Buffer.from('CONFIG cluster 0 20\r\n1\n')), null, 'incomplete');
  t.throws(() => parseClusterConfig(Buffer.from('CONFIG cluster 0 2\r\n1\nXXXXXXX')), /END/);
  t.throws(() => parseClusterConfig(Buffer.from(configReply(1, ['no-port']))), /bad node/);
});
