/**
 * memcached's -e warm restart, on the real executable: fill 100,000 items, SIGUSR1, start
 * again with the same file and settings: every item is back with its flags and CAS, and TTLs
 * are still counting down. With other memory settings it starts empty and says why.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { RawClient } from './helpers/raw-client.ts';

const BIN = new URL('../../../node_modules/.bin/slabcached', import.meta.url).pathname;
const ITEMS = 100_000;
const BATCH = 1000;

interface Daemon {
  proc: ChildProcess;
  port: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function daemon(args: string[]): Promise<Daemon> {
  const proc = spawn(BIN, ['-p', '0', '-t', '2', '--no-admin', '-v', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line; stderr: ${err}`)), 20_000);
    proc.stderr!.on('data', (d) => {
      err += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return { proc, port, stderr: () => err, exited };
}

const value = (i: number) => `v${i}-${'x'.repeat(i % 50)}`;

t.test('SIGUSR1 saves, the next start restores items, flags, CAS and TTLs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slabcache-warm-'));
  const file = join(dir, 'cache');
  const first = await daemon(['-m', '64', '-e', file]);
  t.teardown(() => first.proc.kill('SIGKILL'));
  const c = await RawClient.connect(first.port);
  for (let i = 0; i < ITEMS; i += BATCH) {
    let req = '';
    for (let j = i; j < i + BATCH; j++) {
      const ttl = j % 2 === 0 ? 0 : 1000;
      req += `set k${j} ${j} ${ttl} ${value(j).length} noreply\r\n${value(j)}\r\n`;
    }
    c.write(req);
  }
  t.equal(await c.call('mn\r\n'), 'MN\r\n', 'every set went through');
  // CAS values of a sample, read before the restart.
  const sample = [0, 1, 777, 4242, ITEMS - 1];
  const before = new Map<number, string>();
  for (const i of sample) before.set(i, await c.call(`gets k${i}\r\n`, 'END\r\n'));
  const ttlBefore = await c.call('mg k1 t\r\n');
  c.close();
  const t0 = Date.now();
  first.proc.kill('SIGUSR1');
  t.equal(await first.exited, 0, 'exits 0 after saving');
  t.ok(existsSync(file), 'the memory file is written');
  t.match(first.stderr(), /saved 100000 items/);

  // Let the clock move on, so a TTL that counts down is visible.
  await new Promise((r) => setTimeout(r, Math.max(0, 1100 - (Date.now() - t0))));
  const second = await daemon(['-m', '64', '-e', file]);
  t.teardown(() => second.proc.kill('SIGKILL'));
  t.match(second.stderr(), /restored 100000 items from/);
  t.notOk(existsSync(file), 'a restored file is removed');
  const d = await RawClient.connectFor(t, second.port);
  let intact = 0;
  for (let i = 0; i < ITEMS; i += BATCH) {
    let req = '';
    let want = '';
    for (let j = i; j < i + BATCH; j++) {
      req += `mg k${j} v f\r\n`;
      want += `VA ${value(j).length} f${j}\r\n${value(j)}\r\n`;
    }
    d.write(req);
    if ((await d.read(want.length, 10_000)) === want) intact += BATCH;
  }
  t.equal(intact, ITEMS, 'every item with its value and flags');
  for (const i of sample) {
    t.equal(await d.call(`gets k${i}\r\n`, 'END\r\n'), before.get(i), `k${i}: same CAS`);
  }
  const ttlAfter = Number(/t(\d+)/.exec(await d.call('mg k1 t\r\n'))?.[1]);
  const was = Number(/t(\d+)/.exec(ttlBefore)?.[1]);
  t.ok(
    ttlAfter < was && ttlAfter > was - 30,
    `TTL counts down across the restart (${was} -> ${ttlAfter})`,
  );
  t.equal(await d.call('mg k0 t\r\n'), 'HD t-1\r\n', 'no TTL stays none');
  t.equal(await d.call('set fresh 0 0 1\r\nx\r\n'), 'STORED\r\n');
});

t.test('other memory settings: starts empty and says why', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slabcache-warm-'));
  const file = join(dir, 'cache');
  const first = await daemon(['-m', '64', '-e', file]);
  t.teardown(() => first.proc.kill('SIGKILL'));
  const c = await RawClient.connect(first.port);
  t.equal(await c.call('set a 0 0 1\r\nx\r\n'), 'STORED\r\n');
  c.close();
  first.proc.kill('SIGUSR1');
  t.equal(await first.exited, 0);
  const second = await daemon(['-m', '128', '-e', file]);
  t.teardown(() => second.proc.kill('SIGKILL'));
  t.match(
    second.stderr(),
    /not restored, starting empty: settings changed since the snapshot: memoryLimit 67108864 -> 134217728/,
  );
  const d = await RawClient.connectFor(t, second.port);
  t.equal(await d.call('get a\r\n'), 'END\r\n');
});

t.test('shutdown graceful (with -A) saves too; SIGTERM does not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slabcache-warm-'));
  const file = join(dir, 'cache');
  const first = await daemon(['-A', '-e', file]);
  t.teardown(() => first.proc.kill('SIGKILL'));
  const c = await RawClient.connect(first.port);
  t.equal(await c.call('set a 5 0 1\r\nx\r\n'), 'STORED\r\n');
  c.write('shutdown graceful\r\n');
  t.equal(await first.exited, 0);
  t.ok(existsSync(file));
  const second = await daemon(['-e', file]);
  const d = await RawClient.connect(second.port);
  t.equal(await d.call('get a\r\n', 'END\r\n'), 'VALUE a 5 1\r\nx\r\nEND\r\n');
  d.close();
  second.proc.kill('SIGTERM');
  t.equal(await second.exited, 0);
  t.notOk(existsSync(file), 'SIGTERM leaves no memory file');
});
