/**
 * The load generator's engine for scripts/bench/server.ts: a closed-loop memcached text-protocol
 * client on raw `net` sockets, built to cost the generator as little CPU per request as possible.
 *
 * - Requests are pre-encoded once per workload into one contiguous buffer (a "stream" of a few
 *   hundred thousand requests in random order). Sending k requests is one `write` of a slice of
 *   it: no per-request string building, no copying.
 * - Replies are read into one reused buffer per socket (`onread`), and a byte-level parser only
 *   counts them: terminal lines (END, STORED, errors) complete a request, VALUE lines count a hit
 *   and skip the data block by its byte count.
 * - Latency: one `performance.now()` per socket read and per write (every request in a write
 *   shares its send time, every reply in a read its arrival time), recorded in a preallocated
 *   log-linear histogram (128 sub-buckets per power of two, under 1% error).
 *
 * Closed loop: each connection keeps exactly `depth` requests in flight, so the latencies are
 * those seen at the offered concurrency (no coordinated-omission correction).
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

// ---- keys -----------------------------------------------------------------------------------

/** Key number i: 10..20 bytes, 'k' padding then '_' and the decimal number (unique per i). */
export function keyOf(i: number): string {
  const digits = String(i);
  const len = Math.max(10 + (i % 11), digits.length + 2);
  return `${'k'.repeat(len - 1 - digits.length)}_${digits}`;
}

// ---- histogram ------------------------------------------------------------------------------

export const HIST_BUCKETS = 3200;
const HIST_MAX_NS = 2 ** 31 - 1;

/** Log-linear histogram of nanoseconds: exact below 128 ns, then 128 buckets per octave. */
export class Histogram {
  counts: Float64Array;
  total: number;
  constructor() {
    this.counts = new Float64Array(HIST_BUCKETS);
    this.total = 0;
  }
  record(ns: number, n: number): void {
    let v = ns > 0 ? Math.floor(ns) : 0;
    if (v > HIST_MAX_NS) v = HIST_MAX_NS;
    let idx: number;
    if (v < 128) idx = v;
    else {
      const e = 31 - Math.clz32(v);
      idx = ((e - 6) << 7) + ((v >>> (e - 7)) & 127);
    }
    this.counts[idx] += n;
    this.total += n;
  }
  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }
  /** [index, count] pairs of the non-empty buckets (small enough for IPC/JSON). */
  toSparse(): number[] {
    const out: number[] = [];
    for (let i = 0; i < HIST_BUCKETS; i++) if (this.counts[i] !== 0) out.push(i, this.counts[i]);
    return out;
  }
  addSparse(sparse: number[]): void {
    for (let i = 0; i < sparse.length; i += 2) {
      this.counts[sparse[i]] += sparse[i + 1];
      this.total += sparse[i + 1];
    }
  }
  /** The q-quantile (0..1) in nanoseconds: the midpoint of the bucket holding it. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const target = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < HIST_BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= target) return bucketMid(i);
    }
    return bucketMid(HIST_BUCKETS - 1);
  }
}

function bucketMid(idx: number): number {
  if (idx < 128) return idx;
  const shift = (idx >> 7) - 1; // e - 7, with e = (idx >> 7) + 6
  const sub = idx & 127;
  return ((128 + sub) * 2 ** shift + (129 + sub) * 2 ** shift) / 2;
}

// ---- workloads and request streams ----------------------------------------------------------

export interface WorkloadSpec {
  name: string;
  /** Fraction of requests that are gets (the rest are sets). */
  getRatio: number;
  /** Keys per get (`get k1 k2 ...`). */
  multi: number;
  /** Value size of sets, and of the preloaded items. */
  valueLen: number;
  /** Keys are keyOf(0 .. keys-1), uniformly random. */
  keys: number;
  connections: number;
  /** Requests in flight per connection (1 = not pipelined). */
  depth: number;
}

export interface RequestStream {
  buf: Buffer;
  /** offsets[i] is where request i starts; offsets[count] === buf.length. */
  offsets: Uint32Array;
  count: number;
}

const STREAM_TARGET_BYTES = 16 * 1024 * 1024;

/** xorshift32: a deterministic stream so both servers get the very same requests. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export function buildStream(w: WorkloadSpec, seed: number): RequestStream {
  const avgKey = 16;
  const getBytes = 6 + w.multi * (avgKey + 1);
  const setBytes = 24 + avgKey + w.valueLen;
  const avg = w.getRatio * getBytes + (1 - w.getRatio) * setBytes;
  const count = Math.max(
    1024,
    Math.min(262_144, Math.floor(STREAM_TARGET_BYTES / avg)),
    w.connections * w.depth * 4,
  );
  const rand = rng(seed);
  const value = Buffer.alloc(w.valueLen, 'v');
  const maxReq = Math.max(8 + w.multi * 22, 40 + 22 + w.valueLen);
  let buf = Buffer.allocUnsafe(Math.ceil(count * avg * 1.3) + maxReq);
  const offsets = new Uint32Array(count + 1);
  let off = 0;
  for (let i = 0; i < count; i++) {
    if (off + maxReq > buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, off);
      buf = bigger;
    }
    offsets[i] = off;
    if (rand() < w.getRatio) {
      let line = 'get';
      for (let k = 0; k < w.multi; k++) line += ` ${keyOf(Math.floor(rand() * w.keys))}`;
      off += buf.write(`${line}\r\n`, off, 'latin1');
    } else {
      const key = keyOf(Math.floor(rand() * w.keys));
      off += buf.write(`set ${key} 0 0 ${w.valueLen}\r\n`, off, 'latin1');
      off += value.copy(buf, off);
      off += buf.write('\r\n', off, 'latin1');
    }
  }
  offsets[count] = off;
  return { buf: buf.subarray(0, off), offsets, count };
}

// ---- reply counting -------------------------------------------------------------------------

const LF = 10;
const CR = 13;

/**
 * Counts memcached text replies without decoding them. Each request ends with exactly one
 * terminal line: END (get), STORED (set), or an error/other status line; VALUE lines are
 * counted as hits and their data blocks skipped by byte count.
 */
export class ReplyCounter {
  ends = 0;
  stored = 0;
  hits = 0;
  errors = 0;
  /** The first unexpected line seen (for diagnostics). */
  firstError = '';
  private skip = 0;
  private carry: Buffer = Buffer.allocUnsafe(1024);
  private carryLen = 0;

  resetCounts(): void {
    this.ends = 0;
    this.stored = 0;
    this.hits = 0;
    this.errors = 0;
  }

  /** Consumes b[0..n) and returns how many requests it completed. */
  feed(b: Buffer, n: number): number {
    let done = 0;
    let i = 0;
    while (i < n) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - i);
        this.skip -= k;
        i += k;
        continue;
      }
      const nl = b.indexOf(LF, i);
      if (nl < 0 || nl >= n) {
        this.append(b, i, n);
        break;
      }
      if (this.carryLen > 0) {
        this.append(b, i, nl + 1);
        done += this.line(this.carry, 0, this.carryLen - 1);
        this.carryLen = 0;
      } else {
        done += this.line(b, i, nl);
      }
      i = nl + 1;
    }
    return done;
  }

  private append(b: Buffer, from: number, to: number): void {
    const need = this.carryLen + (to - from);
    if (need > this.carry.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.carry.length * 2));
      this.carry.copy(bigger, 0, 0, this.carryLen);
      this.carry = bigger;
    }
    b.copy(this.carry, this.carryLen, from, to);
    this.carryLen = need;
  }

  /** One line b[s..nl) (b[nl] is LF). */
  private line(b: Buffer, s: number, nl: number): number {
    const c = b[s];
    if (c === 0x56 /* V */ && b[s + 1] === 0x41 /* A */) {
      // VALUE <key> <flags> <bytes>\r\n
      let e = nl - 1;
      if (b[e] === CR) e--;
      let v = 0;
      let mul = 1;
      while (e > s && b[e] >= 48 && b[e] <= 57) {
        v += (b[e] - 48) * mul;
        mul *= 10;
        e--;
      }
      this.skip = v + 2;
      this.hits++;
      return 0;
    }
    if (c === 0x45 /* E */ && b[s + 1] === 0x4e /* N */) {
      this.ends++;
      return 1;
    }
    if (c === 0x53 /* S */ && b[s + 1] === 0x54 /* T */) {
      this.stored++;
      return 1;
    }
    this.errors++;
    if (this.firstError === '') this.firstError = b.toString('latin1', s, Math.min(nl, s + 200));
    return 1;
  }
}

// ---- one timed run --------------------------------------------------------------------------

export interface RunSpec {
  host: string;
  port: number;
  workload: WorkloadSpec;
  warmupMs: number;
  durationMs: number;
}

export interface RunResult {
  /** Requests completed in the measured window. */
  ops: number;
  gets: number;
  sets: number;
  hits: number;
  /** gets * keys-per-get - hits. */
  misses: number;
  errors: number;
  firstError: string;
  elapsedMs: number;
  /** The generator process's CPU time (user + system) in the measured window. */
  cpuMs: number;
  hist: number[];
}

const READ_BUF = 256 * 1024;

class Conn {
  sock: Socket;
  counter: ReplyCounter;
  ring: Float64Array;
  depth: number;
  head = 0;
  tail = 0;
  pos: number;
  inflight = 0;
  closed = false;
  constructor(sock: Socket, counter: ReplyCounter, depth: number, pos: number) {
    this.sock = sock;
    this.counter = counter;
    this.depth = depth;
    this.ring = new Float64Array(depth);
    this.pos = pos;
  }
}

interface RunState {
  stream: RequestStream;
  hist: Histogram;
  recording: boolean;
  sending: boolean;
  active: number;
  onIdle: () => void;
}

function send(st: RunState, c: Conn, k: number, now: number): void {
  const { buf, offsets, count } = st.stream;
  const ring = c.ring;
  const depth = c.depth;
  let h = c.head;
  for (let j = 0; j < k; j++) {
    ring[h] = now;
    h = h + 1 === depth ? 0 : h + 1;
  }
  c.head = h;
  c.inflight += k;
  const p = c.pos;
  const end = p + k;
  if (end < count) {
    c.sock.write(buf.subarray(offsets[p], offsets[end]));
    c.pos = end;
  } else {
    c.sock.write(buf.subarray(offsets[p], offsets[count]));
    const rest = end - count;
    if (rest > 0) c.sock.write(buf.subarray(0, offsets[rest]));
    c.pos = rest;
  }
}

function connectOne(host: string, port: number, onread: (n: number) => void, rbuf: Buffer) {
  return new Promise<Socket>((resolve, reject) => {
    const sock = connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: rbuf,
        callback: (n: number) => {
          onread(n);
          return true;
        },
      },
    });
    const fail = (e: Error) => reject(e);
    sock.once('error', fail);
    sock.once('connect', () => {
      sock.off('error', fail);
      resolve(sock);
    });
  });
}

function cpuMsNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Connects `connections` sockets, keeps `depth` requests in flight on each for warmup +
 * duration, records only the duration window, then drains and closes. `onMark` is called at
 * the window's start and end (the parent samples the server's CPU then).
 */
export async function runLoad(
  spec: RunSpec,
  stream: RequestStream,
  onMark: (phase: 'start' | 'end') => void,
): Promise<RunResult> {
  const w = spec.workload;
  const st: RunState = {
    stream,
    hist: new Histogram(),
    recording: false,
    sending: true,
    active: 0,
    onIdle: () => {},
  };
  const conns: Conn[] = [];
  let sockError: Error | null = null;
  const setup: Promise<void>[] = [];
  for (let i = 0; i < w.connections; i++) {
    const rbuf = Buffer.allocUnsafe(READ_BUF);
    const counter = new ReplyCounter();
    // Spread the connections over the stream so they don't send the same keys in lockstep.
    const start = Math.floor((i * stream.count) / w.connections);
    let conn: Conn | null = null;
    const onread = (n: number): void => {
      const c = conn!;
      const done = counter.feed(rbuf, n);
      if (done === 0) return;
      const now = performance.now();
      if (st.recording) {
        const ring = c.ring;
        let t = c.tail;
        for (let j = 0; j < done; j++) {
          st.hist.record((now - ring[t]) * 1e6, 1);
          t = t + 1 === c.depth ? 0 : t + 1;
        }
        c.tail = t;
      } else {
        c.tail = (c.tail + done) % c.depth;
      }
      c.inflight -= done;
      if (st.sending) send(st, c, done, now);
      else if (c.inflight <= 0 && !c.closed) {
        c.closed = true;
        if (--st.active === 0) st.onIdle();
      }
    };
    setup.push(
      connectOne(spec.host, spec.port, onread, rbuf).then((sock) => {
        conn = new Conn(sock, counter, w.depth, start);
        sock.on('error', (e) => {
          sockError ??= e;
        });
        sock.on('close', () => {
          if (conn && !conn.closed) {
            conn.closed = true;
            sockError ??= new Error('server closed a connection');
            if (--st.active === 0) st.onIdle();
          }
        });
        conns.push(conn);
      }),
    );
  }
  try {
    await Promise.all(setup);
  } catch (e) {
    for (const c of conns) c.sock.destroy();
    throw e;
  }
  st.active = conns.length;

  const t0 = performance.now();
  for (const c of conns) send(st, c, w.depth, t0);

  await new Promise((r) => setTimeout(r, spec.warmupMs));
  for (const c of conns) c.counter.resetCounts();
  st.hist.reset();
  st.recording = true;
  onMark('start');
  const cpu0 = cpuMsNow();
  const m0 = performance.now();

  await new Promise((r) => setTimeout(r, spec.durationMs));
  st.recording = false;
  st.sending = false;
  const m1 = performance.now();
  const cpu1 = cpuMsNow();
  onMark('end');

  let gets = 0;
  let sets = 0;
  let hits = 0;
  let errors = 0;
  let firstError = '';
  for (const c of conns) {
    gets += c.counter.ends;
    sets += c.counter.stored;
    hits += c.counter.hits;
    errors += c.counter.errors;
    if (firstError === '') firstError = c.counter.firstError;
  }
  const hist = st.hist.toSparse();

  // Drain what is still in flight (at most connections * depth replies), then close.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5000);
    st.onIdle = () => {
      clearTimeout(timer);
      resolve();
    };
    for (const c of conns) {
      if (c.inflight <= 0 && !c.closed) {
        c.closed = true;
        st.active--;
      }
    }
    if (st.active <= 0) st.onIdle();
  });
  for (const c of conns) c.sock.destroy();
  if (sockError) throw sockError;

  return {
    ops: gets + sets + errors,
    gets,
    sets,
    hits,
    misses: gets * w.multi - hits,
    errors,
    firstError,
    elapsedMs: m1 - m0,
    cpuMs: cpu1 - cpu0,
    hist,
  };
}

// ---- bulk loading ---------------------------------------------------------------------------

export interface LoadSpec {
  host: string;
  port: number;
  /** Keys keyOf(from .. to-1) get `valueLen`-byte values. */
  from: number;
  to: number;
  valueLen: number;
  connections: number;
  /** Sets per window: each connection sends a window, waits for all its replies, repeats. */
  window: number;
}

export interface LoadResult {
  stored: number;
  errors: number;
  firstError: string;
  elapsedMs: number;
}

/** Stores keys [from, to) with plain `set` (replies counted, so the server is never overrun). */
export async function loadKeys(spec: LoadSpec): Promise<LoadResult> {
  const value = Buffer.alloc(spec.valueLen, 'v');
  const t0 = performance.now();
  let next = spec.from;
  let stored = 0;
  let errors = 0;
  let firstError = '';
  const one = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const rbuf = Buffer.allocUnsafe(READ_BUF);
      const counter = new ReplyCounter();
      const wbuf = Buffer.allocUnsafe(spec.window * (spec.valueLen + 64));
      let pending = 0;
      const fill = (sock: Socket): void => {
        if (next >= spec.to) {
          stored += counter.stored;
          errors += counter.errors;
          if (firstError === '') firstError = counter.firstError;
          sock.end();
          resolve();
          return;
        }
        const end = Math.min(spec.to, next + spec.window);
        let off = 0;
        for (let i = next; i < end; i++) {
          off += wbuf.write(`set ${keyOf(i)} 0 0 ${spec.valueLen}\r\n`, off, 'latin1');
          off += value.copy(wbuf, off);
          off += wbuf.write('\r\n', off, 'latin1');
        }
        pending = end - next;
        next = end;
        sock.write(Buffer.from(wbuf.subarray(0, off)));
      };
      const sock = connect({
        host: spec.host,
        port: spec.port,
        noDelay: true,
        onread: {
          buffer: rbuf,
          callback: (n: number) => {
            pending -= counter.feed(rbuf, n);
            if (pending <= 0) fill(sock);
            return true;
          },
        },
      });
      sock.on('error', reject);
      sock.on('connect', () => fill(sock));
    });
  const all: Promise<void>[] = [];
  for (let i = 0; i < spec.connections; i++) all.push(one());
  await Promise.all(all);
  return { stored, errors, firstError, elapsedMs: performance.now() - t0 };
}
