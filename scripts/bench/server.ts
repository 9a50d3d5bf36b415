/**
 * Side-by-side benchmark of slabcached against Debian's memcached (not a test): both servers
 * run with the same -t and -m on loopback ports, pinned to one core, and a load generator
 * pinned to another core drives them with the same requests in alternating rounds
 * (A, B, A, B). Prints ops/s, p50 and p99 latency per server and their ratio, then memory per
 * item after loading 1,000,000 items into a fresh server. See scripts/bench/README.md.
 *
 *   node_modules/.bin/node scripts/bench/server.ts [--seconds N] [--rounds N] [--threads N]
 *     [--memory MB] [--workloads getset,pipeline,multiget,meta,binary,set4k,memory]
 *     [--servers memcached,slabcached] [--slabcached-cmd "..."] [--json FILE]
 *
 * More flags: --help.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { GenCommand } from './loadgen.ts';
import {
  Histogram,
  type LoadResult,
  type LoadSpec,
  type RunResult,
  type WorkloadSpec,
} from './loadgen-core.ts';
import {
  cpusAllowed,
  ensureMemcached,
  freePort,
  HOST,
  installCleanupHooks,
  memcachedVersion,
  type Pinning,
  pinned,
  planPinning,
  rssBytes,
  type Sched,
  type ServerHandle,
  type ServerLaunch,
  sched,
  spawnTracked,
  startServer,
  stats,
  stopChild,
} from './server-procs.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const DEFAULT_SLABCACHED = join(REPO, 'node_modules/.bin/slabcached');
const GEN_SATURATED = 0.9;

// ---- options --------------------------------------------------------------------------------

// The order they run in: set4k overwrites the preloaded 100-byte values, so it comes last.
const ALL_WORKLOADS = [
  'getset',
  'pipeline',
  'multiget',
  'meta',
  'binary',
  'set4k',
  'memory',
] as const;
type WorkloadName = (typeof ALL_WORKLOADS)[number];

interface Options {
  seconds: number;
  warmup: number;
  rounds: number;
  threads: number;
  memoryMB: number;
  workloads: WorkloadName[];
  servers: string[];
  slabcachedCmd: string | null;
  json: string | null;
  connections: number;
  depth: number;
  keys: number;
  items: number;
  genCpus: string;
  serverCpus: string;
  pin: boolean;
}

const HELP = `usage: node scripts/bench/server.ts [options]

  --seconds N         measured seconds per round (default 5)
  --warmup N          unmeasured seconds before each round (default 1)
  --rounds N          rounds per server and workload, alternating A,B,A,B (default 2)
  --threads N         -t for both servers (default 1: the servers get one core)
  --memory MB         -m for both servers (default 1024)
  --workloads LIST    of ${ALL_WORKLOADS.join(',')} (default all; they run
                      in this order, whatever the order of LIST)
  --servers LIST      of memcached, slabcached (default memcached,slabcached); the same name
                      twice (memcached,memcached) runs two instances, to validate the harness
  --slabcached-cmd S  shell command for slabcached; {port} {threads} {memory} are filled in,
                      and "-p {port} -t {threads} -m {memory} -U 0" is appended when S has no
                      {port} (default ${DEFAULT_SLABCACHED})
  --json FILE         also write all results as JSON
  --connections N     connections per run (default 50)
  --depth N           requests in flight per connection for "pipeline" (default 16)
  --keys N            key space of the throughput workloads, preloaded (default 100000)
  --items N           items loaded by "memory" (default 1000000)
  --gen-cpus LIST     taskset cpu list of the load generator (default 0)
  --server-cpus LIST  taskset cpu list of the servers (default 1)
  --no-pin            don't pin anything`;

function usage(msg: string): never {
  console.error(`server bench: ${msg}\n\n${HELP}`);
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    seconds: 5,
    warmup: 1,
    rounds: 2,
    threads: 1,
    memoryMB: 1024,
    workloads: [...ALL_WORKLOADS],
    servers: ['memcached', 'slabcached'],
    slabcachedCmd: null,
    json: null,
    connections: 50,
    depth: 16,
    keys: 100_000,
    items: 1_000_000,
    genCpus: '0',
    serverCpus: '1',
    pin: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const str = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} wants a value`);
      return v;
    };
    const num = (min: number, max: number): number => {
      const v = Number(str());
      if (!Number.isFinite(v) || v < min || v > max) usage(`${a} wants a number in ${min}..${max}`);
      return v;
    };
    if (a === '--seconds') o.seconds = num(0.1, 600);
    else if (a === '--warmup') o.warmup = num(0, 60);
    else if (a === '--rounds') o.rounds = Math.floor(num(1, 100));
    else if (a === '--threads') o.threads = Math.floor(num(1, 256));
    else if (a === '--memory') o.memoryMB = Math.floor(num(16, 1 << 20));
    else if (a === '--workloads') {
      const list = str().split(',').filter(Boolean);
      for (const w of list) {
        if (!(ALL_WORKLOADS as readonly string[]).includes(w)) usage(`unknown workload ${w}`);
      }
      o.workloads = list as WorkloadName[];
    } else if (a === '--servers') {
      o.servers = str().split(',').filter(Boolean);
      for (const s of o.servers) {
        if (s !== 'memcached' && s !== 'slabcached') usage(`unknown server ${s}`);
      }
      if (o.servers.length < 1 || o.servers.length > 2) usage('--servers wants one or two names');
    } else if (a === '--slabcached-cmd') o.slabcachedCmd = str();
    else if (a === '--json') o.json = str();
    else if (a === '--connections') o.connections = Math.floor(num(1, 4096));
    else if (a === '--depth') o.depth = Math.floor(num(1, 1024));
    else if (a === '--keys') o.keys = Math.floor(num(10, 50_000_000));
    else if (a === '--items') o.items = Math.floor(num(1, 50_000_000));
    else if (a === '--gen-cpus') o.genCpus = str();
    else if (a === '--server-cpus') o.serverCpus = str();
    else if (a === '--no-pin') o.pin = false;
    else if (a === '--help' || a === '-h') {
      console.log(HELP);
      process.exit(0);
    } else usage(`unknown option ${a}`);
  }
  return o;
}

function workloadSpec(name: WorkloadName, o: Options): WorkloadSpec {
  const getset: WorkloadSpec = {
    name,
    protocol: 'text',
    keys: o.keys,
    connections: o.connections,
    getRatio: 0.9,
    multi: 1,
    valueLen: 100,
    depth: 1,
  };
  switch (name) {
    case 'getset':
      return getset;
    case 'pipeline':
      return { ...getset, depth: o.depth };
    case 'multiget':
      return { ...getset, getRatio: 1, multi: 10 };
    case 'meta':
      return { ...getset, protocol: 'meta' };
    case 'binary':
      return { ...getset, protocol: 'binary' };
    case 'set4k':
      return { ...getset, getRatio: 0, valueLen: 4096 };
    default:
      throw new Error(`${name} is not a throughput workload`);
  }
}

const DESCRIBE: Record<WorkloadName, (o: Options) => string> = {
  getset: (o) => `90% get / 10% set, 100 B values, ${o.connections} conns, 1 in flight each`,
  pipeline: (o) =>
    `90% get / 10% set, 100 B values, ${o.connections} conns, ${o.depth} in flight each`,
  multiget: (o) => `get of 10 keys, ${o.connections} conns, 1 in flight each`,
  meta: (o) =>
    `90% mg <key> v f / 10% ms <key> 100 F0 T0 (meta protocol), ${o.connections} conns, ` +
    '1 in flight each',
  binary: (o) =>
    `90% Get / 10% Set (binary protocol), 100 B values, ${o.connections} conns, 1 in flight each`,
  set4k: (o) => `set of 4096 B values, ${o.connections} conns, 1 in flight each`,
  memory: (o) => `RSS growth after loading ${o.items.toLocaleString('en-US')} items of 100 B`,
};

// ---- the generator process ------------------------------------------------------------------

type GenReply =
  | { type: 'ready'; pid: number }
  | { type: 'mark'; id: number; phase: 'start' | 'end' }
  | { type: 'result'; id: number; result: RunResult }
  | { type: 'loaded'; id: number; result: LoadResult }
  | { type: 'error'; id: number; message: string };

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onMark?: (phase: 'start' | 'end') => void;
}

class Generator {
  pid = -1;
  private child: ReturnType<typeof spawnTracked>;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private ready: Promise<void>;

  constructor(pin: Pinning) {
    const [cmd, args] = pinned(pin, pin.genCpus, process.execPath, [join(HERE, 'loadgen.ts')]);
    this.child = spawnTracked(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let ready!: () => void;
    let failed!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => {
      ready = res;
      failed = rej;
    });
    this.child.on('message', (raw) => {
      const m = raw as GenReply;
      if (m.type === 'ready') {
        this.pid = m.pid;
        ready();
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === 'mark') p.onMark?.(m.phase);
      else {
        this.pending.delete(m.id);
        if (m.type === 'error') p.reject(new Error(`load generator: ${m.message}`));
        else p.resolve(m.result);
      }
    });
    const died = (why: string) => {
      const e = new Error(`load generator ${why}`);
      failed(e);
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.child.on('error', (e) => died(`failed: ${e.message}`));
    this.child.on('exit', (code, sig) => died(`exited (${code ?? sig})`));
  }

  waitReady(): Promise<void> {
    return this.ready;
  }

  private call<T>(cmd: GenCommand, onMark?: (phase: 'start' | 'end') => void): Promise<T> {
    return new Promise<T>((res, rej) => {
      this.pending.set((cmd as { id: number }).id, {
        resolve: res as (v: unknown) => void,
        reject: rej,
        onMark,
      });
      this.child.send(cmd);
    });
  }

  run(
    port: number,
    workload: WorkloadSpec,
    warmupMs: number,
    durationMs: number,
    onMark: (phase: 'start' | 'end') => void,
  ): Promise<RunResult> {
    const id = this.nextId++;
    return this.call<RunResult>(
      { type: 'run', id, seed: 12345, spec: { host: HOST, port, workload, warmupMs, durationMs } },
      onMark,
    );
  }

  load(spec: Omit<LoadSpec, 'host'>): Promise<LoadResult> {
    const id = this.nextId++;
    return this.call<LoadResult>({ type: 'load', id, spec: { host: HOST, ...spec } });
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.send({ type: 'exit' } satisfies GenCommand);
    await Promise.race([new Promise((r) => this.child.once('exit', r)), sleep(2000)]);
    await stopChild(this.child);
  }
}

// ---- servers --------------------------------------------------------------------------------

/** Runs a user-given command line through the shell (exec: the shell's pid becomes the server's). */
function shellArgv(cmd: string): string[] {
  return ['/bin/sh', '-c', `exec ${cmd}`];
}

function launchFor(
  kind: string,
  label: string,
  o: Options,
  port: number,
  memcachedPath: string,
): ServerLaunch {
  const t = String(o.threads);
  const m = String(o.memoryMB);
  if (kind === 'memcached') {
    const args = ['-p', String(port), '-l', HOST, '-t', t, '-m', m, '-U', '0', '-c', '4096'];
    if (process.getuid?.() === 0) args.push('-u', 'nobody');
    return { kind, label, cmd: memcachedPath, args };
  }
  if (o.slabcachedCmd) {
    let s = o.slabcachedCmd;
    if (!s.includes('{port}')) s += ' -p {port} -t {threads} -m {memory} -U 0';
    s = s.replaceAll('{port}', String(port)).replaceAll('{threads}', t).replaceAll('{memory}', m);
    const [cmd, ...args] = shellArgv(s);
    return { kind, label, cmd, args };
  }
  return {
    kind,
    label,
    cmd: DEFAULT_SLABCACHED,
    args: ['-p', String(port), '-l', HOST, '-t', t, '-m', m, '-U', '0'],
  };
}

async function startOne(
  kind: string,
  label: string,
  o: Options,
  pin: Pinning,
  memcachedPath: string,
): Promise<ServerHandle> {
  const port = await freePort();
  const h = await startServer(launchFor(kind, label, o, port, memcachedPath), port, pin);
  return h;
}

function assertAlive(h: ServerHandle): void {
  if (h.child.exitCode !== null || h.child.signalCode !== null) {
    throw new Error(
      `${h.label} died (${h.child.exitCode ?? h.child.signalCode}): ${h.cmdline}\n${h.output()}`,
    );
  }
}

// ---- results --------------------------------------------------------------------------------

interface RoundRecord {
  workload: string;
  server: string;
  round: number;
  opsPerSec: number;
  p50us: number;
  p99us: number;
  /** Generator CPU (process.cpuUsage) and run-queue wait, as shares of the window. */
  genCpu: number;
  genWait: number;
  /** Server process tree CPU and run-queue wait (schedstat), as shares of the window. */
  serverCpu: number;
  serverWait: number;
  /** CPU milliseconds used in the window. */
  genCpuMs: number;
  serverCpuMs: number;
  result: RunResult;
}

interface Summary {
  workload: string;
  server: string;
  opsPerSec: number;
  roundOps: number[];
  p50us: number;
  p99us: number;
  /** The generator's busiest round: cpu, wait and their sum. */
  genCpu: number;
  genWait: number;
  genBusy: number;
  serverCpu: number;
  serverWait: number;
  /** CPU microseconds per request, all rounds pooled. */
  serverUsPerOp: number;
  genUsPerOp: number;
  misses: number;
  errors: number;
  firstError: string;
}

interface MemoryRecord {
  server: string;
  items: number;
  stored: number;
  currItems: number | null;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  deltaPerItem: number;
  totalPerItem: number;
  loadSeconds: number;
}

function summarize(workload: string, server: string, rounds: RoundRecord[]): Summary {
  const hist = new Histogram();
  let ops = 0;
  let ms = 0;
  let misses = 0;
  let errors = 0;
  let firstError = '';
  let srv = 0;
  let srvWait = 0;
  let busiest = rounds[0];
  let srvMs = 0;
  let genMs = 0;
  for (const r of rounds) {
    hist.addSparse(r.result.hist);
    ops += r.result.ops;
    ms += r.result.elapsedMs;
    misses += r.result.misses;
    errors += r.result.errors;
    if (!firstError) firstError = r.result.firstError;
    srv += r.serverCpu;
    srvWait += r.serverWait;
    srvMs += r.serverCpuMs;
    genMs += r.genCpuMs;
    if (r.genCpu + r.genWait > busiest.genCpu + busiest.genWait) busiest = r;
  }
  return {
    workload,
    server,
    opsPerSec: ms > 0 ? (ops * 1000) / ms : 0,
    roundOps: rounds.map((r) => r.opsPerSec),
    p50us: hist.quantile(0.5) / 1000,
    p99us: hist.quantile(0.99) / 1000,
    genCpu: busiest.genCpu,
    genWait: busiest.genWait,
    genBusy: busiest.genCpu + busiest.genWait,
    serverCpu: srv / rounds.length,
    serverWait: srvWait / rounds.length,
    serverUsPerOp: ops > 0 ? (srvMs * 1000) / ops : 0,
    genUsPerOp: ops > 0 ? (genMs * 1000) / ops : 0,
    misses,
    errors,
    firstError,
  };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const us = (n: number) =>
  Number.isFinite(n) ? (n < 100 ? n.toFixed(1) : Math.round(n).toString()) : '-';
const pct = (n: number) => `${Math.round(n * 100)}%`;
const kops = (n: number) => `${(n / 1000).toFixed(0)}k`;
const ratio = (a: number, b: number) =>
  b > 0 && Number.isFinite(a / b) ? (a / b).toFixed(2) : '-';

function table(rows: string[][], rightAlign: boolean[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (rightAlign[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

// ---- main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  installCleanupHooks(log);

  // Which servers can run.
  let memcachedPath = '';
  const wanted = o.servers;
  const servers: { kind: string; label: string }[] = [];
  const dup = wanted.length === 2 && wanted[0] === wanted[1];
  for (let i = 0; i < wanted.length; i++) {
    const kind = wanted[i];
    const label = dup ? `${kind}#${i + 1}` : kind;
    if (kind === 'memcached') {
      if (!memcachedPath) memcachedPath = ensureMemcached(log) ?? '';
      if (!memcachedPath) continue;
    } else if (!o.slabcachedCmd && !existsSync(DEFAULT_SLABCACHED)) {
      log(`slabcached not found at ${DEFAULT_SLABCACHED}: skipping it (or pass --slabcached-cmd)`);
      continue;
    }
    servers.push({ kind, label });
  }
  if (servers.length === 0) {
    log('no server to benchmark');
    process.exit(1);
  }

  const cores = availableParallelism();
  const pin = planPinning(o.genCpus, o.serverCpus, cores, o.pin);
  const throughput = ALL_WORKLOADS.filter((w) => w !== 'memory' && o.workloads.includes(w));
  const perRun = o.seconds + o.warmup;
  const estimate = throughput.length * o.rounds * servers.length * perRun;

  log(`server bench: ${servers.map((s) => s.label).join(' vs ')}`);
  log(`  ${pin.note}`);
  if (memcachedPath) log(`  ${memcachedVersion(memcachedPath)} at ${memcachedPath}`);
  log(`  node ${process.version}, ${cores} cores, -t ${o.threads} -m ${o.memoryMB}`);
  log(
    `  ${throughput.length} workloads x ${o.rounds} rounds x ${servers.length} servers x ` +
      `(${o.warmup} s warmup + ${o.seconds} s) ~ ${Math.round(estimate)} s` +
      (o.workloads.includes('memory') ? ', plus the memory test' : ''),
  );

  const gen = new Generator(pin);
  await gen.waitReady();
  log(`  generator pid ${gen.pid}, cpus ${cpusAllowed(gen.pid)}`);

  const rounds: RoundRecord[] = [];
  const memory: MemoryRecord[] = [];
  let failure: Error | null = null;

  try {
    // ---- throughput ----
    if (throughput.length > 0) {
      const handles: ServerHandle[] = [];
      try {
        for (const s of servers) {
          const h = await startOne(s.kind, s.label, o, pin, memcachedPath);
          handles.push(h);
          log(`  ${h.label}: pid ${h.pid} port ${h.port} cpus ${cpusAllowed(h.pid)}: ${h.cmdline}`);
        }
        for (const h of handles) {
          const r = await gen.load({
            port: h.port,
            from: 0,
            to: o.keys,
            valueLen: 100,
            connections: 4,
            window: 256,
          });
          if (r.errors) log(`  WARNING ${h.label}: ${r.errors} preload errors (${r.firstError})`);
          log(
            `  ${h.label}: preloaded ${int(r.stored)} keys in ${(r.elapsedMs / 1000).toFixed(1)} s`,
          );
        }
        for (const wname of throughput) {
          const w = workloadSpec(wname, o);
          log(`\n${wname}: ${DESCRIBE[wname](o)}`);
          for (let round = 1; round <= o.rounds; round++) {
            for (const h of handles) {
              assertAlive(h);
              const zero: Sched = { runMs: 0, waitMs: 0 };
              let srv0 = zero;
              let srv1 = zero;
              let gen0 = zero;
              let gen1 = zero;
              let t0 = 0;
              let t1 = 0;
              const result = await gen.run(h.port, w, o.warmup * 1000, o.seconds * 1000, (ph) => {
                if (ph === 'start') {
                  t0 = performance.now();
                  srv0 = sched(h.pid);
                  gen0 = sched(gen.pid);
                } else {
                  t1 = performance.now();
                  srv1 = sched(h.pid);
                  gen1 = sched(gen.pid);
                }
              });
              const wall = t1 - t0;
              assertAlive(h);
              const hist = new Histogram();
              hist.addSparse(result.hist);
              const rec: RoundRecord = {
                workload: wname,
                server: h.label,
                round,
                opsPerSec: (result.ops * 1000) / result.elapsedMs,
                p50us: hist.quantile(0.5) / 1000,
                p99us: hist.quantile(0.99) / 1000,
                genCpu: result.cpuMs / result.elapsedMs,
                genWait: wall > 0 ? (gen1.waitMs - gen0.waitMs) / wall : 0,
                serverCpu: wall > 0 ? (srv1.runMs - srv0.runMs) / wall : 0,
                serverWait: wall > 0 ? (srv1.waitMs - srv0.waitMs) / wall : 0,
                genCpuMs: result.cpuMs,
                serverCpuMs: srv1.runMs - srv0.runMs,
                result,
              };
              rounds.push(rec);
              const warn: string[] = [];
              if (rec.genCpu >= GEN_SATURATED) warn.push('GENERATOR SATURATED');
              else if (rec.genCpu + rec.genWait >= GEN_SATURATED) {
                warn.push('GENERATOR STARVED (its core is busy with other processes)');
              }
              if (result.errors) warn.push(`${result.errors} errors: ${result.firstError}`);
              if (result.misses) warn.push(`${int(result.misses)} misses`);
              log(
                `  round ${round} ${h.label.padEnd(12)} ${int(rec.opsPerSec).padStart(10)} ops/s` +
                  `  p50 ${us(rec.p50us).padStart(6)} us  p99 ${us(rec.p99us).padStart(6)} us` +
                  `  gen cpu ${pct(rec.genCpu).padStart(4)} wait ${pct(rec.genWait).padStart(4)}` +
                  `  server cpu ${pct(rec.serverCpu).padStart(4)} wait ${pct(rec.serverWait).padStart(4)}` +
                  (warn.length ? `  ${warn.join('; ')}` : ''),
              );
            }
          }
        }
      } finally {
        for (const h of handles) await stopChild(h.child);
      }
    }

    // ---- memory per item ----
    if (o.workloads.includes('memory')) {
      log(`\nmemory: ${DESCRIBE.memory(o)}, each into a fresh server`);
      for (const s of servers) {
        const h = await startOne(s.kind, s.label, o, pin, memcachedPath);
        try {
          await sleep(500);
          const before = rssBytes(h.pid);
          const r = await gen.load({
            port: h.port,
            from: 0,
            to: o.items,
            valueLen: 100,
            connections: 4,
            window: 512,
          });
          assertAlive(h);
          await sleep(1000);
          const after = rssBytes(h.pid);
          const st = await stats(h.port);
          const curr = st.has('curr_items') ? Number(st.get('curr_items')) : null;
          const rec: MemoryRecord = {
            server: h.label,
            items: o.items,
            stored: r.stored,
            currItems: curr,
            rssBeforeBytes: before,
            rssAfterBytes: after,
            deltaPerItem: (after - before) / o.items,
            totalPerItem: after / o.items,
            loadSeconds: r.elapsedMs / 1000,
          };
          memory.push(rec);
          const warn: string[] = [];
          if (r.errors) warn.push(`${r.errors} errors: ${r.firstError}`);
          if (curr !== null && curr < o.items)
            warn.push(`only ${int(curr)} items kept: raise --memory`);
          log(
            `  ${h.label.padEnd(12)} RSS ${(before / 2 ** 20).toFixed(1)} -> ` +
              `${(after / 2 ** 20).toFixed(1)} MiB, ${rec.deltaPerItem.toFixed(1)} B/item ` +
              `(load ${rec.loadSeconds.toFixed(1)} s)${warn.length ? `  ${warn.join('; ')}` : ''}`,
          );
        } finally {
          await stopChild(h.child);
        }
      }
    }
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
  } finally {
    await gen.stop();
  }

  // ---- report ----
  const labels = servers.map((s) => s.label);
  const summaries: Summary[] = [];
  const out: string[] = [];
  if (rounds.length) {
    const rows: string[][] = [
      [
        'workload',
        'server',
        'ops/s',
        'p50 us',
        'p99 us',
        'srv cpu',
        'srv wait',
        'srv us/op',
        'gen cpu',
        'gen wait',
        'gen us/op',
        'per round ops/s',
      ],
    ];
    let saturated = false;
    for (const wname of throughput) {
      const sums: Summary[] = [];
      for (const l of labels) {
        const mine = rounds.filter((r) => r.workload === wname && r.server === l);
        if (mine.length) sums.push(summarize(wname, l, mine));
      }
      summaries.push(...sums);
      sums.forEach((s, i) => {
        const sat = s.genBusy >= GEN_SATURATED;
        saturated ||= sat;
        rows.push([
          i === 0 ? wname : '',
          s.server,
          int(s.opsPerSec),
          us(s.p50us),
          us(s.p99us),
          pct(s.serverCpu),
          pct(s.serverWait),
          s.serverUsPerOp.toFixed(2),
          pct(s.genCpu),
          pct(s.genWait) + (sat ? '!' : ''),
          s.genUsPerOp.toFixed(2),
          s.roundOps.map(kops).join(' '),
        ]);
      });
      if (sums.length === 2) {
        rows.push([
          '',
          `ratio ${sums[1].server}/${sums[0].server}`,
          ratio(sums[1].opsPerSec, sums[0].opsPerSec),
          ratio(sums[1].p50us, sums[0].p50us),
          ratio(sums[1].p99us, sums[0].p99us),
          '',
          '',
          ratio(sums[1].serverUsPerOp, sums[0].serverUsPerOp),
        ]);
      }
    }
    out.push(
      table(rows, [false, false, true, true, true, true, true, true, true, true, true, false]),
    );
    out.push(
      [
        'ops/s: all rounds pooled; p50/p99: per-request latency, all rounds pooled.',
        'gen cpu / gen wait: the load generator in its busiest round, on-cpu time and time spent',
        '  runnable but waiting for its core (other processes), as shares of the round.',
        `  "!" = cpu + wait >= ${pct(GEN_SATURATED)}: the generator, not the server, may be the limit.`,
        'srv cpu / srv wait: the server process tree, summed over threads, mean over rounds (100% = one core).',
        'us/op: cpu microseconds per request (srv: whole process tree; gen: the generator), the',
        '  measure least disturbed by other load on the machine; its ratio is cost, lower is better.',
      ].join('\n'),
    );
    if (saturated) {
      out.push(
        'WARNING: the generator was saturated or starved in some workload (see "!"): ' +
          "that server's ops/s is a lower bound.",
      );
    }
    for (const s of summaries) {
      if (s.errors)
        out.push(`WARNING ${s.workload} ${s.server}: ${s.errors} errors (${s.firstError})`);
      if (s.misses) out.push(`WARNING ${s.workload} ${s.server}: ${int(s.misses)} get misses`);
    }
  }
  if (memory.length) {
    const rows: string[][] = [
      ['memory', 'server', 'items', 'RSS before', 'RSS after', 'delta B/item', 'RSS B/item'],
    ];
    memory.forEach((m, i) => {
      rows.push([
        i === 0 ? `${int(o.items)} x 100 B` : '',
        m.server,
        m.currItems === null ? `${int(m.stored)} stored` : int(m.currItems),
        `${(m.rssBeforeBytes / 2 ** 20).toFixed(1)} MiB`,
        `${(m.rssAfterBytes / 2 ** 20).toFixed(1)} MiB`,
        m.deltaPerItem.toFixed(1),
        m.totalPerItem.toFixed(1),
      ]);
    });
    if (memory.length === 2) {
      rows.push([
        '',
        `ratio ${memory[1].server}/${memory[0].server}`,
        '',
        '',
        '',
        ratio(memory[1].deltaPerItem, memory[0].deltaPerItem),
        ratio(memory[1].totalPerItem, memory[0].totalPerItem),
      ]);
    }
    if (out.length) out.push('');
    out.push(table(rows, [false, false, true, true, true, true, true]));
    out.push('items: curr_items from `stats` after the load; keys are 10-20 bytes.');
  }
  console.log(`\n${out.join('\n')}`);

  if (o.json) {
    writeFileSync(
      o.json,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          options: o,
          pinning: pin.note,
          node: process.version,
          memcached: memcachedPath ? memcachedVersion(memcachedPath) : null,
          cores,
          servers: labels,
          summaries,
          rounds: rounds.map(({ result, ...r }) => ({
            ...r,
            ops: result.ops,
            gets: result.gets,
            sets: result.sets,
            hits: result.hits,
            misses: result.misses,
            errors: result.errors,
            elapsedMs: result.elapsedMs,
          })),
          memory,
          failure: failure ? failure.message : null,
        },
        null,
        2,
      )}\n`,
    );
    log(`wrote ${o.json}`);
  }
  if (failure) {
    console.error(
      `\nserver bench failed (the tables show what finished before): ${failure.message}`,
    );
    process.exit(1);
  }
}

main().catch((e: unknown) => {
  console.error(`server bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
  process.exit(1);
});
