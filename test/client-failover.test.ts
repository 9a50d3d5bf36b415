/**
 * @slabcache/client when servers fail: a slabcached node killed with kill -9 mid-run (its keys
 * fail fast, or fail over, the others keep working, and it is re-admitted when it comes back on
 * the same port), servers that never answer (timeouts, then ejection), that drop every
 * connection (no reconnect storm), that never accept (connect timeout), that send garbage, and
 * replies cut into single bytes.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, realpathSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client, type ClientOptions, Codes, type SlabcacheError } from '@slabcache/client';
import t, { type Test } from 'tap';
import { freePort } from '../packages/server/test/helpers/ports.ts';
import { onPath, run } from './helpers/exec.ts';
import { type CacheNode, startNode } from './helpers/fleet.ts';

interface FakeServer {
  address: string;
  /** Connections accepted so far. */
  accepted: number;
  close(): Promise<void>;
}

/** A TCP server on loopback that does `onSocket` with every connection. */
async function fakeServer(onSocket: (socket: Socket) => void): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  const fake = { address: '', accepted: 0, close: async () => {} };
  const server = createServer((socket) => {
    fake.accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  fake.address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  fake.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return fake;
}

/** A fake server and a client of it alone, both closed when the test ends. */
async function fakeFleet(
  t: Test,
  onSocket: (socket: Socket) => void,
  options: Partial<ClientOptions>,
): Promise<[FakeServer, Client]> {
  const fake = await fakeServer(onSocket);
  const client = new Client({ servers: [fake.address], ...options });
  t.teardown(async () => {
    await client.close();
    await fake.close();
  });
  return [fake, client];
}

/** Settles `p` into its error code ('ok' when it resolved). */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return (e as SlabcacheError).code ?? String(e);
  }
}

/** Resolves once `condition()` holds (polling), or after `ms` anyway. */
async function waitFor(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition() && performance.now() < deadline) await sleep(10);
}

function tally(codes: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of codes) out[c] = (out[c] ?? 0) + 1;
  return out;
}

/** One embedded slabcached for the tests that need a healthy server. */
let healthy: CacheNode;
t.before(async () => {
  healthy = await startNode('embedded');
});
t.teardown(() => healthy.stop());

t.test('a node killed mid-run: fail fast or fail over, then re-admitted', async (t) => {
  // The node to kill runs as a child process; its neighbours in this process start faster.
  const nodes = await Promise.all([
    startNode('embedded'),
    startNode('slabcached'),
    startNode('embedded'),
  ]);
  t.teardown(() => Promise.all(nodes.map((n) => n.stop())));
  const options: ClientOptions = {
    servers: nodes.map((n) => n.address),
    timeout: 1000,
    failureLimit: 2,
    retryDelay: 200,
    maxRetryDelay: 400,
  };
  const strict = new Client(options);
  const failover = new Client({ ...options, failover: true });
  t.teardown(() => Promise.all([strict.close(), failover.close()]));
  const victim = nodes[1];
  const keys = Array.from({ length: 300 }, (_, i) => `kill:${i}`);
  const ownedBy = (node: CacheNode) => keys.filter((k) => strict.serverFor(k) === node.address);
  const theirs = ownedBy(victim);
  const others = keys.filter((k) => !theirs.includes(k));
  t.ok(theirs.length > 30 && others.length > 100, 'the victim owns a share of the keys');
  await Promise.all(keys.map((k) => strict.set(k, `v:${k}`)));
  const downEvents: string[] = [];
  strict.on('server-down', (address: string) => downEvents.push(address));

  // Traffic from both clients over every key for the whole run.
  let running = true;
  const seen = { strictOthers: [] as string[], failoverAll: [] as string[], attempts: 0 };
  const traffic = (async () => {
    while (running) {
      const round = keys.slice(0, 60).map(async (k, i) => {
        const key = keys[(i * 7 + seen.attempts) % keys.length];
        seen.attempts++;
        const [a, b] = await Promise.all([outcome(strict.get(key)), outcome(failover.get(key))]);
        if (!theirs.includes(key)) seen.strictOthers.push(a);
        seen.failoverAll.push(b);
        return k;
      });
      await Promise.all(round);
      await sleep(1);
    }
  })();
  await sleep(100);

  await victim.kill();
  const killedAt = performance.now();
  await waitFor(() => downEvents.length > 0);
  t.same(downEvents, [victim.address], 'server-down names the killed node');

  const t0 = performance.now();
  const fast = await Promise.all(theirs.slice(0, 20).map((k) => outcome(strict.get(k))));
  t.same(tally(fast), { [Codes.SERVER_DOWN]: 20 }, 'its keys fail with SLABCACHE_SERVER_DOWN');
  t.ok(performance.now() - t0 < 50, 'at once');
  t.same(await strict.get(others[0]), `v:${others[0]}`, 'the other nodes answer');
  t.equal(
    await failover.get(theirs[0]),
    undefined,
    'with failover: a miss on the next node, no error',
  );
  t.equal(await failover.set(theirs[0], 'moved'), true);
  t.equal(await failover.get(theirs[0]), 'moved', 'served by the next node on the ring');
  t.equal(failover.serverFor(theirs[0]), victim.address, 'serverFor still names its owner');
  t.notOk(strict.servers()[1].up);

  await sleep(300);
  const downFor = performance.now() - killedAt;
  const connects = strict.servers()[1].connects;
  // 1 before the kill, at most 2 failed reconnects (failureLimit), then one probe per backoff
  // period (from retryDelay / 2 = 100 ms, doubling to 400 ms at most).
  t.ok(
    connects <= 3 + Math.ceil(downFor / 100),
    `${connects} connects in ${downFor.toFixed(0)} ms`,
  );
  t.ok(seen.attempts > 200, `under ${seen.attempts} requests: no reconnect storm`);

  const ups: string[] = [];
  strict.on('server-up', (address: string) => ups.push(address));
  await victim.start();
  await waitFor(() => ups.length > 0 && failover.servers()[1].up);
  t.same(ups, [victim.address], 'server-up: re-admitted after it came back on its port');
  t.ok(strict.servers()[1].up);
  t.equal(await strict.get(theirs[1]), undefined, 'its keys reach it again (a fresh, empty node)');
  t.equal(await strict.set(theirs[1], 'back'), true);
  t.equal(await strict.get(theirs[1]), 'back');
  t.equal(await failover.get(theirs[0]), undefined, 'failover moves keys back to their owner');

  running = false;
  await traffic;
  t.same(
    tally(seen.strictOthers),
    { ok: seen.strictOthers.length },
    'no error for the other nodes',
  );
  const failoverErrors = seen.failoverAll.filter((c) => c !== 'ok');
  t.ok(
    failoverErrors.every((c) => c === Codes.CONNECTION_LOST),
    `with failover only requests in flight at the kill failed: ${JSON.stringify(tally(failoverErrors))}`,
  );
});

t.test('a server that never answers: timeouts, then ejection', async (t) => {
  const [silent, c] = await fakeFleet(t, () => {}, {
    timeout: 100,
    failureLimit: 2,
    retryDelay: 5000,
  });
  const t0 = performance.now();
  const first = await Promise.all(Array.from({ length: 5 }, (_, i) => outcome(c.get(`k${i}`))));
  const waited = performance.now() - t0;
  t.same(
    first,
    [Codes.TIMEOUT, ...Array(4).fill(Codes.CONNECTION_LOST)],
    'the oldest times out, the rest lose the connection',
  );
  t.ok(waited >= 95 && waited < 600, `after ${waited.toFixed(0)} ms`);
  const downs: string[] = [];
  c.on('server-down', (a: string) => downs.push(a));
  t.equal(await outcome(c.set('k', 'v')), Codes.TIMEOUT, 'a second connection, a second timeout');
  t.same(downs, [silent.address], 'ejected after failureLimit failures');
  const t1 = performance.now();
  const burst = await Promise.all(Array.from({ length: 500 }, (_, i) => outcome(c.get(`b${i}`))));
  t.same(tally(burst), { [Codes.SERVER_DOWN]: 500 }, 'then everything fails fast');
  // 500 timeouts would take 50 s; failing fast takes a few ms (more on a loaded machine).
  t.ok(performance.now() - t1 < 2000, 'without waiting');
  t.equal(silent.accepted, 2, 'and opens no connection');
  const error = await c.get('x').catch((e: SlabcacheError) => e);
  t.match(error, {
    name: 'ServerDownError',
    server: silent.address,
    message: /no reply within 100 ms/,
  });
});

t.test('a server that drops every connection: no reconnect storm', async (t) => {
  const [dropper, c] = await fakeFleet(t, (socket) => socket.destroy(), {
    failureLimit: 3,
    retryDelay: 50,
    maxRetryDelay: 100,
  });
  // A fixed number of requests (not a time budget: a busy machine must not change the test),
  // in rounds of 20 spread over a few hundred milliseconds.
  const codes: string[] = [];
  const start = performance.now();
  for (let round = 0; round < 100; round++) {
    codes.push(...(await Promise.all(Array.from({ length: 20 }, () => outcome(c.get('k'))))));
    await sleep(3);
  }
  const elapsed = performance.now() - start;
  const counts = tally(codes);
  t.equal(codes.length, 2000);
  t.notOk(counts.ok, 'none succeeded');
  t.ok(counts[Codes.SERVER_DOWN] > codes.length * 0.9, 'almost all failed fast while ejected');
  // failureLimit connections, then at most one probe per 25 ms (jittered backoff of 25-100 ms),
  // whatever the number of requests.
  const bound = 3 + Math.ceil(elapsed / 25) + 1;
  t.ok(
    dropper.accepted <= bound,
    `only ${dropper.accepted} connections reached the server in ${Math.round(elapsed)} ms (at most ${bound})`,
  );
  t.ok(c.servers()[0].connects >= dropper.accepted, 'the client counted them');
});

t.test('a server that never accepts: connect timeout, and failover to the next', async (t) => {
  // A listener with a backlog of 0 whose one slot is taken: the next SYN gets no answer.
  const python = spawn('/usr/bin/python3', [
    '-c',
    'import socket,sys,time\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(30)',
  ]);
  const [line] = (await once(python.stdout, 'data')) as [Buffer];
  const hung = `127.0.0.1:${Number(line.toString())}`;
  const filler = new Client({ servers: [hung], connectTimeout: 5000 });
  const filled = filler.get('fill').catch(() => {});
  await sleep(50);
  t.teardown(async () => {
    python.kill('SIGKILL');
    await filled;
    await filler.close();
  });

  const c = new Client({ servers: [hung], connectTimeout: 100, failureLimit: 1, retryDelay: 5000 });
  const t0 = performance.now();
  const error = await c.get('k').catch((e: SlabcacheError) => e);
  t.match(error, { name: 'TimeoutError', code: Codes.CONNECT_TIMEOUT, server: hung });
  t.ok(performance.now() - t0 >= 95, 'after connectTimeout');
  await c.close();

  const fo = new Client({
    servers: [hung, healthy.address],
    connectTimeout: 100,
    failureLimit: 1,
    failover: true,
    retryDelay: 5000,
  });
  t.teardown(() => fo.close());
  const key = Array.from({ length: 100 }, (_, i) => `f${i}`).find((k) => fo.serverFor(k) === hung)!;
  t.equal(await fo.get(key), undefined, 'never sent, so retried on the next server: no error');
  t.equal(await fo.set(key, 'v'), true, 'and the next request goes there at once');
  t.equal(await fo.get(key), 'v');
  t.same(
    fo.servers().map((s) => s.up),
    [false, true],
  );
});

t.test('garbage and unasked-for bytes close the connection', async (t) => {
  const garbage = (socket: Socket) => {
    socket.on('data', (d) => {
      // One reply too many to `mg one`, and nonsense to everything else.
      socket.write(d.toString().startsWith('mg one') ? 'HD\r\nHD\r\n' : 'HELLO\r\n');
    });
  };
  const [, c] = await fakeFleet(t, garbage, { failureLimit: 10 });
  t.match(await c.get('x').catch((e) => e), {
    name: 'ProtocolError',
    code: Codes.PROTOCOL,
    message: /HELLO/,
  });
  t.equal(await c.touch('one', 10), true, 'a good reply is taken');
  await sleep(20);
  t.match(await c.get('x').catch((e) => e), { code: Codes.PROTOCOL }, 'on a new connection');
  t.equal(c.servers()[0].connects, 3, 'each bad stream was closed and replaced');
  t.ok(c.servers()[0].up, 'under failureLimit: still up');
});

t.test('replies cut into single bytes, on every protocol', async (t) => {
  const node = healthy;
  const port = await freePort();
  // A proxy that passes requests on and writes replies back one byte per write.
  const proxy = createServer((client) => {
    const upstream = connect(node.port, node.host);
    client.on('data', (d) => upstream.write(d));
    let queue = Buffer.alloc(0);
    let pumping = false;
    const pump = () => {
      if (queue.length === 0 || client.destroyed) {
        pumping = false;
        return;
      }
      client.write(queue.subarray(0, 1));
      queue = queue.subarray(1);
      setImmediate(pump);
    };
    upstream.on('data', (d: Buffer) => {
      queue = Buffer.concat([queue, d]);
      if (!pumping) {
        pumping = true;
        pump();
      }
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  proxy.listen(port, '127.0.0.1');
  await once(proxy, 'listening');
  t.teardown(() => new Promise((resolve) => proxy.close(resolve)));
  for (const protocol of ['meta', 'text', 'binary'] as const) {
    const c = new Client({ servers: [`127.0.0.1:${port}`], protocol, timeout: 5000 });
    const value = { list: Array.from({ length: 50 }, (_, i) => `item ${i}`) };
    await c.set('a', value);
    await c.set('b', 'b-value');
    t.same(await c.get('a'), value, `${protocol}: get`);
    t.same(
      await c.getMulti(['a', 'b', 'c']),
      new Map<string, unknown>([
        ['a', value],
        ['b', 'b-value'],
      ]),
      `${protocol}: getMulti`,
    );
    t.equal((await c.gets('b'))?.value, 'b-value', `${protocol}: gets`);
    t.equal(await c.incr(`n-${protocol}`, 2, { initial: 40 }), 40);
    t.equal(await c.incr(`n-${protocol}`, 2), 42, `${protocol}: incr`);
    t.ok(Number((await c.stats()).values().next().value?.pid) > 0, `${protocol}: stats`);
    await c.close();
  }
});

t.test('close() lets requests in flight finish', async (t) => {
  const c = new Client({ servers: [healthy.address] });
  await c.set('a', 'x');
  const pending = Promise.all(Array.from({ length: 100 }, () => c.get('a')));
  const closing = c.close();
  t.same(await pending, Array(100).fill('x'), 'every request answered');
  await closing;
  t.equal(await outcome(c.get('a')), Codes.CLIENT_CLOSED);
});

/** A script using the client: an idle client must not keep it alive, close() must resolve. */
const SCRIPT = `
const [address, module] = process.argv.slice(1);
const { Client } = await import(module);
const idle = new Client({ servers: [address], protocol: 'binary' });
await idle.set('script', { n: 1 });
console.log(JSON.stringify(await idle.get('script')));
const closing = new Client({ servers: [address] });
console.log(await closing.fetch('script-fetch', () => 'loaded', { ttl: 10 }));
await closing.close();
console.log('closed on', process.version);
`;

t.test(
  'a script exits on its own after using the client, on this Node and the system one',
  async (t) => {
    const dist = fileURLToPath(new URL('../packages/client/dist/index.js', import.meta.url));
    const runs: [string, string[], string][] = [
      [process.execPath, ['--conditions=slabcache-source'], '@slabcache/client'],
    ];
    // Every other Node on this machine (Node 20 here and in CI), on the built package.
    const seen = new Set([realpathSync(process.execPath)]);
    for (const other of [onPath('node'), '/usr/bin/node', '/usr/local/bin/node']) {
      if (!other || !existsSync(other) || !existsSync(dist) || seen.has(realpathSync(other)))
        continue;
      seen.add(realpathSync(other));
      runs.push([other, [], pathToFileURL(dist).href]);
    }
    for (const [node, flags, module] of runs) {
      const args = [...flags, '--input-type=module', '-e', SCRIPT, healthy.address, module];
      const r = await run(node, args, 10_000);
      const lines = r.out.trim().split('\n');
      t.equal(r.code, 0, `${node}: exited by itself (${r.stderr.trim()})`);
      t.same(lines.slice(0, 2), ['{"n":1}', 'loaded'], `${lines[2] ?? node}: the calls worked`);
    }
  },
);
