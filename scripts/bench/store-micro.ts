/**
 * Micro-benchmark of packages/store (not a test): get/set throughput on one thread and on N
 * worker threads sharing one store, and memory overhead per item, next to memcached's.
 *
 *   node_modules/.bin/node scripts/bench/store-micro.ts [--threads N] [--seconds S]
 *     [--warmup S] [--keys N] [--hot N] [--memory MiB] [--hash-power N] [--no-memcached]
 *     [--no-throughput] [--no-memory]
 *
 * Keys are 10 bytes, values 100 bytes, all keys pre-encoded and preloaded, so every get
 * hits. Every loop is bounded in count and time; only 127.0.0.1 is used. See
 * scripts/bench/README.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { MiB, Store, Stored, type StoreStats } from '../../packages/store/src/index.ts';
import {
  CopyReader,
  CTL_GO,
  CTL_STOP,
  CTL_WORDS,
  KEY_LEN,
  type PhaseMessage,
  type RunResult,
  runGets,
  runSets,
  STREAM_LEN,
  VALUE_LEN,
  VALUE_SPREAD,
  type WorkerInit,
  type WorkerReply,
  type Workload,
  type WorkloadBuffers,
  workloadOf,
} from './store-micro-worker.ts';

// ---- options --------------------------------------------------------------------------

interface Options {
  threads: number;
  seconds: number;
  warmup: number;
  keys: number;
  hot: number;
  hashPower: number;
  memoryMiB: number;
  memcached: boolean;
  throughput: boolean;
  memory: boolean;
}

function usage(msg: string): never {
  console.error(`store-micro: ${msg}`);
  console.error(
    'usage: store-micro.ts [--threads N] [--seconds S] [--warmup S] [--keys N] [--hot N]\n' +
      '                      [--memory MiB] [--hash-power N] [--no-memcached] [--no-throughput] [--no-memory]',
  );
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    threads: availableParallelism(),
    seconds: 3,
    warmup: 1,
    keys: 1_000_000,
    hot: 1000,
    hashPower: 16,
    memoryMiB: 512,
    memcached: true,
    throughput: true,
    memory: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min: number, max: number): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < min || v > max) usage(`${a} wants a number in ${min}..${max}`);
      return v;
    };
    if (a === '--threads') o.threads = Math.floor(num(1, 64));
    else if (a === '--seconds') o.seconds = num(0.1, 600);
    else if (a === '--warmup') o.warmup = num(0, 60);
    else if (a === '--keys') o.keys = Math.floor(num(1000, 20_000_000));
    else if (a === '--hot') o.hot = Math.floor(num(0, 20_000_000));
    else if (a === '--hash-power') o.hashPower = Math.floor(num(12, 30));
    else if (a === '--memory') o.memoryMiB = Math.floor(num(16, 16 * 1024 - 1));
    else if (a === '--no-memcached') o.memcached = false;
    else if (a === '--no-throughput') o.throughput = false;
    else if (a === '--no-memory') o.memory = false;
    else if (a === '--help' || a === '-h') usage('help');
    else usage(`unknown argument ${a}`);
  }
  return o;
}

// ---- workload -----------------------------------------------------------------------------

/** Deterministic xorshift32, so every run walks the same keys in the same order. */
function rng(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** Keys "k000000000".."k999999999" (10 bytes), request streams of them in random order,
 * random values. */
function buildWorkload(nkeys: number, hot: number): WorkloadBuffers {
  const keys = new SharedArrayBuffer(nkeys * KEY_LEN);
  const k8 = new Uint8Array(keys);
  for (let i = 0; i < nkeys; i++) {
    const at = i * KEY_LEN;
    k8[at] = 0x6b; // 'k'
    let n = i;
    for (let d = KEY_LEN - 1; d >= 1; d--) {
      k8[at + d] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    }
  }
  const next = rng(0x5eed);
  const stream = keyStream(k8, nkeys, next);
  const hotKeys = Math.min(hot > 0 ? hot : nkeys, nkeys);
  const hotStream = keyStream(k8, hotKeys, next);
  const values = new SharedArrayBuffer(VALUE_SPREAD + VALUE_LEN);
  const v8 = new Uint8Array(values);
  for (let i = 0; i < v8.length; i++) v8[i] = 0x21 + (next() % 94); // printable, like text
  return { keys, nkeys, stream, hotStream, hotKeys, values };
}

/** STREAM_LEN keys of the first n, each about equally often, in random order (Fisher-Yates
 * over indices, then the key bytes laid out back to back). */
function keyStream(keys: Uint8Array, n: number, next: () => number): SharedArrayBuffer {
  const order = new Uint32Array(STREAM_LEN);
  for (let i = 0; i < STREAM_LEN; i++) order[i] = i % n;
  for (let i = STREAM_LEN - 1; i > 0; i--) {
    const j = next() % (i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const stream = new SharedArrayBuffer(STREAM_LEN * KEY_LEN);
  const s8 = new Uint8Array(stream);
  for (let i = 0; i < STREAM_LEN; i++) {
    s8.set(keys.subarray(order[i] * KEY_LEN, (order[i] + 1) * KEY_LEN), i * KEY_LEN);
  }
  return stream;
}

/** Stores every key once, in key order; returns the wall time in ms. */
function preload(store: Store, w: Workload): number {
  const t0 = performance.now();
  for (let i = 0; i < w.nkeys; i++) {
    const r = store.write(
      0, // Mode.SET
      w.keys,
      i * KEY_LEN,
      KEY_LEN,
      w.values,
      i & (VALUE_SPREAD - 1),
      VALUE_LEN,
      0,
      0,
    );
    if (r !== Stored.STORED) throw new Error(`preload: key ${i} not stored (result ${r})`);
  }
  return performance.now() - t0;
}

// ---- throughput ---------------------------------------------------------------------------

interface Rate {
  label: string;
  threads: number;
  opsPerSec: number;
  perThread: number[];
  okRatio: number;
  /** Average share of the run the measuring threads were on a CPU. */
  cpuShare: number;
  /** Thread CPU time per operation, ns: the figure least disturbed by other processes. */
  cpuNsPerOp: number;
  /** Cores' worth of CPU that other processes used during the timed run (NaN: unknown). */
  others: number;
}

/** CPU ticks from /proc: all CPUs busy, all CPUs total, and this process (all threads). */
interface CpuSnap {
  busy: number;
  total: number;
  self: number;
}

function cpuSnap(): CpuSnap | null {
  try {
    const f = readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/).slice(1);
    const n = f.map(Number);
    const total = n.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is inside user
    const idle = n[3] + n[4];
    // /proc/self/stat: fields after the ")" of comm; utime and stime are fields 14 and 15.
    const st = readFileSync('/proc/self/stat', 'latin1');
    const g = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return { busy: total - idle, total, self: Number(g[11]) + Number(g[12]) };
  } catch {
    return null;
  }
}

/** Cores' worth of CPU used by other processes between two snapshots. */
function othersCores(a: CpuSnap | null, b: CpuSnap | null): number {
  if (a === null || b === null || b.total === a.total) return Number.NaN;
  const cpus = availableParallelism();
  return Math.max(0, ((b.busy - a.busy - (b.self - a.self)) / (b.total - a.total)) * cpus);
}

const MAX_OPS = 2_000_000_000;
const MAIN_LABEL = '1 (main)';

function inProcess(
  kind: 'get' | 'set',
  store: Store,
  w: Workload,
  o: Options,
  ctl: Int32Array,
  hot: boolean,
): Rate {
  const reader = new CopyReader();
  const stream = hot ? w.hotStream : w.stream;
  const run = (deadline: number): RunResult =>
    kind === 'get'
      ? runGets(store, reader, stream, 0, MAX_OPS, deadline, ctl, 0x7fffffff)
      : runSets(store, w, stream, 0, MAX_OPS, deadline, ctl, 0x7fffffff);
  run(performance.now() + o.warmup * 1000);
  const c0 = cpuSnap();
  const r = run(performance.now() + o.seconds * 1000);
  const others = othersCores(c0, cpuSnap());
  const rate = (r.ops / r.ms) * 1000;
  return {
    label: '1 (main)',
    threads: 1,
    opsPerSec: rate,
    perThread: [rate],
    okRatio: r.ok / r.ops,
    cpuShare: r.cpuMs / r.ms,
    cpuNsPerOp: (r.cpuMs * 1e6) / r.ops,
    others,
  };
}

class WorkerPool {
  readonly workers: Worker[] = [];
  readonly ctl: Int32Array;
  private gen = 0;
  private readonly pending = new Map<Worker, (r: WorkerReply) => void>();

  constructor(n: number, store: Store, wb: WorkloadBuffers) {
    const ctlBuf = new SharedArrayBuffer(CTL_WORDS * 4);
    this.ctl = new Int32Array(ctlBuf);
    for (let i = 0; i < n; i++) {
      const init: WorkerInit = {
        role: 'store-micro',
        shared: store.shared,
        threadId: i + 1, // the main thread is 0
        workload: wb,
        ctl: ctlBuf,
      };
      const worker = new Worker(new URL('./store-micro-worker.ts', import.meta.url), {
        workerData: init,
      });
      worker.on('message', (m: WorkerReply) => {
        const cb = this.pending.get(worker);
        this.pending.delete(worker);
        cb?.(m);
      });
      worker.on('error', (err) => {
        console.error('store-micro: worker failed:', err);
        process.exitCode = 1;
      });
      this.workers.push(worker);
    }
  }

  private next(worker: Worker, timeoutMs: number): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(worker);
        reject(new Error(`worker did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(worker, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  /** Runs one phase on `threads` workers: warm up, start together, stop after `seconds`. */
  async phase(kind: 'get' | 'set', threads: number, o: Options, hot: boolean): Promise<Rate> {
    const gen = ++this.gen;
    const active = this.workers.slice(0, threads);
    const warmupMs = o.warmup * 1000;
    const ready = active.map((w) => this.next(w, warmupMs + 30_000));
    active.forEach((w, i) => {
      const m: PhaseMessage = {
        kind,
        hot,
        gen,
        pos: Math.floor((i * STREAM_LEN) / threads),
        warmupMs,
        maxMs: o.seconds * 1000 * 2 + 5000,
        maxOps: MAX_OPS,
      };
      w.postMessage(m);
    });
    await Promise.all(ready);
    const results = active.map((w) => this.next(w, o.seconds * 1000 * 2 + 30_000));
    Atomics.store(this.ctl, CTL_GO, gen);
    Atomics.notify(this.ctl, CTL_GO);
    const c0 = cpuSnap();
    await sleep(o.seconds * 1000);
    const others = othersCores(c0, cpuSnap());
    Atomics.store(this.ctl, CTL_STOP, gen);
    const replies = await Promise.all(results);
    const per = replies.map((r) => {
      if (r.type !== 'result') throw new Error('worker protocol error');
      return r.result;
    });
    const perThread = per.map((r) => (r.ms > 0 ? (r.ops / r.ms) * 1000 : 0));
    const ops = per.reduce((s, r) => s + r.ops, 0);
    const ok = per.reduce((s, r) => s + r.ok, 0);
    return {
      label: `${threads} worker${threads > 1 ? 's' : ''}`,
      threads,
      opsPerSec: perThread.reduce((s, x) => s + x, 0),
      perThread,
      okRatio: ops > 0 ? ok / ops : 0,
      cpuShare: per.reduce((s, r) => s + r.cpuMs, 0) / per.reduce((s, r) => s + r.ms, 0),
      cpuNsPerOp: (per.reduce((s, r) => s + r.cpuMs, 0) * 1e6) / ops,
      others,
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

// ---- memory -------------------------------------------------------------------------------

interface OurMemory {
  cas: boolean;
  items: number;
  header: number;
  itemBytes: number;
  chunk: number;
  stats: StoreStats;
  rssDelta: number;
  loadMs: number;
}

function rss(): number {
  return process.memoryUsage.rss();
}

function loadAndMeasure(cas: boolean, w: Workload, o: Options): { store: Store; m: OurMemory } {
  const rss0 = rss();
  const store = Store.create({ memoryLimit: o.memoryMiB * MiB, cas, hashPower: o.hashPower });
  const loadMs = preload(store, w);
  const rss1 = rss();
  const stats = store.stats();
  const slabs = store.slabStats().filter((c) => c.used_chunks > 0);
  if (slabs.length !== 1) throw new Error(`expected one slab class in use, got ${slabs.length}`);
  const header = store.settings.headerBytes;
  return {
    store,
    m: {
      cas,
      items: stats.curr_items,
      header,
      itemBytes: header + KEY_LEN + VALUE_LEN,
      chunk: slabs[0].chunk_size,
      stats,
      rssDelta: rss1 - rss0,
      loadMs,
    },
  };
}

// ---- memcached ----------------------------------------------------------------------------

interface MemcachedMemory {
  version: string;
  items: number;
  bytes: number;
  totalMalloced: number;
  hashBytes: number;
  chunk: number;
  perItemRequested: number;
  rssBefore: number;
  rssAfter: number;
  loadMs: number;
  errors: string;
}

function onPath(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}

/** Bytes of VmRSS from /proc/PID/status. */
function procRss(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** A text-protocol connection that collects replies up to a terminator line. */
class TextConn {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private closed: Error | null = null;
  readonly sock: Socket;

  constructor(sock: Socket) {
    this.sock = sock;
    sock.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    const fail = (err?: Error) => {
      this.closed = err ?? new Error('connection closed');
      this.waiter?.();
    };
    sock.on('error', fail);
    sock.on('close', () => fail());
  }

  static open(port: number, timeoutMs: number): Promise<TextConn> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error('connect timed out'));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.setNoDelay(true);
        resolve(new TextConn(sock));
      });
      sock.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Writes `data` and resolves with everything received up to and including `end`. */
  async request(data: Buffer | string, end: string, timeoutMs: number): Promise<string> {
    if (data.length > 0) this.sock.write(data);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.buf.indexOf(end);
      if (at >= 0) {
        const out = this.buf.toString('latin1', 0, at + end.length);
        this.buf = this.buf.subarray(at + end.length);
        return out;
      }
      if (this.closed) throw this.closed;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`memcached: timed out waiting for ${JSON.stringify(end)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  close(): void {
    this.sock.destroy();
  }
}

function parseStats(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const p = line.split(' ');
    if (p[0] === 'STAT' && p.length >= 3) m.set(p[1], p.slice(2).join(' '));
  }
  return m;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 2000);
    const doneTimer = setTimeout(resolve, 4000); // never hang on a process that will not die
    child.once('exit', () => {
      clearTimeout(killTimer);
      clearTimeout(doneTimer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitForPortFile(path: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`memcached exited with ${child.exitCode}`);
    try {
      const m = /TCP INET: (\d+)/.exec(readFileSync(path, 'utf8'));
      if (m) return Number(m[1]);
    } catch {}
    await sleep(20);
  }
  throw new Error('memcached did not report its port');
}

const MC_BATCH = 1000;

async function measureMemcached(bin: string, w: Workload): Promise<MemcachedMemory> {
  const dir = mkdtempSync(join(tmpdir(), 'store-micro-'));
  const portFile = join(dir, 'port');
  // -p -1: an ephemeral port, written to MEMCACHED_PORT_FILENAME (as memcached's own tests do).
  const args = ['-l', '127.0.0.1', '-p', '-1', '-U', '0', '-m', '1024', '-t', '2'];
  const root = process.getuid?.() === 0;
  if (root) {
    args.push('-u', 'nobody'); // memcached refuses to run as root without -u
    chmodSync(dir, 0o777); // it writes the port file after dropping to that user
  }
  let stderr = '';
  const child = spawn(bin, args, {
    env: { ...process.env, MEMCACHED_PORT_FILENAME: portFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  // Never leave memcached behind: kill it on exit and on Ctrl-C / SIGTERM as well.
  const onExit = () => child.kill('SIGKILL');
  const onSignal = (sig: NodeJS.Signals) => {
    child.kill('SIGKILL');
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let conn: TextConn | null = null;
  try {
    const port = await waitForPortFile(portFile, child, 10_000);
    conn = await TextConn.open(port, 5000);
    const versionLine = await conn.request('version\r\n', '\r\n', 5000);
    const version = versionLine.trim();
    const pid = child.pid!;
    const rssBefore = procRss(pid);

    const t0 = performance.now();
    const valueTail = Buffer.from('\r\n');
    let errors = '';
    for (let start = 0; start < w.nkeys; start += MC_BATCH) {
      const end = Math.min(start + MC_BATCH, w.nkeys);
      const parts: Buffer[] = [];
      for (let i = start; i < end; i++) {
        const key = Buffer.from(w.keys.buffer, i * KEY_LEN, KEY_LEN);
        const voff = i & (VALUE_SPREAD - 1);
        parts.push(
          Buffer.from('set '),
          key,
          Buffer.from(` 0 0 ${VALUE_LEN} noreply\r\n`),
          Buffer.from(w.values.buffer, voff, VALUE_LEN),
          valueTail,
        );
      }
      // A version request after the batch: its reply means memcached has read the batch.
      parts.push(Buffer.from('version\r\n'));
      const reply = await conn.request(Buffer.concat(parts), versionLine, 30_000);
      const junk = reply.slice(0, reply.length - versionLine.length);
      if (junk.length > 0 && errors.length < 500) errors += junk;
    }
    const loadMs = performance.now() - t0;

    // memcached grows its table in a background thread once items > 1.5 x buckets: wait
    // (bounded) until it reached the size this many items call for and is done growing,
    // before reading RSS and stats.
    const grown = (st: Map<string, string>) => {
      const items = Number(st.get('curr_items'));
      let power = Number(st.get('hash_power_level'));
      const want = power;
      while (items > 1.5 * 2 ** power) power++;
      return power === want && st.get('hash_is_expanding') === '0';
    };
    let stats = parseStats(await conn.request('stats\r\n', 'END\r\n', 5000));
    for (let i = 0; i < 100 && !grown(stats); i++) {
      await sleep(100);
      stats = parseStats(await conn.request('stats\r\n', 'END\r\n', 5000));
    }
    if (!grown(stats)) errors += '[hash table still growing after 10 s] ';
    const rssAfter = procRss(pid);
    // stats slabs: the chunk size of the class the items went to, and total_malloced
    // (memcached 1.6 reports it there, not in stats); stats bytes / curr_items is
    // ITEM_ntotal: header, CAS, key + NUL, value + CRLF.
    const slabs = parseStats(await conn.request('stats slabs\r\n', 'END\r\n', 5000));
    let chunk = 0;
    let used = 0;
    for (const [name, v] of slabs) {
      const m = /^(\d+):used_chunks$/.exec(name);
      if (m && Number(v) > used) {
        used = Number(v);
        chunk = Number(slabs.get(`${m[1]}:chunk_size`));
      }
    }
    const items = Number(stats.get('curr_items'));
    const bytes = Number(stats.get('bytes'));
    return {
      version,
      items,
      bytes,
      totalMalloced: Number(slabs.get('total_malloced') ?? stats.get('total_malloced')),
      hashBytes: Number(stats.get('hash_bytes')),
      chunk,
      perItemRequested: items > 0 ? bytes / items : 0,
      rssBefore,
      rssAfter,
      loadMs,
      errors,
    };
  } catch (err) {
    if (stderr) console.error(`memcached stderr: ${stderr.trim()}`);
    throw err;
  } finally {
    conn?.close();
    await stopChild(child);
    process.removeListener('exit', onExit);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- output -------------------------------------------------------------------------------

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

const mops = (x: number) => `${(x / 1e6).toFixed(2)} M`;
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const mib = (x: number) => `${(x / MiB).toFixed(1)} MiB`;

async function throughput(
  store: Store,
  w: Workload,
  pool: WorkerPool,
  o: Options,
  hot: boolean,
): Promise<string[][]> {
  const ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
  const kinds = ['get', 'set'] as const;
  const single = kinds.map((k) => inProcess(k, store, w, o, ctl, hot));
  const oneWorker: Rate[] = [];
  const multi: Rate[] = [];
  for (const k of kinds) {
    if (o.threads > 1) oneWorker.push(await pool.phase(k, 1, o, hot));
    multi.push(await pool.phase(k, o.threads, o, hot));
  }
  const rows = [single, ...(o.threads > 1 ? [oneWorker] : []), multi];
  const targets = { get: 2e6, set: 1e6 };
  const out: string[][] = [];
  kinds.forEach((k, ki) => {
    const base = single[ki].opsPerSec;
    for (const r of rows.map((row) => row[ki])) {
      const ratio = r.opsPerSec / base;
      let target = '';
      if (!hot && r.label === MAIN_LABEL)
        target = `>= ${mops(targets[k])}: ${r.opsPerSec >= targets[k] ? 'met' : 'MISSED'}`;
      else if (!hot && r.threads === 2 && r.label !== MAIN_LABEL)
        target = `>= 1.70x: ${ratio >= 1.7 ? 'met' : 'MISSED'}`;
      out.push([
        k,
        r.label,
        mops(r.opsPerSec),
        r.perThread.map(mops).join(' + '),
        `${f2(ratio)}x`,
        `${(r.okRatio * 100).toFixed(1)}%`,
        `${(r.cpuShare * 100).toFixed(0)}%`,
        f1(r.cpuNsPerOp),
        Number.isNaN(r.others) ? '?' : f2(r.others),
        target,
      ]);
    }
  });
  return out;
}

/** ns per dependent random load over `mib` MiB (one load per 64-byte line, lines visited in
 * one random cycle): roughly what a cache + TLB miss costs on this machine. */
function memoryLatencyNs(mib: number): number {
  const lines = (mib * MiB) / 64;
  const perm = new Uint32Array(lines);
  for (let i = 0; i < lines; i++) perm[i] = i;
  const next = rng(0xbeef);
  for (let i = lines - 1; i > 0; i--) {
    const j = next() % (i + 1);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  const a = new Int32Array(lines * 16);
  for (let i = 0; i < lines; i++) a[perm[i] * 16] = perm[(i + 1) % lines] * 16;
  let p = 0;
  for (let i = 0; i < 200_000; i++) p = a[p]; // warm up (JIT, caches)
  const steps = 1_000_000;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) p = a[p];
  const ns = ((performance.now() - t0) * 1e6) / steps;
  return p >= 0 ? ns : -ns; // use p so the walk is not optimised away
}

// ---- main ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  console.log(
    `store-micro: node ${process.version}, ${availableParallelism()} CPUs, ` +
      `${o.keys} keys of ${KEY_LEN} B, values ${VALUE_LEN} B, store ${o.memoryMiB} MiB, ` +
      `${o.threads} threads, ${o.seconds} s per phase after ${o.warmup} s warm-up, ` +
      `load average ${loadavg()[0].toFixed(2)} (other processes make numbers noisy)`,
  );
  const wb = buildWorkload(o.keys, o.hot);
  const w = workloadOf(wb);

  // Load the CAS-on store (the throughput phases run against it), then, if memory is to be
  // measured, a CAS-off one, measuring this process's RSS over each load. Both stay
  // reachable until the end, so no collection shrinks RSS in between.
  const casOn = loadAndMeasure(true, w, o);
  const store = casOn.store;
  const casOff = o.memory ? loadAndMeasure(false, w, o) : null;
  // After the loads: the probe's garbage must not be collected while RSS is measured.
  console.log(
    `memory latency here (dependent random loads): ${f1(memoryLatencyNs(1))} ns over 1 MiB, ` +
      `${f1(memoryLatencyNs(128))} ns over 128 MiB`,
  );

  if (o.throughput) {
    const pool = new WorkerPool(o.threads, store, wb);
    try {
      const sets: [string, boolean][] = [[`all ${o.keys} keys`, false]];
      if (o.hot > 0) sets.push([`hot ${w.hotKeys} keys`, true]);
      for (const [name, hot] of sets) {
        const out = await throughput(store, w, pool, o, hot);
        console.log(
          `\nThroughput, ${name}, random order (ops/s; ratio = vs 1 thread in the main ` +
            `thread; on cpu = share of the run the threads were scheduled; cpu ns/op = thread CPU ` +
            'time per op; others = cores used by other processes meanwhile; targets apply to ' +
            'the all-keys run)\n',
        );
        console.log(
          table(
            [
              'op',
              'threads',
              'ops/s',
              'per thread',
              'ratio',
              'hit/stored',
              'on cpu',
              'cpu ns/op',
              'others',
              'target',
            ],
            out,
          ),
        );
      }
    } finally {
      await pool.close();
    }
  }

  if (casOff === null) {
    console.log(`\nload average at the end: ${loadavg()[0].toFixed(2)}`);
    return;
  }
  const ours = [casOn.m, casOff.m];

  let mc: MemcachedMemory | null = null;
  let mcNote = '';
  if (o.memcached) {
    const bin = onPath('memcached');
    if (bin === null) mcNote = 'memcached not on PATH: memcached comparison skipped';
    else {
      try {
        mc = await measureMemcached(bin, w);
      } catch (err) {
        mcNote = `memcached comparison failed: ${(err as Error).message}`;
      }
    }
  } else mcNote = 'memcached comparison skipped (--no-memcached)';

  const col = (f: (m: OurMemory) => string, g: (m: MemcachedMemory) => string) => [
    ...ours.map(f),
    mc ? g(mc) : '-',
  ];
  const hashPer = (m: OurMemory) => (m.stats.hash_bytes / m.items) as number;
  const rows: string[][] = [
    [
      'items',
      ...col(
        (m) => String(m.items),
        (m) => String(m.items),
      ),
    ],
    [
      'item header B (mc: bytes beyond key+value)',
      ...col(
        (m) => String(m.header),
        (m) => f1(m.perItemRequested - KEY_LEN - VALUE_LEN),
      ),
    ],
    [
      'hash index B/item (4 or 8 x buckets / items)',
      ...col(
        (m) => f2(hashPer(m)),
        (m) => f2(m.hashBytes / m.items),
      ),
    ],
    [
      '(a) metadata B/item = header + hash',
      ...col(
        (m) => f2(m.header + hashPer(m)),
        (m) => f2(m.perItemRequested - KEY_LEN - VALUE_LEN + m.hashBytes / m.items),
      ),
    ],
    [
      'item size B (requested)',
      ...col(
        (m) => String(m.itemBytes),
        (m) => f1(m.perItemRequested),
      ),
    ],
    [
      '(b) chunk size B',
      ...col(
        (m) => String(m.chunk),
        (m) => String(m.chunk),
      ),
    ],
    [
      '(b) chunk waste B/item',
      ...col(
        (m) => String(m.chunk - m.itemBytes),
        (m) => f1(m.chunk - m.perItemRequested),
      ),
    ],
    [
      'total_malloced',
      ...col(
        (m) => mib(m.stats.total_malloced),
        (m) => mib(m.totalMalloced),
      ),
    ],
    [
      'total_malloced / items',
      ...col(
        (m) => f1(m.stats.total_malloced / m.items),
        (m) => f1(m.totalMalloced / m.items),
      ),
    ],
    [
      '(c) (total_malloced + hash_bytes) / items',
      ...col(
        (m) => f1((m.stats.total_malloced + m.stats.hash_bytes) / m.items),
        (m) => f1((m.totalMalloced + m.hashBytes) / m.items),
      ),
    ],
    [
      'RSS delta over load / items',
      ...col(
        (m) => f1(m.rssDelta / m.items),
        (m) => f1((m.rssAfter - m.rssBefore) / m.items),
      ),
    ],
    [
      'load rate (items/s)',
      ...col(
        (m) => mops((m.items / m.loadMs) * 1000),
        (m) => `${mops((m.items / m.loadMs) * 1000)} (TCP)`,
      ),
    ],
  ];
  const metaTarget = casOn.m.header + hashPer(casOn.m);
  console.log(
    `\nMemory per item, ${o.keys} items of ${KEY_LEN} B keys / ${VALUE_LEN} B values` +
      ' (ours: stats(); memcached: stats, stats slabs, /proc/PID/status)\n',
  );
  console.log(table(['', 'ours cas on', 'ours cas off', 'memcached'], rows));
  console.log(
    `\nmetadata target < 48 B/item with CAS on: ${f2(metaTarget)} B -> ` +
      `${metaTarget < 48 ? 'met' : 'MISSED'}`,
  );
  if (mc) {
    console.log(
      `memcached: ${mc.version}, -m 1024 -t 2 -U 0, RSS ${mib(mc.rssBefore)} -> ` +
        `${mib(mc.rssAfter)}, bytes ${mc.bytes}` +
        (mc.errors ? `, replies during load: ${JSON.stringify(mc.errors.slice(0, 200))}` : ''),
    );
  }
  if (mcNote) console.log(mcNote);
  console.log(`load average at the end: ${loadavg()[0].toFixed(2)}`);
  // Both stores were alive throughout (see above); check they still hold every item.
  if (store.stats().curr_items !== o.keys || casOff.store.stats().curr_items !== o.keys) {
    console.log('warning: a store lost items during the run');
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
