/**
 * One worker of the stress test (stress.test.ts): opens the shared store and runs random
 * mixed operations on keys that every worker uses, verifying every value it reads. Reports
 * its counts and every problem it saw to the main thread; never throws for a bad value.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  Arith,
  ArithOutput,
  Deleted,
  type ItemView,
  Mode,
  Read,
  type SharedStore,
  Store,
  Stored,
  type WriteMode,
} from '../../src/index.ts';
import {
  buildPlain,
  buildRecord,
  flagsFor,
  fnv32,
  KEY_APPEND,
  KEY_COUNTER,
  KEY_PLAIN,
  KEY_PRIVATE,
  keyName,
  makeNoise,
  NOISE_BYTES,
  plainSum,
  Rng,
  verifyValue,
} from './stress-values.ts';

export interface StressWorkerData {
  shared: SharedStore;
  threadId: number;
  /** How many workers run (they prime disjoint keys). */
  workers: number;
  seed: number;
  /** Stop after this many operations... */
  maxOps: number;
  /** Three of every four of the first operations add a small value under a fresh plain key,
   * primeOps of them, so the table fills past its starting size while the mixed load runs. */
  primeOps: number;
  /** ...or after this many milliseconds, whichever comes first. */
  runMs: number;
  nPlain: number;
  nAppend: number;
  nCounter: number;
  nPrivate: number;
  /** Int32Array over a SharedArrayBuffer: [0] goes to 1 when all workers may start. */
  go: SharedArrayBuffer;
  /** Int32 progress counters the watchdog reads: this worker bumps slot threadId. */
  progress: SharedArrayBuffer;
}

export interface StressReport {
  threadId: number;
  ops: number;
  ms: number;
  counts: Record<string, number>;
  errors: string[];
}

const MAX_ERRORS = 25;

const data = workerData as StressWorkerData;
const store = Store.open(data.shared, data.threadId);
const rng = new Rng(data.seed);
const noise = makeNoise(data.seed ^ 0x5eed);
const itemMax = store.settings.itemSizeMax;
/** Values longer than this are chained items (the head chunk holds less than a chunk). */
const chainedOver = store.settings.slabChunkMax - store.settings.headerBytes - 16;

const enc = new TextEncoder();
function keys(kind: number, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(enc.encode(keyName(kind, i, data.threadId)));
  return out;
}
const keySets = [
  keys(KEY_PLAIN, data.nPlain),
  keys(KEY_APPEND, data.nAppend),
  keys(KEY_COUNTER, data.nCounter),
  keys(KEY_PRIVATE, data.nPrivate),
];
const flagSets = keySets.map((set, kind) => set.map((k) => flagsFor(kind, k)));
const appendHash = keySets[KEY_APPEND].map((k) => fnv32(k, 0, k.length));
/** Highest CAS this worker has seen for each key; a later read must not show a lower one. */
const lastCas = keySets.map((set) => new Float64Array(set.length));
/** What this worker last stored under each of its private keys: -1 = nothing (a read must
 * miss), else the value's length; privSum holds its checksum. */
const privLen = new Int32Array(data.nPrivate).fill(-1);
const privSum = new Uint32Array(data.nPrivate);

const counts: Record<string, number> = {};
function count(name: string): void {
  counts[name] = (counts[name] ?? 0) + 1;
}
const errors: string[] = [];
function error(msg: string): void {
  count('errors');
  if (errors.length < MAX_ERRORS) errors.push(`worker ${data.threadId}: ${msg}`);
}

// ---- reads ----------------------------------------------------------------------------

const readBuf = new Uint8Array(itemMax);
const hit = { len: 0, flags: 0, cas: 0 };
const reader = {
  onHit(item: ItemView): void {
    hit.len = item.valueLength;
    hit.flags = item.flags;
    hit.cas = item.cas;
    if (hit.len > readBuf.length) return; // reported after the lock is dropped
    item.copyValue(readBuf, 0);
  },
};

/** get (or gat) and verify; returns the CAS on a hit, 0 on a miss. */
function readAndVerify(kind: number, i: number, touchTo: number): number {
  const key = keySets[kind][i];
  const r =
    touchTo < 0
      ? store.get(key, 0, key.length, reader)
      : store.getAndTouch(key, 0, key.length, touchTo, reader);
  if (r !== Read.HIT) {
    count(r === Read.MISS ? 'miss' : r === Read.EXPIRED ? 'miss_expired' : 'miss_flushed');
    return 0;
  }
  count('hit');
  const name = keyName(kind, i, data.threadId);
  if (hit.len > readBuf.length) {
    error(`${name}: value length ${hit.len} exceeds item_size_max`);
    return 0;
  }
  const bad = verifyValue(kind, key, readBuf, hit.len);
  if (bad !== null) error(`${name}: ${bad}`);
  if (hit.flags !== flagSets[kind][i]) {
    error(`${name}: flags ${hit.flags}, expected ${flagSets[kind][i]}`);
  }
  if (hit.cas <= 0) error(`${name}: CAS ${hit.cas} with CAS on`);
  if (hit.cas < lastCas[kind][i]) {
    error(`${name}: CAS went back from ${lastCas[kind][i]} to ${hit.cas}`);
  }
  lastCas[kind][i] = hit.cas;
  if (kind === KEY_PRIVATE) {
    if (privLen[i] < 0) error(`${name}: read a value after it was deleted (stale item)`);
    else if (hit.len !== privLen[i] || plainSum(readBuf, hit.len) !== privSum[i]) {
      error(`${name}: read a value other than the one this worker last stored`);
    }
  }
  count('verified');
  if (hit.len > chainedOver) count('verified_chained');
  return hit.cas;
}

// ---- writes -----------------------------------------------------------------------------

const writeBuf = new Uint8Array(itemMax);

/** Payload sizes: mostly small, some medium, a few large enough to be chained items. */
function payloadSize(): number {
  const p = rng.next();
  if (p < 0.72) return rng.int(8, 400);
  if (p < 0.93) return rng.int(400, 8 * 1024);
  return rng.int(16 * 1024, 120 * 1024);
}

function exptime(): number {
  // Mostly never; sometimes 1-3 store seconds (the main thread advances the clock fast).
  return rng.next() < 0.1 ? rng.int(1, 4) : 0;
}

function buildFor(kind: number, i: number): number {
  const key = keySets[kind][i];
  if (kind === KEY_APPEND) {
    const payload = rng.next() < 0.1 ? rng.int(8 * 1024, 40 * 1024) : rng.int(0, 1200);
    return buildRecord(
      writeBuf,
      0,
      appendHash[i],
      payload,
      noise,
      rng.int(0, NOISE_BYTES - payload),
    );
  }
  const payload = payloadSize();
  return buildPlain(writeBuf, key, payload, noise, rng.int(0, NOISE_BYTES - payload));
}

function expectResult(op: string, r: number, allowed: readonly number[], name: string): void {
  count(`${op}_${STORED_NAMES[r] ?? r}`);
  if (!allowed.includes(r)) error(`${name}: ${op} answered ${STORED_NAMES[r] ?? r}`);
}
const STORED_NAMES = Object.fromEntries(Object.entries(Stored).map(([k, v]) => [v, k]));
const OK_SET = [Stored.STORED, Stored.NO_MEMORY];
const OK_ADD_REPLACE = [Stored.STORED, Stored.NOT_STORED, Stored.NO_MEMORY];
const OK_CAS = [Stored.STORED, Stored.EXISTS, Stored.NOT_FOUND, Stored.NO_MEMORY];
const OK_CONCAT = [Stored.STORED, Stored.NOT_STORED, Stored.NO_MEMORY, Stored.TOO_LARGE];
const OK_CONCAT_CAS = [...OK_CONCAT, Stored.EXISTS];

function write(
  mode: WriteMode,
  kind: number,
  i: number,
  len: number,
  exp: number,
  cas: number,
): number {
  const key = keySets[kind][i];
  if (kind === KEY_PLAIN) recent[recentAt++ & (recent.length - 1)] = i;
  return store.write(mode, key, 0, key.length, writeBuf, 0, len, flagSets[kind][i], exp, cas);
}

/** Plain keys this worker wrote lately: reading them back hits more often than a random key,
 * and races with the other workers' writes to the same keys. */
const recent = new Int32Array(256);
let recentAt = 0;

function plainOp(kind: number, i: number): void {
  const name = keyName(kind, i, data.threadId);
  const p = rng.next();
  if (p < 0.34) {
    count('get');
    readAndVerify(kind, i, -1);
  } else if (p < 0.56) {
    count('set');
    expectResult('set', write(Mode.SET, kind, i, buildFor(kind, i), exptime(), 0), OK_SET, name);
  } else if (p < 0.64) {
    count('add');
    const r = write(Mode.ADD, kind, i, buildFor(kind, i), exptime(), 0);
    expectResult('add', r, OK_ADD_REPLACE, name);
  } else if (p < 0.71) {
    count('replace');
    const r = write(Mode.REPLACE, kind, i, buildFor(kind, i), exptime(), 0);
    expectResult('replace', r, OK_ADD_REPLACE, name);
  } else if (p < 0.8) {
    count('gets_cas');
    const cas = readAndVerify(kind, i, -1);
    if (cas !== 0) {
      const r = write(Mode.CAS, kind, i, buildFor(kind, i), exptime(), cas);
      expectResult('cas', r, OK_CAS, name);
    }
  } else if (p < 0.87) {
    count('delete');
    const useCas = rng.next() < 0.3 ? readAndVerify(kind, i, -1) : 0;
    const r = store.delete(keySets[kind][i], 0, keySets[kind][i].length, useCas);
    count(r === Deleted.DELETED ? 'deleted' : r === Deleted.EXISTS ? 'delete_exists' : 'delete_nf');
    if (useCas === 0 && r === Deleted.EXISTS) error(`${name}: delete without CAS said EXISTS`);
  } else if (p < 0.93) {
    count('touch');
    const key = keySets[kind][i];
    store.touch(key, 0, key.length, exptime());
  } else {
    count('gat');
    readAndVerify(kind, i, exptime());
  }
}

function appendOp(i: number): void {
  const kind = KEY_APPEND;
  const name = keyName(kind, i, data.threadId);
  const p = rng.next();
  if (p < 0.25) {
    count('get');
    readAndVerify(kind, i, -1);
  } else if (p < 0.45) {
    count('set');
    expectResult('set', write(Mode.SET, kind, i, buildFor(kind, i), exptime(), 0), OK_SET, name);
  } else if (p < 0.75) {
    count('append');
    const r = write(Mode.APPEND, kind, i, buildFor(kind, i), 0, 0);
    if (r === Stored.TOO_LARGE) write(Mode.SET, kind, i, buildFor(kind, i), 0, 0);
    expectResult('append', r, OK_CONCAT, name);
  } else if (p < 0.9) {
    count('prepend');
    const r = write(Mode.PREPEND, kind, i, buildFor(kind, i), 0, 0);
    if (r === Stored.TOO_LARGE) write(Mode.SET, kind, i, buildFor(kind, i), 0, 0);
    expectResult('prepend', r, OK_CONCAT, name);
  } else if (p < 0.96) {
    count('append_cas');
    const cas = readAndVerify(kind, i, -1);
    if (cas !== 0) {
      const mode = rng.next() < 0.5 ? Mode.APPEND : Mode.PREPEND;
      expectResult(
        'append_cas',
        write(mode, kind, i, buildFor(kind, i), 0, cas),
        OK_CONCAT_CAS,
        name,
      );
    }
  } else {
    count('delete');
    store.delete(keySets[kind][i], 0, keySets[kind][i].length);
  }
}

const arithOut = new ArithOutput();
const digits = enc.encode('18446744073709551610');

function counterOp(i: number): void {
  const kind = KEY_COUNTER;
  const key = keySets[kind][i];
  const name = keyName(kind, i, data.threadId);
  const p = rng.next();
  if (p < 0.7) {
    const incr = p < 0.55;
    count(incr ? 'incr' : 'decr');
    const delta = BigInt(rng.int(1, 1000));
    const initial = rng.next() < 0.8 ? 0n : null;
    const r = store.arith(key, 0, key.length, incr, delta, arithOut, initial);
    count(`arith_${r}`);
    if (r === Arith.OK) {
      if (arithOut.cas < lastCas[kind][i]) {
        error(`${name}: CAS went back from ${lastCas[kind][i]} to ${arithOut.cas} (incr)`);
      }
      lastCas[kind][i] = arithOut.cas;
    } else if (r !== Arith.NOT_FOUND && r !== Arith.NO_MEMORY) {
      error(`${name}: incr/decr answered ${r} (a counter key held a non-number?)`);
    }
  } else if (p < 0.85) {
    count('get');
    readAndVerify(kind, i, -1);
  } else if (p < 0.95) {
    // A short or a long number: incr then rewrites in place or needs a new, longer item.
    count('set');
    const n = rng.next() < 0.5 ? 1 : digits.length;
    writeBuf.set(digits.subarray(digits.length - n), 0);
    expectResult('set', write(Mode.SET, kind, i, n, exptime(), 0), OK_SET, name);
  } else {
    count('delete');
    store.delete(key, 0, key.length);
  }
}

function privateOp(i: number): void {
  const kind = KEY_PRIVATE;
  const key = keySets[kind][i];
  const name = keyName(kind, i, data.threadId);
  const p = rng.next();
  if (p < 0.45) {
    count('get');
    readAndVerify(kind, i, -1);
  } else if (p < 0.9) {
    count('set');
    const len = buildFor(kind, i);
    const r = write(Mode.SET, kind, i, len, exptime(), 0);
    expectResult('set', r, OK_SET, name);
    // A failed set unlinks the old value (memcached does), so a read must then miss.
    privLen[i] = r === Stored.STORED ? len : -1;
    privSum[i] = plainSum(writeBuf, len);
  } else {
    count('delete');
    store.delete(key, 0, key.length);
    privLen[i] = -1;
  }
}

function primeOp(j: number): void {
  const i = (data.threadId - 1 + j * data.workers) % data.nPlain;
  const key = keySets[KEY_PLAIN][i];
  const len = buildPlain(writeBuf, key, rng.int(1, 80), noise, rng.int(0, NOISE_BYTES - 80));
  const r = write(Mode.ADD, KEY_PLAIN, i, len, 0, 0);
  expectResult('prime_add', r, OK_ADD_REPLACE, keyName(KEY_PLAIN, i));
}

function pick(n: number): number {
  // A quarter of picks land on a few hot keys, so workers collide on the same items often.
  return rng.next() < 0.25 ? rng.int(0, Math.min(n, 48)) : rng.int(0, n);
}

function pickPlain(): number {
  return rng.next() < 0.3 ? recent[rng.int(0, recent.length)] : pick(data.nPlain);
}

function run(): StressReport {
  const go = new Int32Array(data.go);
  const progress = new Int32Array(data.progress);
  parentPort!.postMessage({ type: 'ready' });
  Atomics.wait(go, 0, 0);
  const start = Date.now();
  const deadline = start + data.runMs;
  let ops = 0;
  let primed = 0;
  for (; ops < data.maxOps; ops++) {
    if ((ops & 255) === 0) {
      Atomics.store(progress, data.threadId, ops + 1);
      if (Date.now() >= deadline) break;
    }
    try {
      if (primed < data.primeOps && (ops & 3) !== 0) {
        primeOp(primed++);
        continue;
      }
      const p = rng.next();
      if (p < 0.55) plainOp(KEY_PLAIN, pickPlain());
      else if (p < 0.72) appendOp(pick(data.nAppend));
      else if (p < 0.82) counterOp(pick(data.nCounter));
      else privateOp(rng.int(0, data.nPrivate));
    } catch (err) {
      error(`threw: ${(err as Error).stack ?? err}`);
      if (errors.length >= MAX_ERRORS) break;
    }
  }
  Atomics.store(progress, data.threadId, -1);
  return { threadId: data.threadId, ops, ms: Date.now() - start, counts, errors };
}

parentPort!.postMessage({ type: 'done', report: run() });
