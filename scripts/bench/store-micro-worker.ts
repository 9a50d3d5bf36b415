/**
 * The timed loops of scripts/bench/store-micro.ts, shared by the main thread (1-thread runs)
 * and by its worker threads (N-thread runs against one shared store). When this file is
 * started as a worker by store-micro.ts it opens the store and runs the phases it is sent.
 *
 * Every loop is bounded twice: by an operation count and by a wall-clock deadline; a run
 * also stops when the shared stop word reaches its generation (set by the main thread).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import {
  type ItemReader,
  type ItemView,
  Mode,
  type SharedStore,
  Store,
  Stored,
} from '../../packages/store/src/index.ts';

export const KEY_LEN = 10;
export const VALUE_LEN = 100;
/** Requests in a request stream: keys laid out back to back in a random order, walked
 * round-robin (a power of two). */
export const STREAM_LEN = 1 << 20;
const STREAM_MASK = STREAM_LEN - 1;
/** Values are taken at offset (request index & VALUE_SPREAD-1) in a buffer of random bytes. */
export const VALUE_SPREAD = 1024;
/** Operations between two looks at the clock and the stop word. */
const BATCH = 512;

/** Control words shared by the main thread and the workers. */
export const CTL_GO = 0; // generation of the phase that may start
export const CTL_STOP = 1; // generation of the phase that must stop
export const CTL_WORDS = 2;

/**
 * Key bytes and value bytes, pre-built, shared, never converted. The timed loops read keys
 * from a request stream (the keys in random order, back to back, read front to back) rather
 * than by index from `keys`: a server finds the key in the request it just read, in cache,
 * and a random read of a 10 MB key table would add a cache miss that no server pays.
 */
export interface Workload {
  keys: Uint8Array; // nkeys * KEY_LEN bytes, key i at i * KEY_LEN (for loading)
  nkeys: number;
  stream: Uint8Array; // STREAM_LEN keys drawn from all nkeys keys
  /** STREAM_LEN keys drawn from the first `hotKeys` keys only (cache-resident runs). */
  hotStream: Uint8Array;
  hotKeys: number;
  values: Uint8Array; // VALUE_SPREAD + VALUE_LEN bytes
}

export interface WorkloadBuffers {
  keys: SharedArrayBuffer;
  nkeys: number;
  stream: SharedArrayBuffer;
  hotStream: SharedArrayBuffer;
  hotKeys: number;
  values: SharedArrayBuffer;
}

export function workloadOf(b: WorkloadBuffers): Workload {
  return {
    keys: new Uint8Array(b.keys),
    nkeys: b.nkeys,
    stream: new Uint8Array(b.stream),
    hotStream: new Uint8Array(b.hotStream),
    hotKeys: b.hotKeys,
    values: new Uint8Array(b.values),
  };
}

/** Reads a hit as a server would: copies the value into a reusable output buffer. */
export class CopyReader implements ItemReader {
  readonly out = new Uint8Array(64 * 1024);
  length = 0;
  onHit(item: ItemView): void {
    const n = item.valueLength;
    this.length = n;
    if (n <= this.out.length) item.copyValue(this.out, 0);
  }
}

export interface RunResult {
  ops: number;
  /** gets: hits; sets: STORED replies. */
  ok: number;
  ms: number;
  /** CPU time of this thread during the run (less than ms when it was descheduled). */
  cpuMs: number;
}

function threadCpuMs(prev: NodeJS.CpuUsage): number {
  const d = process.threadCpuUsage(prev);
  return (d.user + d.system) / 1000;
}

/** Gets the keys of `stream` (w.stream or w.hotStream) from request `pos` on, until the
 * deadline, maxOps, or ctl[CTL_STOP] >= stopGen. */
export function runGets(
  store: Store,
  reader: CopyReader,
  stream: Uint8Array,
  pos: number,
  maxOps: number,
  deadline: number,
  ctl: Int32Array,
  stopGen: number,
): RunResult {
  const c0 = process.threadCpuUsage();
  const t0 = performance.now();
  let ops = 0;
  let hits = 0;
  for (;;) {
    for (let i = 0; i < BATCH; i++) {
      hits += store.get(stream, ((pos + i) & STREAM_MASK) * KEY_LEN, KEY_LEN, reader);
    }
    pos += BATCH;
    ops += BATCH;
    if (ops >= maxOps || Atomics.load(ctl, CTL_STOP) >= stopGen) break;
    if (performance.now() >= deadline) break;
  }
  const ms = performance.now() - t0;
  return { ops, ok: hits, ms, cpuMs: threadCpuMs(c0) };
}

/** Sets (Mode.SET, 100-byte values) of the keys of `stream`; bounded like runGets. */
export function runSets(
  store: Store,
  w: Workload,
  stream: Uint8Array,
  pos: number,
  maxOps: number,
  deadline: number,
  ctl: Int32Array,
  stopGen: number,
): RunResult {
  const values = w.values;
  const c0 = process.threadCpuUsage();
  const t0 = performance.now();
  let ops = 0;
  let stored = 0;
  for (;;) {
    for (let i = 0; i < BATCH; i++) {
      const at = (pos + i) & STREAM_MASK;
      const r = store.write(
        Mode.SET,
        stream,
        at * KEY_LEN,
        KEY_LEN,
        values,
        at & (VALUE_SPREAD - 1),
        VALUE_LEN,
        0,
        0,
      );
      if (r === Stored.STORED) stored++;
    }
    pos += BATCH;
    ops += BATCH;
    if (ops >= maxOps || Atomics.load(ctl, CTL_STOP) >= stopGen) break;
    if (performance.now() >= deadline) break;
  }
  const ms = performance.now() - t0;
  return { ops, ok: stored, ms, cpuMs: threadCpuMs(c0) };
}

// ---- worker side ------------------------------------------------------------------------

export interface WorkerInit {
  role: 'store-micro';
  shared: SharedStore;
  threadId: number;
  workload: WorkloadBuffers;
  ctl: SharedArrayBuffer;
}

/** One phase, sent by the main thread. */
export interface PhaseMessage {
  kind: 'get' | 'set';
  /** Walk w.hotStream (the first hotKeys keys) instead of w.stream. */
  hot: boolean;
  gen: number;
  pos: number;
  warmupMs: number;
  /** Safety bound on the timed run; the main thread normally stops it much earlier. */
  maxMs: number;
  maxOps: number;
}

export type WorkerReply =
  | { type: 'ready'; gen: number }
  | { type: 'result'; gen: number; result: RunResult };

/** How long a worker waits for the start signal before giving up on the phase. */
const GO_WAIT_MS = 60_000;

function workerMain(init: WorkerInit): void {
  const port = parentPort!;
  const store = Store.open(init.shared, init.threadId);
  const w = workloadOf(init.workload);
  const ctl = new Int32Array(init.ctl);
  const reader = new CopyReader();
  const run = (m: PhaseMessage, pos: number, maxOps: number, deadline: number, stopGen: number) => {
    const stream = m.hot ? w.hotStream : w.stream;
    return m.kind === 'get'
      ? runGets(store, reader, stream, pos, maxOps, deadline, ctl, stopGen)
      : runSets(store, w, stream, pos, maxOps, deadline, ctl, stopGen);
  };

  port.on('message', (m: PhaseMessage) => {
    // Warm-up: same loop, same keys, never stopped by the stop word (gen + 1 is not set yet).
    run(m, m.pos, m.maxOps, performance.now() + m.warmupMs, m.gen + 1);
    port.postMessage({ type: 'ready', gen: m.gen } satisfies WorkerReply);
    const until = performance.now() + GO_WAIT_MS;
    while (Atomics.load(ctl, CTL_GO) < m.gen && performance.now() < until) {
      Atomics.wait(ctl, CTL_GO, Atomics.load(ctl, CTL_GO), 100);
    }
    const result =
      Atomics.load(ctl, CTL_GO) < m.gen
        ? { ops: 0, ok: 0, ms: 0, cpuMs: 0 }
        : run(m, m.pos, m.maxOps, performance.now() + m.maxMs, m.gen);
    port.postMessage({ type: 'result', gen: m.gen, result } satisfies WorkerReply);
  });
}

if (!isMainThread && (workerData as WorkerInit | undefined)?.role === 'store-micro') {
  workerMain(workerData as WorkerInit);
}
