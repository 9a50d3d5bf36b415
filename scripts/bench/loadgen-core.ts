/**
 * The load generator's engine for scripts/bench/server.ts: a closed-loop memcached client (text,
 * meta or binary protocol) on raw `net` sockets, built to cost the generator as little CPU per
 * request as possible.
 *
 * - Requests are pre-encoded once per workload into one contiguous buffer (a "stream" of a few
 *   hundred thousand requests in random order). Sending k requests is one `write` of a slice of
 *   it: no per-request string building, no copying.
 * - Replies are read into one reused buffer per socket (`onread`), and a byte-level parser only
 *   counts them and checks each is the reply its request wants: text and meta lines (END,
 *   STORED; EN, HD; VALUE and VA skip their data block by its byte count), binary headers
 *   (status and body length; the body is skipped).
 * - Latency: one `performance.now()` per socket read and per write (every request in a write
 *   shares its send time, every reply in a read its arrival time), recorded in a preallocated
 *   log-linear histogram (128 sub-buckets per power of two, under 1% error).
 *
 * Closed loop: each connection keeps exactly `depth` requests in flight, so the latencies are
 * those seen at the offered concurrency (no coordinated-omission correction).
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Binary } from '../../packages/protocol/src/index.ts';

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

/** The wire a workload speaks: classic text, meta text (mg/ms), or binary (Get/Set). */
export type Protocol = 'text' | 'meta' | 'binary';

export interface WorkloadSpec {
  name: string;
  protocol: Protocol;
  /** Fraction of requests that are gets (the rest are sets). */
  getRatio: number;
  /** Keys per get (`get k1 k2 ...`; text only, the other protocols get one key a request). */
  multi: number;
  /** Value size of sets, and of the preloaded items. */
  valueLen: number;
  /** Keys are keyOf(0 .. keys-1), uniformly random. */
  keys: number;
  connections: number;
  /** Requests in flight per connection (1 = not pipelined). */
  depth: number;
}

/** What a request asks for; replies are checked against it (ERR never matches). */
const GET = 0;
const SET = 1;
const ERR = 2;
const KIND_NAME = ['get', 'set', 'error'];

export interface RequestStream {
  buf: Buffer;
  /** offsets[i] is where request i starts; offsets[count] === buf.length. */
  offsets: Uint32Array;
  /** kinds[i] is request i's GET or SET. */
  kinds: Uint8Array;
  count: number;
}

const STREAM_TARGET_BYTES = 16 * 1024 * 1024;
const MAX_KEY = 20;

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

// memcached's binary protocol (packages/protocol/src/binary): a 24-byte header, then extras,
// key, value.
const { HEADER_LENGTH: BIN_HEADER, Opcode, Status } = Binary;

/** A request's header (vbucket, opaque and CAS 0), then `extrasLen` zero bytes of extras. */
function binaryHead(opcode: number, keyLen: number, extrasLen: number, valueLen: number): Buffer {
  const h = Buffer.alloc(BIN_HEADER + extrasLen);
  const body = extrasLen + keyLen + valueLen;
  Binary.writeHeader(h, 0, Binary.REQUEST_MAGIC, opcode, 0, keyLen, extrasLen, body, 0, 0);
  return h;
}

/**
 * One kind of request as constant bytes around its keys: head, then sep + key for each key,
 * then tail. Only the binary head depends on the keys (their total length), so it is built
 * once per key length.
 */
interface Template {
  headLen: number;
  head: (keyBytes: number) => Buffer;
  sep: Buffer;
  tail: Buffer;
}

function fixed(head: string, sep: string, tail: Buffer | string): Template {
  const h = Buffer.from(head, 'latin1');
  return {
    headLen: h.length,
    head: () => h,
    sep: Buffer.from(sep, 'latin1'),
    tail: typeof tail === 'string' ? Buffer.from(tail, 'latin1') : tail,
  };
}

function binary(opcode: number, extrasLen: number, value: Buffer): Template {
  const heads: Buffer[] = [];
  return {
    headLen: BIN_HEADER + extrasLen,
    head: (keyBytes) => {
      heads[keyBytes] ??= binaryHead(opcode, keyBytes, extrasLen, value.length);
      return heads[keyBytes];
    },
    sep: Buffer.alloc(0),
    tail: value,
  };
}

/** The get and set templates of a workload. */
function templates(w: WorkloadSpec): { get: Template; set: Template } {
  const value = Buffer.alloc(w.valueLen, 'v');
  const dataBlock = Buffer.concat([value, Buffer.from('\r\n', 'latin1')]);
  const withData = (line: string) => Buffer.concat([Buffer.from(line, 'latin1'), dataBlock]);
  switch (w.protocol) {
    case 'text':
      return {
        get: fixed('get', ' ', '\r\n'),
        set: fixed('set', ' ', withData(` 0 0 ${w.valueLen}\r\n`)),
      };
    case 'meta':
      // v: return the value, f: and its flags (as `mg` callers usually ask); F0 T0: flags and
      // exptime 0, as the text workloads set them.
      return {
        get: fixed('mg', ' ', ' v f\r\n'),
        set: fixed('ms', ' ', withData(` ${w.valueLen} F0 T0\r\n`)),
      };
    case 'binary':
      return {
        get: binary(Opcode.GET, 0, Buffer.alloc(0)),
        // Extras: flags and exptime, both 0, as the text workloads set them.
        set: binary(Opcode.SET, Binary.StorageExtras.LENGTH, value),
      };
  }
}

function maxBytes(t: Template, keys: number): number {
  return t.headLen + keys * (t.sep.length + MAX_KEY) + t.tail.length;
}

export function buildStream(w: WorkloadSpec, seed: number): RequestStream {
  if (w.protocol !== 'text' && w.multi !== 1) {
    throw new Error(`${w.name}: ${w.protocol} requests carry one key (multi ${w.multi})`);
  }
  const t = templates(w);
  const avgKey = 16;
  const getBytes = t.get.headLen + w.multi * (t.get.sep.length + avgKey) + t.get.tail.length;
  const setBytes = t.set.headLen + t.set.sep.length + avgKey + t.set.tail.length;
  const avg = w.getRatio * getBytes + (1 - w.getRatio) * setBytes;
  const count = Math.max(
    1024,
    Math.min(262_144, Math.floor(STREAM_TARGET_BYTES / avg)),
    w.connections * w.depth * 4,
  );
  const rand = rng(seed);
  const maxReq = Math.max(maxBytes(t.get, w.multi), maxBytes(t.set, 1));
  let buf = Buffer.allocUnsafe(Math.ceil(count * avg * 1.3) + maxReq);
  const offsets = new Uint32Array(count + 1);
  const kinds = new Uint8Array(count);
  const ids: number[] = [];
  let off = 0;
  for (let i = 0; i < count; i++) {
    if (off + maxReq > buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, off);
      buf = bigger;
    }
    offsets[i] = off;
    ids.length = 0;
    let req: Template;
    if (rand() < w.getRatio) {
      req = t.get;
      kinds[i] = GET;
      for (let k = 0; k < w.multi; k++) ids.push(Math.floor(rand() * w.keys));
    } else {
      req = t.set;
      kinds[i] = SET;
      ids.push(Math.floor(rand() * w.keys));
    }
    // Keys first, after room for the head: the binary head holds the keys' length.
    const head = off;
    off += req.headLen;
    let keyBytes = 0;
    for (const id of ids) {
      off += req.sep.copy(buf, off);
      const n = buf.write(keyOf(id), off, 'latin1');
      off += n;
      keyBytes += n;
    }
    req.head(keyBytes).copy(buf, head);
    off += req.tail.copy(buf, off);
  }
  offsets[count] = off;
  return { buf: buf.subarray(0, off), offsets, kinds, count };
}

// ---- reply counting -------------------------------------------------------------------------

const LF = 10;
const CR = 13;

/**
 * Counts replies without decoding them, and checks each against the request it answers (replies
 * come in request order, so the n-th reply answers kinds[start + n]): a reply of the wrong kind
 * or an error is counted in `errors`, so a server that answers wrongly cannot look fast.
 * Subclasses frame one protocol's replies; data blocks (values, error texts) are skipped here
 * by their byte count.
 */
export abstract class ReplyCounter {
  gets = 0;
  sets = 0;
  hits = 0;
  errors = 0;
  /** The first unexpected reply seen (for diagnostics). */
  firstError = '';
  /** Bytes of the current data block still to skip. */
  protected skip = 0;
  private kinds: Uint8Array;
  private next: number;
  private wanted = GET;
  private completed = 0;

  constructor(kinds: Uint8Array, start: number) {
    this.kinds = kinds;
    this.next = start % kinds.length;
  }

  resetCounts(): void {
    this.gets = 0;
    this.sets = 0;
    this.hits = 0;
    this.errors = 0;
  }

  /** Consumes b[0..n) and returns how many requests it completed. */
  feed(b: Buffer, n: number): number {
    this.completed = 0;
    let i = 0;
    while (i < n) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - i);
        this.skipping(b, i, k);
        this.skip -= k;
        i += k;
        if (this.skip === 0) this.blockDone();
      } else i = this.parse(b, i, n);
    }
    return this.completed;
  }

  /** Reads what starts at b[i] (not in a data block) up to n; returns where it stopped. */
  protected abstract parse(b: Buffer, i: number, n: number): number;

  /** The data block being skipped ended. */
  protected abstract blockDone(): void;

  /** b[i..i+k) of a data block is skipped. */
  protected skipping(_b: Buffer, _i: number, _k: number): void {}

  /** A reply of `kind` (with `hits` values) completed the next request; false: wrong kind. */
  protected complete(kind: number, hits: number): boolean {
    this.completed++;
    const want = this.kinds[this.next];
    this.next = this.next + 1 === this.kinds.length ? 0 : this.next + 1;
    if (kind === want) {
      if (kind === GET) this.gets++;
      else this.sets++;
      this.hits += hits;
      return true;
    }
    this.wanted = want;
    this.errors++;
    return false;
  }

  /** Notes the reply that complete() refused, when it is the first. */
  protected refused(reply: string): void {
    if (this.firstError === '')
      this.firstError = `${reply} (answering a ${KIND_NAME[this.wanted]})`;
  }
}

/** Line-based replies (text and meta): lines split on LF, carried over reads when cut. */
abstract class LineReplyCounter extends ReplyCounter {
  private carry: Buffer = Buffer.allocUnsafe(1024);
  private carryLen = 0;

  protected parse(b: Buffer, i: number, n: number): number {
    const nl = b.indexOf(LF, i);
    if (nl < 0 || nl >= n) {
      this.append(b, i, n);
      return n;
    }
    if (this.carryLen > 0) {
      this.append(b, i, nl + 1);
      this.line(this.carry, 0, this.carryLen - 1);
      this.carryLen = 0;
    } else {
      this.line(b, i, nl);
    }
    return nl + 1;
  }

  /** Skips a data block of `bytes` plus its CRLF. */
  protected skipBlock(bytes: number): void {
    this.skip = bytes + 2;
  }

  /** A line that ends a request: completes it as `kind`, noting the line if refused. */
  protected ends(kind: number, hits: number, b: Buffer, s: number, nl: number): void {
    if (!this.complete(kind, hits)) {
      const e = b[nl - 1] === CR ? nl - 1 : nl;
      this.refused(b.toString('latin1', s, Math.min(e, s + 200)));
    }
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
  protected abstract line(b: Buffer, s: number, nl: number): void;
}

/**
 * Classic text replies: each request ends with exactly one terminal line, END (get), STORED
 * (set), or an error; VALUE lines count hits and their data blocks are skipped.
 */
class TextReplyCounter extends LineReplyCounter {
  private values = 0;

  protected line(b: Buffer, s: number, nl: number): void {
    const c = b[s];
    if (c === 0x56 /* V */ && b[s + 1] === 0x41 /* A */) {
      // VALUE <key> <flags> <bytes>\r\n: the byte count is the last number.
      let e = nl - 1;
      if (b[e] === CR) e--;
      let v = 0;
      let mul = 1;
      while (e > s && b[e] >= 48 && b[e] <= 57) {
        v += (b[e] - 48) * mul;
        mul *= 10;
        e--;
      }
      this.skipBlock(v);
      this.values++;
      return;
    }
    const hits = this.values;
    this.values = 0;
    if (c === 0x45 /* E */ && b[s + 1] === 0x4e /* N */) this.ends(GET, hits, b, s, nl);
    else if (c === 0x53 /* S */ && b[s + 1] === 0x54 /* T */) this.ends(SET, 0, b, s, nl);
    else this.ends(ERR, 0, b, s, nl);
  }

  /** A VALUE's block: END still follows. */
  protected blockDone(): void {}
}

/**
 * Meta replies to `mg <key> v f` and `ms`: `VA <bytes> f<flags>` then the data block (a hit;
 * the request completes after the block), `EN` (a miss), `HD` (stored); anything else (NS, EX,
 * NF, errors) is an error.
 */
class MetaReplyCounter extends LineReplyCounter {
  protected line(b: Buffer, s: number, nl: number): void {
    const c = b[s];
    const c1 = b[s + 1];
    if (c === 0x56 /* V */ && c1 === 0x41 /* A */ && b[s + 2] === 0x20) {
      // VA <bytes> <flags>*\r\n: the byte count is the first token.
      let p = s + 3;
      let v = 0;
      while (p < nl && b[p] >= 48 && b[p] <= 57) v = v * 10 + (b[p++] - 48);
      this.skipBlock(v);
    } else if (c === 0x45 /* E */ && c1 === 0x4e /* N */) this.ends(GET, 0, b, s, nl);
    else if (c === 0x48 /* H */ && c1 === 0x44 /* D */) this.ends(SET, 0, b, s, nl);
    else this.ends(ERR, 0, b, s, nl);
  }

  /** A VA's block: the get is answered. */
  protected blockDone(): void {
    if (!this.complete(GET, 1)) this.refused('VA');
  }
}

/**
 * Binary replies: a 24-byte header (carried over reads when cut), then a body of the header's
 * total body length, skipped. The request completes after its body. Get: status 0 is a hit
 * (extras = flags, then the value), Key not found a miss; Set: status 0; any other magic,
 * opcode or status is an error (its body, memcached's message, is kept for the first one).
 */
class BinaryReplyCounter extends ReplyCounter {
  private head = Buffer.alloc(BIN_HEADER);
  private headLen = 0;
  private kind = ERR;
  private hit = 0;
  /** The first error's description and body text, while its body is being read. */
  private errorText: string | null = null;

  protected parse(b: Buffer, i: number, n: number): number {
    if (this.headLen === 0 && n - i >= BIN_HEADER) {
      this.header(b, i);
      return i + BIN_HEADER;
    }
    const k = Math.min(BIN_HEADER - this.headLen, n - i);
    b.copy(this.head, this.headLen, i, i + k);
    this.headLen += k;
    if (this.headLen === BIN_HEADER) {
      this.headLen = 0;
      this.header(this.head, 0);
    }
    return i + k;
  }

  /** Reads a response header at h[p..p+24): what it answers, and how long its body is. */
  private header(h: Buffer, p: number): void {
    const magic = h[p + Binary.MAGIC];
    const opcode = h[p + Binary.OPCODE];
    const status = Binary.readU16(h, p + Binary.STATUS);
    this.skip = Binary.readU32(h, p + Binary.BODY_LENGTH);
    this.hit = 0;
    if (magic !== Binary.RESPONSE_MAGIC) this.kind = ERR;
    else if (opcode === Opcode.GET && status === Status.SUCCESS) {
      this.kind = GET;
      this.hit = 1;
    } else if (opcode === Opcode.GET && status === Status.KEY_ENOENT) this.kind = GET;
    else if (opcode === Opcode.SET && status === Status.SUCCESS) this.kind = SET;
    else this.kind = ERR;
    if (this.kind === ERR && this.firstError === '' && this.errorText === null) {
      const hex = (v: number, digits: number) => `0x${v.toString(16).padStart(digits, '0')}`;
      this.errorText = `magic ${hex(magic, 2)} opcode ${hex(opcode, 2)} status ${hex(status, 4)}: `;
    }
    if (this.skip === 0) this.blockDone();
  }

  protected override skipping(b: Buffer, i: number, k: number): void {
    if (this.errorText !== null && this.errorText.length < 200) {
      this.errorText += b.toString('latin1', i, i + Math.min(k, 200));
    }
  }

  /** The body ended (or there was none): the request is answered. */
  protected blockDone(): void {
    if (!this.complete(this.kind, this.hit)) {
      this.refused(this.errorText ?? `a ${KIND_NAME[this.kind]} reply`);
      this.errorText = null;
    }
  }
}

/** The reply counter of `protocol`, checking replies against kinds[start], kinds[start+1]... */
export function replyCounter(protocol: Protocol, kinds: Uint8Array, start: number): ReplyCounter {
  if (protocol === 'meta') return new MetaReplyCounter(kinds, start);
  if (protocol === 'binary') return new BinaryReplyCounter(kinds, start);
  return new TextReplyCounter(kinds, start);
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
    // Spread the connections over the stream so they don't send the same keys in lockstep.
    const start = Math.floor((i * stream.count) / w.connections);
    const counter = replyCounter(w.protocol, stream.kinds, start);
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
    gets += c.counter.gets;
    sets += c.counter.sets;
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

const ALL_SETS = Uint8Array.of(SET);

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
      const counter = replyCounter('text', ALL_SETS, 0);
      const wbuf = Buffer.allocUnsafe(spec.window * (spec.valueLen + 64));
      let pending = 0;
      const fill = (sock: Socket): void => {
        if (next >= spec.to) {
          stored += counter.sets;
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
