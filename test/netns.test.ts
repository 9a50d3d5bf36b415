/**
 * Multi-host: three slabcached nodes, each in its own network namespace behind a veth pair,
 * and the client in the test's own namespace. One node's link goes down: the client ejects it
 * within its timeout budget, keeps serving the other nodes' keys, loses no acknowledged write
 * on them, and re-admits the node when the link comes back (its keys are readable again).
 * Needs root and iproute2 (CI runs as root); elsewhere it skips. Namespaces, links and
 * processes are removed at the end, whatever happens.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { Client } from '@slabcache/client';
import t from 'tap';

const BIN = new URL('../node_modules/.bin/slabcached', import.meta.url).pathname;
const NODES = [1, 2, 3];
const tag = `sc${process.pid % 10000}`;
const ns = (i: number) => `${tag}n${i}`;
const hostSide = (i: number) => `${tag}h${i}`;
const nodeSide = (i: number) => `${tag}v${i}`;
const addr = (i: number) => `10.213.${i}.2`;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

const canRun = (() => {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skip = canRun ? false : process.env.CI ? false : 'needs root and iproute2 (ip netns)';

function cleanup(procs: ChildProcess[]): void {
  for (const p of procs) p.kill('SIGKILL');
  for (const i of NODES) {
    try {
      ip('netns', 'del', ns(i)); // takes its veth end, and so the pair, with it
    } catch {}
    try {
      ip('link', 'del', hostSide(i));
    } catch {}
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test(
  'a node cut off: ejected in time, the others serve, re-admitted on return',
  { skip },
  async (t) => {
    const procs: ChildProcess[] = [];
    t.teardown(() => cleanup(procs));
    for (const i of NODES) {
      ip('netns', 'add', ns(i));
      ip('link', 'add', hostSide(i), 'type', 'veth', 'peer', 'name', nodeSide(i));
      ip('link', 'set', nodeSide(i), 'netns', ns(i));
      ip('addr', 'add', `10.213.${i}.1/24`, 'dev', hostSide(i));
      ip('link', 'set', hostSide(i), 'up');
      ip('netns', 'exec', ns(i), 'ip', 'addr', 'add', `${addr(i)}/24`, 'dev', nodeSide(i));
      ip('netns', 'exec', ns(i), 'ip', 'link', 'set', nodeSide(i), 'up');
      ip('netns', 'exec', ns(i), 'ip', 'link', 'set', 'lo', 'up');
      const p = spawn(
        'ip',
        [
          'netns',
          'exec',
          ns(i),
          BIN,
          '-l',
          addr(i),
          '-p',
          '11211',
          '-t',
          '1',
          '-m',
          '32',
          '--no-admin',
        ],
        { stdio: 'ignore' },
      );
      procs.push(p);
    }
    const servers = NODES.map((i) => `${addr(i)}:11211`);
    const timeout = 300;
    const failureLimit = 2;
    const retryDelay = 300;
    const client = new Client({
      servers,
      timeout,
      connectTimeout: timeout,
      failureLimit,
      retryDelay,
      maxRetryDelay: 600,
    });
    t.teardown(() => client.close());
    // Loading and bulk checks go through a client with a patient timeout, in batches, so a
    // busy machine cannot fail them; the failure budget is measured with `client`.
    const loader = new Client({ servers, timeout: 5000, connectTimeout: 5000 });
    t.teardown(() => loader.close());
    const up = async () =>
      (
        await Promise.all(servers.map((_, n) => loader.set(`probe-${n}`, 'x').catch(() => false)))
      ).every(Boolean);
    for (let i = 0; i < 100 && !(await up()); i++) await sleep(100);
    const inBatches = async <T>(list: string[], fn: (k: string) => Promise<T>): Promise<T[]> => {
      const out: T[] = [];
      for (let i = 0; i < list.length; i += 100) {
        out.push(...(await Promise.all(list.slice(i, i + 100).map(fn))));
      }
      return out;
    };

    const keys = Array.from({ length: 3000 }, (_, i) => `key:${i}`);
    const stored = await inBatches(keys, (k) => loader.set(k, `v-${k}`));
    t.equal(stored.filter(Boolean).length, keys.length, 'every write acknowledged');
    const cut = servers[1];
    const onCut = keys.filter((k) => client.serverFor(k) === cut);
    const onOthers = keys.filter((k) => client.serverFor(k) !== cut);
    t.ok(onCut.length > 500 && onOthers.length > 1000, `${onCut.length} keys on the node to cut`);

    // `client` has open connections to every node when the link goes.
    const warm = await inBatches(keys.slice(0, 300), (k) => client.get(k).catch(() => 'error'));
    t.equal(warm.filter((v, i) => v === `v-${keys[i]}`).length, 300, 'the client reads every node');
    ip('link', 'set', hostSide(2), 'down');
    const t0 = performance.now();
    // Traffic to the cut node fails; it is ejected after failureLimit failures, each bounded
    // by the timeout, and then fails fast.
    let ejectedAfter = -1;
    for (let round = 0; round < 40 && ejectedAfter < 0; round++) {
      const error = await client.get(onCut[round]).then(
        () => null,
        (e: { code?: string }) => e.code,
      );
      if (error === 'SLABCACHE_SERVER_DOWN') ejectedAfter = performance.now() - t0;
    }
    t.ok(ejectedAfter >= 0, 'the cut node is ejected');
    const budget = failureLimit * timeout + timeout + 200;
    t.ok(
      ejectedAfter <= budget,
      `ejected after ${Math.round(ejectedAfter)} ms (budget ${budget} ms)`,
    );
    const fast = performance.now();
    const down = await client.get(onCut[0]).catch((e: { code?: string }) => e.code);
    t.equal(down, 'SLABCACHE_SERVER_DOWN');
    t.ok(performance.now() - fast < 100, 'then it fails fast');

    const survivors = await inBatches(onOthers, (k) => client.get(k).catch(() => 'error'));
    t.equal(
      survivors.filter((v, i) => v === `v-${onOthers[i]}`).length,
      onOthers.length,
      'every acknowledged write on the other nodes is still there',
    );

    ip('link', 'set', hostSide(2), 'up');
    let back = false;
    for (let i = 0; i < 60 && !back; i++) {
      await sleep(100);
      back = (await client.get(onCut[0]).catch(() => 'error')) === `v-${onCut[0]}`;
    }
    t.ok(back, 're-admitted once the link is back');
    const returned = await inBatches(onCut, (k) => client.get(k).catch(() => 'error'));
    t.equal(
      returned.filter((v, i) => v === `v-${onCut[i]}`).length,
      onCut.length,
      'the node’s own keys are readable again',
    );
  },
);
