/**
 * Client benchmark (not a test): @slabcache/client next to the npm clients `memjs` and
 * `memcached`, against the same slabcached, with the same workload (90% get / 10% set of
 * 100-byte values over a preloaded key space, the same keys in the same order for every
 * client), the same number of connections and the same number of requests in flight. Clients
 * take turns, round by round. Prints ops/s, p50 and p99 latency and each one's ratio to
 * @slabcache/client on the meta protocol. See scripts/bench/README.md.
 *
 *   node_modules/.bin/node --conditions=slabcache-source scripts/bench/client.ts [--seconds 2]
 *     [--rounds 2] [--connections 1] [--concurrency 32] [--clients slabcache-meta,memjs,...]
 *
 * (--conditions=slabcache-source runs the workspace packages from their TypeScript sources;
 * without it they load from dist/, which `tsc -b` builds.)
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Memcached from 'memcached';
import memjs from 'memjs';
import { Client, type ProtocolName } from '../../packages/client/src/index.ts';
import { Histogram, keyOf } from './loadgen-core.ts';
import {
  freePort,
  HOST,
  installCleanupHooks,
  pinned,
  planPinning,
  startServer,
  stopChild,
} from './server-procs.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SLABCACHED = join(REPO, 'node_modules/.bin/slabcached');
const GET_SHARE = 0.9;

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '0.5' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '32' },
    keys: { type: 'string', default: '10000' },
    'value-size': { type: 'string', default: '100' },
    threads: { type: 'string', default: '1' },
    clients: {
      type: 'string',
      default: 'slabcache-meta,slabcache-text,slabcache-binary,memjs,memcached',
    },
    'no-pin': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(
    'client.ts [--seconds 2] [--warmup 0.5] [--rounds 2] [--connections 1] [--concurrency 32]\n' +
      '  [--keys 10000] [--value-size 100] [--threads 1] [--clients a,b,...] [--no-pin]\n' +
      'clients: slabcache-meta slabcache-text slabcache-binary memjs memcached',
  );
  process.exit(0);
}
const seconds = Number(opts.seconds);
const warmup = Number(opts.warmup);
const rounds = Number(opts.rounds);
const connections = Number(opts.connections);
const concurrency = Number(opts.concurrency);
const keyCount = Number(opts.keys);
const valueSize = Number(opts['value-size']);

/** What the benchmark needs of a client: get and set, as promises. */
interface Driver {
  name: string;
  wire: string;
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  close(): Promise<void>;
}

function slabcache(protocol: ProtocolName, address: string): Driver {
  const c = new Client({ servers: [address], protocol, poolSize: connections, timeout: 5000 });
  return {
    name: '@slabcache/client',
    wire: protocol,
    get: (k) => c.get(k),
    set: (k, v) => c.set(k, v),
    close: () => c.close(),
  };
}

function memjsDriver(address: string): Driver {
  // memjs has one socket per server and client: one client per connection, taken in turn.
  const quiet = { log() {} };
  const clients = Array.from({ length: connections }, () =>
    memjs.Client.create(address, { retries: 0, timeout: 5, logger: quiet }),
  );
  let next = 0;
  const pick = () => clients[next++ % clients.length];
  return {
    name: 'memjs 1.3.2',
    wire: 'binary',
    get: (k) => pick().get(k),
    set: (k, v) => pick().set(k, v, { expires: 0 }),
    close: async () => {
      for (const c of clients) c.close();
    },
  };
}

function memcachedDriver(address: string): Driver {
  // Its default retries: with 0, requests made while the pool connects fail ("pool is full").
  const c = new Memcached(address, { poolSize: connections, timeout: 5000 });
  const call = <T>(fn: (cb: (err: unknown, r: T) => void) => void) =>
    new Promise<T>((res, rej) => fn((err, r) => (err ? rej(err) : res(r))));
  return {
    name: 'memcached 2.2.2',
    wire: 'text',
    get: (k) => call((cb) => c.get(k, cb)),
    set: (k, v) => call((cb) => c.set(k, v, 0, cb)),
    close: async () => c.end(),
  };
}

function makeDriver(name: string, address: string): Driver {
  switch (name) {
    case 'slabcache-meta':
      return slabcache('meta', address);
    case 'slabcache-text':
      return slabcache('text', address);
    case 'slabcache-binary':
      return slabcache('binary', address);
    case 'memjs':
      return memjsDriver(address);
    case 'memcached':
      return memcachedDriver(address);
    default:
      throw new Error(`unknown client ${name}`);
  }
}

/** Entries in the request plan: more than any turn sends from one loop. */
const PLAN = 1 << 20;

/**
 * The requests every client sends, in order: entry i names key `plan[i] % keys`, a set when
 * `plan[i] / keys` falls in the top tenth. Made once (a multiplicative hash of i), so every
 * client and every round walks the same keys.
 */
function requestPlan(keys: number): Uint32Array {
  const plan = new Uint32Array(PLAN);
  for (let i = 0; i < PLAN; i++) {
    const h = Math.imul(i ^ (i >>> 16), 0x45d9f3b) >>> 0;
    plan[i] = (Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0) % (keys * 10);
  }
  return plan;
}

interface Result {
  ops: number;
  errors: number;
  misses: number;
  ms: number;
  hist: Histogram;
  /** This process's cpu time (user + system) per request, in microseconds: the client's cost. */
  cpuPerOp: number;
}

/** `concurrency` closed loops of get/set for `ms` (plus `warmupMs` not counted). */
async function drive(
  d: Driver,
  keys: string[],
  plan: Uint32Array,
  value: string,
  warmupMs: number,
  ms: number,
): Promise<Result> {
  const hist = new Histogram();
  const result: Result = { ops: 0, errors: 0, misses: 0, ms, hist, cpuPerOp: 0 };
  let all = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const stopAt = measureFrom + ms;
  const loops = Array.from({ length: concurrency }, async (_, w) => {
    // Each loop walks its own stretch of the plan.
    for (let i = Math.floor((w * PLAN) / concurrency); ; i = (i + 1) % PLAN) {
      const t0 = performance.now();
      if (t0 >= stopAt) return;
      const key = keys[plan[i] % keys.length];
      const isGet = Math.floor(plan[i] / keys.length) < GET_SHARE * 10;
      try {
        const got = await (isGet ? d.get(key) : d.set(key, value));
        const t1 = performance.now();
        all++;
        if (t0 >= measureFrom && t1 <= stopAt) {
          result.ops++;
          hist.record((t1 - t0) * 1e6, 1);
          if (isGet && (got === undefined || got === null || got === false)) result.misses++;
        }
      } catch {
        if (t0 >= measureFrom) result.errors++;
      }
    }
  });
  await Promise.all(loops);
  const used = process.cpuUsage(cpu);
  result.cpuPerOp = (used.user + used.system) / Math.max(1, all);
  return result;
}

async function main(): Promise<void> {
  const log = (s: string) => console.error(s);
  installCleanupHooks(log);
  const pin = planPinning('0', '1', availableParallelism(), !opts['no-pin']);
  const port = await freePort();
  const args = [
    '-p',
    String(port),
    '-l',
    HOST,
    '-U',
    '0',
    '-t',
    opts.threads,
    '-m',
    '256',
    '--no-admin',
  ];
  const [cmd, argv] = pinned(pin, pin.serverCpus, SLABCACHED, args);
  const server = await startServer(
    { label: 'slabcached', kind: 'slabcached', cmd, args: argv },
    port,
    pin,
  );
  if (pin.taskset)
    execFileSync(pin.taskset, ['-a', '-p', '-c', pin.genCpus, String(process.pid)], {
      stdio: 'ignore',
    });
  const address = `${HOST}:${port}`;
  const keys = Array.from({ length: keyCount }, (_, i) => keyOf(i));
  const value = Array.from({ length: valueSize }, (_, i) =>
    String.fromCharCode(97 + (i % 26)),
  ).join('');
  const loader = new Client({ servers: [address], poolSize: 1, timeout: 10_000 });
  for (let i = 0; i < keys.length; i += 1000) {
    await Promise.all(keys.slice(i, i + 1000).map((k) => loader.set(k, value)));
  }
  await loader.close();

  const plan = requestPlan(keys.length);
  const names = opts.clients.split(',').filter(Boolean);
  console.log(
    `slabcached -t ${opts.threads} on ${address}; ${pin.note}\n` +
      `workload: ${GET_SHARE * 100}% get / ${100 - GET_SHARE * 100}% set, ${valueSize}-byte values, ` +
      `${keyCount} keys preloaded; ${connections} connection(s) per client, ${concurrency} requests in flight; ` +
      `${rounds} round(s) of ${warmup} s warm-up + ${seconds} s per client, taking turns\n`,
  );
  interface Total {
    driver: Driver;
    ops: number;
    errors: number;
    misses: number;
    ms: number;
    hist: Histogram;
    cpu: number[];
  }
  const totals = new Map<string, Total>();
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      const driver = makeDriver(name, address);
      const r = await drive(driver, keys, plan, value, warmup * 1000, seconds * 1000);
      await driver.close();
      const total = totals.get(name) ?? {
        driver,
        ops: 0,
        errors: 0,
        misses: 0,
        ms: 0,
        hist: new Histogram(),
        cpu: [],
      };
      total.cpu.push(r.cpuPerOp);
      total.ops += r.ops;
      total.errors += r.errors;
      total.misses += r.misses;
      total.ms += r.ms;
      total.hist.addSparse(r.hist.toSparse());
      totals.set(name, total);
      log(`round ${round + 1}: ${name}: ${Math.round((r.ops / r.ms) * 1000)} ops/s`);
    }
  }
  await stopChild(server.child);

  const base = totals.get(names[0]);
  const baseRate = base ? base.ops / base.ms : 0;
  const cpuOf = (t: Total) => t.cpu.reduce((a, b) => a + b, 0) / t.cpu.length;
  const baseCpu = base ? cpuOf(base) : 0;
  const rows = [...totals.entries()].map(([, t]) => {
    const rate = (t.ops / t.ms) * 1000;
    return [
      t.driver.name,
      t.driver.wire,
      Math.round(rate).toLocaleString('en-US'),
      baseRate > 0 ? `${(t.ops / t.ms / baseRate).toFixed(2)}x` : '-',
      (t.hist.quantile(0.5) / 1000).toFixed(0),
      (t.hist.quantile(0.99) / 1000).toFixed(0),
      cpuOf(t).toFixed(2),
      baseCpu > 0 ? `${(cpuOf(t) / baseCpu).toFixed(2)}x` : '-',
      String(t.errors + t.misses),
    ];
  });
  const head = [
    'client',
    'wire',
    'ops/s',
    'ops ratio',
    'p50 us',
    'p99 us',
    'client cpu us/op',
    'cpu ratio',
    'errors',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
