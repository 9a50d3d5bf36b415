/**
 * Model-based property tests: random operation sequences run against the store and against a
 * plain Map-based memcached model with its own clock (helpers/model.ts); every reply must agree.
 *
 *  1. CAS on, memory that never fills: every reply code, value, flags, TTL and hit marker,
 *     curr_items after every operation, the crawler's count, and memcached's CAS rules must
 *     match exactly; no evictions; the engine's self-check passes at the end.
 *  2. The same while the hash table grows (operations that add thousands of keys).
 *  3. The same with CAS off (every CAS reads 0).
 *  4. A tiny store that evicts: a hit must return exactly the model's latest value; a miss is
 *     allowed if the engine has evicted something since the key was last seen (the model then
 *     forgets the key), and so is NO_MEMORY; self-check passes.
 * Then one minimal regression test for each place the engine once answered differently from
 * memcached (each found by these properties).
 *
 * Seeds are random; a failure prints the seed and path (fast-check does) and the operations
 * before it. Replay with FC_SEED=<seed> FC_PATH=<path> (add TAP_GREP=<test name> to run one
 * property); MODEL_TRACE=1 prints every operation of the failing run; FC_RUNS=<n> multiplies
 * the number of runs; MODEL_STATS=1 prints how often each operation got each reply.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import {
  Arith,
  ArithOutput,
  type ItemReader,
  type ItemView,
  KiB,
  MiB,
  Mode,
  REALTIME_MAXDELTA,
  Read,
  Store,
  Stored,
  type StoreOptions,
  type WriteMode,
} from '../src/index.ts';
import { MemcachedModel, type ModelArith, type ModelRead } from './helpers/model.ts';

const T0 = 1_700_000_000; // unix second every store starts at
const DAY = 86_400;

// ---- operations -------------------------------------------------------------------------

/** An exptime (or flush_all delay), resolved against the clock when the operation runs. */
type ExpSpec =
  | { exp: 'never' } // 0
  | { exp: 'rel'; n: number } // n seconds from now (n <= 30 days)
  | { exp: 'abs'; off: number } // the unix time now + off (> 30 days, so absolute)
  | { exp: 'neg'; n: number } // a negative exptime: expired at once
  | { exp: 'ancient' }; // 30 days + 1 as a unix time: long before the start

/** How large a generated value is; several sizes sit on the engine's chaining boundaries. */
type SizeSpec =
  | { at: 'small'; n: number }
  | { at: 'plainMax'; d: number } // the largest value that fits one chunk, + d
  | { at: 'chain'; chunks: number; d: number } // head piece + `chunks` full data chunks, + d
  | { at: 'any'; n: number }
  | { at: 'itemMax'; d: number }; // the largest value the item size limit allows, + d

type ValueSpec =
  | { v: 'empty' }
  | { v: 'text'; s: string }
  | { v: 'num'; n: bigint; lead: number; plus: boolean; zeros: number; trail: number }
  | { v: 'bytes'; size: SizeSpec; seed: number }
  | { v: 'longNumber'; size: SizeSpec }; // zeros then a 7: a number, possibly chunked

type CasSpec =
  | { cas: 'none' } // 0
  | { cas: 'current' } // the CAS of the item's current version (learnt with a gets if needed)
  | { cas: 'stale'; i: number } // a CAS seen earlier, of another version
  | { cas: 'bogus'; n: number }; // one never handed out

type WriteOp = 'set' | 'add' | 'replace' | 'append' | 'prepend' | 'cas';

type Op =
  | { op: WriteOp; key: number; value: ValueSpec; flags: number; exp: ExpSpec; cas: CasSpec }
  | { op: 'get'; key: number }
  | { op: 'gat' | 'touch'; key: number; exp: ExpSpec }
  | { op: 'delete'; key: number; cas: CasSpec }
  | {
      op: 'incr' | 'decr';
      key: number;
      delta: bigint;
      initial: bigint | null;
      exp: ExpSpec;
      cas: CasSpec;
    }
  | { op: 'flush'; delay: ExpSpec }
  | { op: 'tick'; secs: number }
  | { op: 'crawl' }
  | { op: 'fill'; n: number; tag: number }; // n more keys of small values: grows the table

const MODES: Record<WriteOp, WriteMode> = {
  set: Mode.SET,
  add: Mode.ADD,
  replace: Mode.REPLACE,
  append: Mode.APPEND,
  prepend: Mode.PREPEND,
  cas: Mode.CAS,
};

// ---- generators -------------------------------------------------------------------------

function expArb(never: number): fc.Arbitrary<ExpSpec> {
  return fc.oneof(
    { weight: never, arbitrary: fc.constant({ exp: 'never' as const }) },
    {
      weight: 4,
      arbitrary: fc.integer({ min: 1, max: 4 }).map((n) => ({ exp: 'rel' as const, n })),
    },
    { weight: 1, arbitrary: fc.constant({ exp: 'rel' as const, n: REALTIME_MAXDELTA }) },
    {
      weight: 2,
      arbitrary: fc.integer({ min: -2, max: 6 }).map((off) => ({ exp: 'abs' as const, off })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: -5, max: -1 }).map((n) => ({ exp: 'neg' as const, n })),
    },
    { weight: 1, arbitrary: fc.constant({ exp: 'ancient' as const }) },
  );
}

const flushDelayArb: fc.Arbitrary<ExpSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ exp: 'never' as const }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => ({ exp: 'rel' as const, n })) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: -1, max: 3 }).map((off) => ({ exp: 'abs' as const, off })),
  },
  { weight: 1, arbitrary: fc.constant({ exp: 'neg' as const, n: -1 }) },
  { weight: 1, arbitrary: fc.constant({ exp: 'ancient' as const }) },
);

const tickArb = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(0, 1, 1, 1, 2, 3) },
  { weight: 1, arbitrary: fc.constantFrom(60, 3600, DAY, REALTIME_MAXDELTA + DAY) },
);

const flagsArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
);

const U64_MAX = (1n << 64n) - 1n;
const bigNumberArb = fc.oneof(
  fc.bigInt({ min: 0n, max: 1000n }),
  fc.constantFrom(0n, 9n, 10n, 99n, 100n, U64_MAX, U64_MAX - 1n, U64_MAX + 1n, 10n ** 19n),
  fc.bigInt({ min: 0n, max: U64_MAX }),
);
const deltaArb = fc.oneof(
  fc.constantFrom(0n, 1n, 1n, 2n, 10n, 1000n, 1n << 63n, U64_MAX),
  fc.bigInt({ min: 0n, max: U64_MAX }),
);

const textArb = fc
  .string({ unit: fc.constantFrom(...'ab z09+-\t\r\n'), maxLength: 12 })
  .map((s) => ({ v: 'text' as const, s }));

const numArb = fc
  .record({
    n: bigNumberArb,
    lead: fc.constantFrom(0, 0, 0, 1, 2),
    plus: fc.boolean(),
    zeros: fc.constantFrom(0, 0, 0, 1, 5, 25),
    trail: fc.constantFrom(0, 0, 1, 3),
  })
  .map((r) => ({ v: 'num' as const, ...r }));

function sizeArb(big: number, itemMax: number): fc.Arbitrary<SizeSpec> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.integer({ min: 1, max: 300 }).map((n) => ({ at: 'small' as const, n })),
    },
    {
      weight: 2,
      arbitrary: fc.integer({ min: -4, max: 4 }).map((d) => ({ at: 'plainMax' as const, d })),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({ chunks: fc.nat({ max: 2 }), d: fc.integer({ min: -4, max: 4 }) })
        .map((r) => ({ at: 'chain' as const, ...r })),
    },
    {
      weight: big,
      arbitrary: fc.integer({ min: 1, max: 64 * KiB }).map((n) => ({ at: 'any' as const, n })),
    },
    {
      weight: itemMax,
      arbitrary: fc.integer({ min: -2, max: 2 }).map((d) => ({ at: 'itemMax' as const, d })),
    },
  );
}

/** Values: empty, short text, numbers (padded, signed, zero-filled), sized filler bytes, long
 * zero-filled numbers; `bytes` weighs the sized ones against the rest (8 in all). */
function valueArb(sizes: fc.Arbitrary<SizeSpec>, bytes: number): fc.Arbitrary<ValueSpec> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant({ v: 'empty' as const }) },
    { weight: 3, arbitrary: textArb },
    { weight: 4, arbitrary: numArb },
    {
      weight: bytes,
      arbitrary: fc
        .record({ size: sizes, seed: fc.nat({ max: 1000 }) })
        .map((r) => ({ v: 'bytes' as const, ...r })),
    },
    { weight: 1, arbitrary: sizes.map((size) => ({ v: 'longNumber' as const, size })) },
  );
}

const casArb = (none: number, current: number): fc.Arbitrary<CasSpec> =>
  fc.oneof(
    { weight: none, arbitrary: fc.constant({ cas: 'none' as const }) },
    { weight: current, arbitrary: fc.constant({ cas: 'current' as const }) },
    { weight: 1, arbitrary: fc.nat().map((i) => ({ cas: 'stale' as const, i })) },
    { weight: 1, arbitrary: fc.nat({ max: 1000 }).map((n) => ({ cas: 'bogus' as const, n })) },
  );

/** Relative weights of the operation kinds, and the shape of keys, values and exptimes. */
interface OpMix {
  keys: number;
  values: fc.Arbitrary<ValueSpec>;
  /** Weight of exptime 0 (the other exptimes weigh 9 in all). */
  never: number;
  set: number; // set, add, replace
  concat: number; // append, prepend
  cas: number;
  get: number;
  touch: number; // gat, touch
  del: number;
  arith: number;
  flush: number;
  tick: number;
  crawl: number;
  fill: number;
}

function opArb(w: OpMix): fc.Arbitrary<Op> {
  const key = fc.nat({ max: w.keys - 1 });
  const value = w.values;
  const exp = expArb(w.never);
  const write = (ops: WriteOp[], cas: fc.Arbitrary<CasSpec>) =>
    fc.record({ op: fc.constantFrom(...ops), key, value, flags: flagsArb, exp, cas });
  return fc.oneof(
    { weight: w.set, arbitrary: write(['set', 'set', 'add', 'replace'], casArb(12, 1)) },
    { weight: w.concat, arbitrary: write(['append', 'prepend'], casArb(10, 1)) },
    { weight: w.cas, arbitrary: write(['cas'], casArb(1, 6)) },
    { weight: w.get, arbitrary: fc.record({ op: fc.constant('get' as const), key }) },
    {
      weight: w.touch,
      arbitrary: fc.record({ op: fc.constantFrom('gat' as const, 'touch' as const), key, exp }),
    },
    {
      weight: w.del,
      arbitrary: fc.record({ op: fc.constant('delete' as const), key, cas: casArb(6, 2) }),
    },
    {
      weight: w.arith,
      arbitrary: fc.record({
        op: fc.constantFrom('incr' as const, 'decr' as const),
        key,
        delta: deltaArb,
        initial: fc.option(
          bigNumberArb.filter((n) => n <= U64_MAX),
          { freq: 4 },
        ),
        exp,
        cas: casArb(10, 1),
      }),
    },
    {
      weight: w.flush,
      arbitrary: fc.record({ op: fc.constant('flush' as const), delay: flushDelayArb }),
    },
    { weight: w.tick, arbitrary: fc.record({ op: fc.constant('tick' as const), secs: tickArb }) },
    { weight: w.crawl, arbitrary: fc.constant({ op: 'crawl' as const }) },
    {
      weight: w.fill,
      arbitrary: fc.record({
        op: fc.constant('fill' as const),
        n: fc.constantFrom(100, 7000),
        tag: fc.nat({ max: 3 }),
      }),
    },
  );
}

// ---- the harness --------------------------------------------------------------------------

/** Copies a hit out of the store (called under the item's lock). */
class Capture implements ItemReader {
  value = Buffer.alloc(0);
  flags = 0;
  cas = 0;
  ttl = 0;
  fetched = false;
  onHit(item: ItemView): void {
    const buf = Buffer.alloc(item.valueLength);
    item.copyValue(buf, 0);
    this.value = buf;
    this.flags = item.flags;
    this.cas = item.cas;
    this.ttl = item.ttl;
    this.fetched = item.fetched;
  }
}

const READ_NAMES = ['MISS', 'HIT', 'EXPIRED', 'FLUSHED'];
const STORE_NAMES = ['STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND', 'TOO_LARGE', 'NO_MEMORY'];
const DELETE_NAMES = ['DELETED', 'NOT_FOUND', 'EXISTS'];
const ARITH_NAMES = ['OK', 'NOT_FOUND', 'NON_NUMERIC', 'NO_MEMORY', 'EXISTS'];

function show(x: unknown): string {
  return JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

function showBytes(b: Buffer | undefined): string {
  if (b === undefined) return '-';
  if (b.length <= 48) return JSON.stringify(b.toString('latin1'));
  return `${b.length} bytes ${JSON.stringify(b.toString('latin1', 0, 24))}...`;
}

function showRead(r: ModelRead): string {
  const name = READ_NAMES[r.result];
  if (r.result !== Read.HIT || r.value === undefined) return name;
  return `HIT ${showBytes(r.value)} flags=${r.flags} ttl=${r.ttl} fetched=${r.fetched}`;
}

function showArith(r: ModelArith): string {
  return r.result === Arith.OK ? `OK ${r.value}` : ARITH_NAMES[r.result];
}

/** Deterministic filler bytes (xorshift), so every offset of a value differs from its
 * neighbours and a misplaced chunk shows. */
const fillCache = new Map<string, Buffer>();
function filler(size: number, seed: number): Buffer {
  const id = `${size}:${seed}`;
  let b = fillCache.get(id);
  if (b === undefined) {
    b = Buffer.alloc(size);
    let x = (seed * 2654435761 + 1) >>> 0 || 1;
    for (let i = 0; i < size; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b[i] = x & 0xff;
    }
    if (fillCache.size > 200) fillCache.clear();
    fillCache.set(id, b);
  }
  return b;
}

interface Key {
  name: string; // latin1, the model's map key
  buf: Buffer; // the key inside some surrounding bytes, to test offsets
  off: number;
}

interface Variant {
  store: Omit<StoreOptions, 'startTime'>;
  keys: string[];
  /** Exact comparison (memory never fills) or eviction-tolerant comparison. */
  strict: boolean;
}

class Failure extends Error {}

class Harness {
  readonly store: Store;
  model: MemcachedModel;
  unix = T0;
  private readonly strict: boolean;
  private readonly keys: Key[];
  private readonly capture = new Capture();
  private readonly out = new ArithOutput();
  private readonly trace: string[] = [];
  private readonly tally: Map<string, number>;
  private kind = '';
  /** Under eviction: the engine's evictions + reclaims when each key was last seen stored. */
  private readonly seen = new Map<string, number>();
  /** The last reply matched the model's and shows the key's state (not TOO_LARGE, which a
   * write answers before looking, nor NO_MEMORY). */
  private confirmed = false;

  constructor(variant: Variant, tally: Map<string, number>) {
    this.tally = tally;
    this.store = Store.create({ ...variant.store, startTime: T0 });
    const s = this.store.settings;
    this.model = new MemcachedModel({
      startTime: T0,
      cas: s.cas,
      headerBytes: s.headerBytes,
      slabChunkMax: s.slabChunkMax,
      itemSizeMax: s.itemSizeMax,
    });
    this.strict = variant.strict;
    this.keys = variant.keys.map((name, i) => {
      const key = Buffer.from(name, 'latin1');
      const off = i % 3;
      return { name, buf: Buffer.concat([Buffer.alloc(off, 0x23), key, Buffer.from('!!')]), off };
    });
  }

  fail(msg: string): never {
    if (process.env.MODEL_TRACE)
      console.error(`${msg}\n  trace:\n    ${this.trace.join('\n    ')}`);
    throw new Failure(`${msg}\n  after:\n    ${this.trace.slice(-12).join('\n    ')}`);
  }

  private note(line: string, outcome = ''): void {
    this.trace.push(line);
    if (outcome !== '') {
      const k = `${this.kind} ${outcome}`;
      this.tally.set(k, (this.tally.get(k) ?? 0) + 1);
    }
  }

  // ---- resolving specs ----

  private exptime(spec: ExpSpec): number {
    switch (spec.exp) {
      case 'never':
        return 0;
      case 'rel':
        return spec.n;
      case 'abs':
        return this.unix + spec.off;
      case 'neg':
        return spec.n;
      case 'ancient':
        return REALTIME_MAXDELTA + 1;
    }
  }

  private size(spec: SizeSpec, klen: number): number {
    const s = this.store.settings;
    const plainMax = s.slabChunkMax - s.headerBytes - klen;
    const headPiece = s.slabChunkMax - ((s.headerBytes + klen + 3) & ~3) - 4;
    const fullCap = s.slabChunkMax - s.headerBytes;
    let n: number;
    switch (spec.at) {
      case 'small':
      case 'any':
        n = spec.n;
        break;
      case 'plainMax':
        n = plainMax + spec.d;
        break;
      case 'chain':
        n = headPiece + spec.chunks * fullCap + spec.d;
        break;
      case 'itemMax':
        n = s.itemSizeMax - s.headerBytes - klen + spec.d;
        break;
    }
    return Math.max(0, n);
  }

  private value(spec: ValueSpec, klen: number): Buffer {
    switch (spec.v) {
      case 'empty':
        return Buffer.alloc(0);
      case 'text':
        return Buffer.from(spec.s, 'latin1');
      case 'num': {
        const s = `${' '.repeat(spec.lead)}${spec.plus ? '+' : ''}${'0'.repeat(spec.zeros)}${spec.n}${' '.repeat(spec.trail)}`;
        return Buffer.from(s, 'latin1');
      }
      case 'bytes':
        return filler(this.size(spec.size, klen), spec.seed);
      case 'longNumber': {
        const n = Math.max(1, this.size(spec.size, klen));
        const b = Buffer.alloc(n, 0x30);
        b[n - 1] = 0x37;
        return b;
      }
    }
  }

  private casUnique(spec: CasSpec, key: number): number {
    const name = this.keys[key].name;
    switch (spec.cas) {
      case 'none':
        return 0;
      case 'bogus':
        return 2 ** 40 + spec.n;
      case 'stale': {
        const current = this.model.items.get(name)?.cas;
        const seen = [...this.model.seenCas].filter((c) => c !== current);
        return seen.length === 0 ? 2 ** 40 + 1 : seen[spec.i % seen.length];
      }
      case 'current': {
        // A client sends the CAS an earlier gets returned: read it now if not known yet.
        if (this.model.items.get(name)?.cas === null) {
          const kind = this.kind;
          this.kind = 'gets (for a CAS)';
          this.read(key, 'get', null);
          this.kind = kind;
        }
        return this.model.items.get(name)?.cas ?? 2 ** 41;
      }
    }
  }

  // ---- comparing ----

  /**
   * Runs `apply` on the model and compares its reply with the engine's. Strict: they must be
   * equal. Under eviction the engine may also have lost the key (then the model forgets it), or
   * run out of memory (`noMemory` says how the model takes that); anything else fails.
   */
  private compare<R>(
    key: number | null,
    what: string,
    actual: R,
    apply: (m: MemcachedModel) => R,
    same: (a: R, b: R) => boolean,
    show: (r: R) => string,
    noMemory: ((m: MemcachedModel) => void) | null = null,
  ): void {
    const tried = this.strict ? this.model : this.model.clone();
    const expected = apply(tried);
    this.confirmed = false;
    if (same(expected, actual)) {
      // Under eviction, a reply the engine would also give without the key (NOT_STORED from
      // an append, say) shows nothing about whether it still holds the key.
      let shows = true;
      if (!this.strict && key !== null) {
        const without = this.model.clone();
        without.forget(this.keys[key].name);
        shows = !same(apply(without), actual);
      }
      this.model = tried;
      this.confirmed = shows;
      this.note(`${what} -> ${show(actual)}`, show(actual).split(' ')[0]);
      return;
    }
    if (!this.strict && key !== null) {
      const name = this.keys[key].name;
      // A reply both "evicted" and "out of memory" explain (a failed append answers
      // NOT_STORED either way): the engine's own listing of live keys decides.
      if (noMemory !== null && this.engineHolds(name)) {
        const m = this.model.clone();
        noMemory(m);
        this.model = m;
        this.note(`${what} -> ${show(actual)} (out of memory)`, show(actual).split(' ')[0]);
        return;
      }
      const evicted = this.model.clone();
      evicted.forget(name);
      if (same(apply(evicted), actual) && this.mayBeGone(name)) {
        this.model = evicted;
        this.note(
          `${what} -> ${show(actual)} (key was evicted)`,
          `${show(actual).split(' ')[0]} (evicted)`,
        );
        return;
      }
      if (noMemory !== null) {
        const m = this.model.clone();
        noMemory(m);
        this.model = m;
        this.note(`${what} -> ${show(actual)} (out of memory)`, show(actual).split(' ')[0]);
        return;
      }
    }
    this.fail(`${what}: engine ${show(actual)}, model ${show(expected)}`);
  }

  /** Whether the engine still holds a live item under this key (read without touching it). */
  private engineHolds(name: string): boolean {
    return this.store.dumpItems().some((item) => item.key.toString('latin1') === name);
  }

  /**
   * Under eviction: a key the model holds alive may only be gone if the engine has evicted or
   * reclaimed something since the key was last seen. (Reclaimed too: an item that was dead for a
   * while may have been reclaimed then, and a later flush_all can make a flushed item visible
   * again in memcached's rules, which the model follows.)
   */
  private mayBeGone(name: string): boolean {
    const it = this.model.items.get(name);
    if (it === undefined || this.model.deadReason(it) !== null) return true;
    return this.losses() > (this.seen.get(name) ?? -1);
  }

  private losses(): number {
    const st = this.store.stats();
    return st.evictions + st.reclaimed;
  }

  private checkCas(key: number, cas: number, what: string): void {
    const complaint = this.model.checkCas(this.keys[key].name, cas);
    if (complaint !== null) this.fail(`${what}: ${complaint}`);
  }

  // ---- operations ----

  run(op: Op, index: number): void {
    const label = `#${index} ${show(op)}`;
    this.kind = op.op;
    this.confirmed = false;
    switch (op.op) {
      case 'tick':
        this.unix += op.secs;
        this.store.setTime(this.unix);
        this.model.setTime(this.unix);
        this.note(`${label}`);
        break;
      case 'flush': {
        const delay = this.exptime(op.delay);
        this.store.flushAll(delay);
        this.model.flushAll(delay);
        this.note(`${label} (delay ${delay})`);
        break;
      }
      case 'crawl': {
        const reclaimed = this.store.crawl(this.store.stats().total_pages);
        const expected = this.model.crawl();
        // Under eviction the engine may have reclaimed some dead items already.
        if (this.strict ? reclaimed !== expected : reclaimed > expected) {
          this.fail(`${label}: crawler reclaimed ${reclaimed}, model ${expected}`);
        }
        this.note(`${label} -> ${reclaimed}`, reclaimed > 0 ? 'reclaimed some' : 'reclaimed none');
        break;
      }
      case 'fill':
        this.fill(op, label);
        break;
      case 'get':
        this.read(op.key, 'get', null, label);
        break;
      case 'gat':
      case 'touch':
        this.read(op.key, op.op, this.exptime(op.exp), label);
        break;
      case 'delete':
        this.delete(op, label);
        break;
      case 'incr':
      case 'decr':
        this.arith(op, label);
        break;
      default:
        this.write(op, label);
    }
    if (this.strict) this.checkCounts(label);
    else if ('key' in op && this.confirmed && this.model.items.has(this.keys[op.key].name)) {
      this.seen.set(this.keys[op.key].name, this.losses());
    }
  }

  /** Sets `n` more keys (tagged, so that fills can overlap) to small values, all at once: enough
   * keys to make the hash table split buckets and the LRU segments fill. */
  private fill(op: Extract<Op, { op: 'fill' }>, label: string): void {
    const value = Buffer.from('v');
    for (let i = 0; i < op.n; i++) {
      const name = `fill:${op.tag}:${i}`;
      const k = Buffer.from(name, 'latin1');
      const r = this.store.write(Mode.SET, k, 0, k.length, value, 0, 1, i, 0);
      const expected = this.model.write(Mode.SET, name, value, i, 0);
      if (r !== expected)
        this.fail(
          `${label}: set ${name}: engine ${STORE_NAMES[r]}, model ${STORE_NAMES[expected]}`,
        );
    }
    this.note(label, 'done');
  }

  private checkCounts(label: string): void {
    const st = this.store.stats();
    if (st.curr_items !== this.model.currItems) {
      this.fail(`${label}: curr_items ${st.curr_items}, model ${this.model.currItems}`);
    }
    if (st.evictions !== 0) this.fail(`${label}: ${st.evictions} evictions in a store never full`);
  }

  private read(
    key: number,
    kind: 'get' | 'gat' | 'touch',
    exptime: number | null,
    label = '',
  ): void {
    const k = this.keys[key];
    const klen = k.buf.length - k.off - 2;
    const c = this.capture;
    let result: number;
    if (kind === 'get') result = this.store.get(k.buf, k.off, klen, c);
    else if (kind === 'gat') result = this.store.getAndTouch(k.buf, k.off, klen, exptime ?? 0, c);
    else result = this.store.touch(k.buf, k.off, klen, exptime ?? 0);
    const hit = result === Read.HIT && kind !== 'touch';
    const actual: ModelRead = hit
      ? {
          result: result as ModelRead['result'],
          value: c.value,
          flags: c.flags,
          ttl: c.ttl,
          fetched: c.fetched,
        }
      : { result: result as ModelRead['result'] };
    const what = label || `(${kind} ${show(k.name.slice(0, 20))} for its CAS)`;
    this.compare(
      key,
      what,
      actual,
      (m) => {
        const r = m.read(k.name, kind === 'get' ? null : exptime);
        return kind === 'touch' ? { result: r.result } : r;
      },
      (a, b) =>
        a.result === b.result &&
        (a.value === undefined) === (b.value === undefined) &&
        (a.value === undefined ||
          (b.value !== undefined &&
            a.value.equals(b.value) &&
            a.flags === b.flags &&
            a.ttl === b.ttl &&
            a.fetched === b.fetched)),
      showRead,
    );
    if (hit) this.checkCas(key, c.cas, what);
  }

  private write(op: Extract<Op, { op: WriteOp }>, label: string): void {
    const k = this.keys[op.key];
    const klen = k.buf.length - k.off - 2;
    const mode = MODES[op.op];
    const value = this.value(op.value, klen);
    const exptime = this.exptime(op.exp);
    const cas = this.casUnique(op.cas, op.key);
    // The value sits inside other bytes, to test offsets.
    const buf = Buffer.concat([Buffer.from('<<<'), value, Buffer.from('>>')]);
    const r = this.store.write(
      mode,
      k.buf,
      k.off,
      klen,
      buf,
      3,
      value.length,
      op.flags,
      exptime,
      cas,
    );
    this.compare(
      op.key,
      `${label} (${value.length} bytes, exptime ${exptime}, cas ${cas})`,
      r,
      (m) => m.write(mode, k.name, value, op.flags, exptime, cas),
      (a, b) => a === b,
      (x) => STORE_NAMES[x],
      // Out of memory: a failed set drops the old value; a failed append or prepend (memcached
      // answers NOT_STORED when the combined item cannot be allocated) leaves it as it was.
      r === Stored.NO_MEMORY
        ? (m) => mode === Mode.SET && m.forget(k.name)
        : r === Stored.NOT_STORED && (mode === Mode.APPEND || mode === Mode.PREPEND)
          ? () => {}
          : null,
    );
    if (r === Stored.TOO_LARGE) this.confirmed = false;
  }

  private delete(op: Extract<Op, { op: 'delete' }>, label: string): void {
    const k = this.keys[op.key];
    const cas = this.casUnique(op.cas, op.key);
    const r = this.store.delete(k.buf, k.off, k.buf.length - k.off - 2, cas);
    this.compare(
      op.key,
      `${label} (cas ${cas})`,
      r,
      (m) => m.delete(k.name, cas),
      (a, b) => a === b,
      (x) => DELETE_NAMES[x],
    );
  }

  private arith(op: Extract<Op, { op: 'incr' | 'decr' }>, label: string): void {
    const k = this.keys[op.key];
    const exptime = this.exptime(op.exp);
    const cas = this.casUnique(op.cas, op.key);
    const incr = op.op === 'incr';
    const out = this.out;
    out.value = -1n;
    out.cas = -1;
    const r = this.store.arith(
      k.buf,
      k.off,
      k.buf.length - k.off - 2,
      incr,
      op.delta,
      out,
      op.initial,
      exptime,
      cas,
    );
    const actual: ModelArith =
      r === Arith.OK ? { result: r, value: out.value } : { result: r as ModelArith['result'] };
    const what = `${label} (exptime ${exptime}, cas ${cas})`;
    this.compare(
      op.key,
      what,
      actual,
      (m) => m.arith(k.name, incr, op.delta, op.initial, exptime, cas),
      (a, b) => a.result === b.result && a.value === b.value,
      showArith,
      r === Arith.NO_MEMORY ? () => {} : null,
    );
    if (r === Arith.OK) this.checkCas(op.key, out.cas, what);
  }

  private readOthers(): void {
    const pool = new Set(this.keys.map((k) => k.name));
    const c = this.capture;
    for (const name of [...this.model.items.keys()]) {
      if (pool.has(name)) continue;
      const k = Buffer.from(name, 'latin1');
      const r = this.store.get(k, 0, k.length, c);
      const expected = this.model.read(name);
      const same =
        r === expected.result &&
        (r !== Read.HIT || (expected.value?.equals(c.value) && expected.flags === c.flags));
      if (!same)
        this.fail(`final get ${name}: engine ${READ_NAMES[r]}, model ${showRead(expected)}`);
      if (r === Read.HIT) {
        const complaint = this.model.checkCas(name, c.cas);
        if (complaint !== null) this.fail(`final get ${name}: ${complaint}`);
      }
    }
  }

  /** End of a sequence: counts, every key read back, and the engine's self-check. */
  finish(): void {
    if (this.strict) this.checkCounts('end');
    this.kind = 'final get';
    for (let i = 0; i < this.keys.length; i++) this.read(i, 'get', null, `final get #${i}`);
    // Keys outside the pool (fills): all of them, in strict mode.
    if (this.strict) this.readOthers();
    const report = this.store.check();
    if (!report.ok) this.fail(`self-check failed:\n    ${report.errors.join('\n    ')}`);
    if (this.strict && report.items !== this.model.currItems) {
      this.fail(`self-check counts ${report.items} items, model ${this.model.currItems}`);
    }
  }
}

// ---- the properties -----------------------------------------------------------------------

const RUNS = Number(process.env.FC_RUNS ?? 1);

/**
 * Each run makes a store of its own, and a store's SharedArrayBuffers go back to the system only
 * when a full garbage collection finds them. V8 does not count them as memory pressure and the
 * JS heap stays small, so without help hundreds of them pile up (and fragment malloc's heap):
 * over 1 GB at FC_RUNS=4. A full collection every 20 runs keeps the test near 300 MB.
 */
const collect: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return () => {};
  }
})();
const replaying = process.env.FC_SEED !== undefined;
const replay = replaying
  ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH, endOnFailure: true }
  : {};

interface Summary {
  runs: number;
  ops: number;
  evictions: number;
  /** Runs whose hash table split buckets. */
  grown: number;
  /** "operation reply" -> how often (printed with MODEL_STATS=1, to see what the runs cover). */
  tally: Map<string, number>;
}

function runProperty(
  t: Test,
  variant: Variant,
  mix: OpMix,
  maxOps: number,
  numRuns: number,
): Summary {
  const sum: Summary = { runs: 0, ops: 0, evictions: 0, grown: 0, tally: new Map() };
  const ops = fc.array(opArb(mix), { minLength: 1, maxLength: maxOps, size: 'max' });
  fc.assert(
    fc.property(ops, (seq) => {
      const h = new Harness(variant, sum.tally);
      seq.forEach((op, i) => {
        h.run(op, i);
      });
      h.finish();
      sum.runs++;
      if (sum.runs % 20 === 0) collect();
      sum.ops += seq.length;
      const st = h.store.stats();
      sum.evictions += st.evictions;
      if (st.hash_buckets > 1 << h.store.settings.hashPower) sum.grown++;
    }),
    { numRuns: Math.ceil(numRuns * RUNS), ...replay },
  );
  t.comment(
    `${sum.runs} runs, ${sum.ops} operations, ${sum.evictions} evictions, ${sum.grown} grew the table`,
  );
  if (process.env.MODEL_STATS) {
    for (const [k, n] of [...sum.tally].sort()) t.comment(`  ${k}: ${n}`);
  }
  return sum;
}

/** A few keys, so that operations collide: one of binary bytes, and one of 250 bytes, which
 * moves the chaining boundaries. */
const FEW_KEYS = ['a', 'b', 'counter', 'bin\x00\xff\x7f', 'K'.repeat(250)];

/** 64 KiB pages with 16 KiB chunks: values over ~16 KiB are chained, cheaply. Memory never
 * fills: five keys of at most 256 KiB each, and dead items' chunks are reused. */
const ROOMY: Omit<StoreOptions, 'startTime'> = {
  memoryLimit: 64 * MiB,
  pageSize: 64 * KiB,
  slabChunkMax: 16 * KiB,
  itemSizeMax: 256 * KiB,
  hashPower: 12,
};

const MIX: OpMix = {
  keys: FEW_KEYS.length,
  values: valueArb(sizeArb(1, 1), 4),
  never: 20,
  set: 12,
  concat: 6,
  cas: 4,
  get: 12,
  touch: 4,
  del: 3,
  arith: 5,
  flush: 1,
  tick: 3,
  crawl: 1,
  fill: 0,
};

t.test('the store answers like the memcached model (CAS on)', async (t) => {
  const variant: Variant = { store: ROOMY, keys: FEW_KEYS, strict: true };
  runProperty(t, variant, MIX, 80, 250);
});

t.test('the store answers like the model while its hash table grows', async (t) => {
  // 4096 buckets split once the table holds 1.5 items a bucket: fills of 7000 keys get there.
  const variant: Variant = { store: ROOMY, keys: FEW_KEYS, strict: true };
  const sum = runProperty(t, variant, { ...MIX, fill: 6 }, 60, 12);
  if (!replaying) t.ok(sum.grown > 0, 'some runs split buckets');
});

t.test('the store answers like the memcached model (CAS off)', async (t) => {
  const variant: Variant = { store: { ...ROOMY, cas: false }, keys: FEW_KEYS, strict: true };
  runProperty(t, variant, MIX, 80, 120);
});

t.test('under eviction every hit is the latest value', async (t) => {
  // 1 MiB of 64 KiB pages: sixteen pages for forty keys of values up to 64 KiB.
  const keys = [...Array.from({ length: 39 }, (_, i) => `k${i}`), 'E'.repeat(250)];
  const variant: Variant = {
    store: {
      memoryLimit: 1 * MiB,
      pageSize: 64 * KiB,
      slabChunkMax: 16 * KiB,
      itemSizeMax: 128 * KiB,
      hashPower: 12,
    },
    keys,
    strict: false,
  };
  const mix: OpMix = {
    ...MIX,
    keys: keys.length,
    values: valueArb(sizeArb(12, 1), 40),
    never: 60,
    set: 24,
    del: 1,
    flush: 1,
    tick: 2,
  };
  const sum = runProperty(t, variant, mix, 200, 60);
  if (!replaying) t.ok(sum.evictions > 0, 'the runs evicted items');
});

// ---- differences these properties found, one minimal regression test each ------------------
// Each asserts what memcached 1.6 answers, where the engine once answered otherwise.

function repro(options: Omit<StoreOptions, 'startTime'> = {}) {
  const store = Store.create({ memoryLimit: 4 * MiB, ...options, startTime: T0 });
  const key = Buffer.from('k');
  const out = new ArithOutput();
  const hit = new Capture();
  return {
    store,
    set: (mode: WriteMode, value: string | Buffer, exptime = 0, cas = 0) => {
      const v = typeof value === 'string' ? Buffer.from(value) : value;
      return store.write(mode, key, 0, 1, v, 0, v.length, 0, exptime, cas);
    },
    get: () => store.get(key, 0, 1, hit),
    hit,
    incr: (cas: number) => store.arith(key, 0, 1, true, 1n, out, null, 0, cas),
  };
}

t.test('an item both expired and flushed reads as FLUSHED', async (t) => {
  const r = repro();
  r.set(Mode.SET, 'v', -1); // expired at once
  r.store.flushAll(); // and flushed (CAS order)
  // memcached's do_item_get asks item_is_flushed() first: get_flushed, not get_expired.
  t.equal(r.get(), Read.FLUSHED);
});

t.test('append/prepend size limits answer as memcached', async (t) => {
  const r = repro({ itemSizeMax: 64 * KiB });
  const big = Buffer.alloc(64 * KiB);
  // The piece alone is too large: memcached fails allocating it, before looking for the item.
  t.equal(r.set(Mode.APPEND, big), Stored.TOO_LARGE, 'piece too large, no item: TOO_LARGE');
  r.set(Mode.SET, Buffer.alloc(40 * KiB));
  // The combined item cannot be allocated: do_store_item leaves NOT_STORED.
  t.equal(r.set(Mode.APPEND, Buffer.alloc(30 * KiB)), Stored.NOT_STORED, 'combined too large');
});

t.test('incr on an empty value with a wrong CAS is NON_NUMERIC', async (t) => {
  const r = repro();
  r.set(Mode.SET, '');
  // do_add_delta rejects empty and chunked values before it compares the CAS.
  t.equal(r.incr(2 ** 40), Arith.NON_NUMERIC);
});

t.test('add and replace with a CAS act as cas', async (t) => {
  const r = repro();
  // binary and meta: replace with a CAS is a cas; nothing to compare with is NOT_FOUND.
  t.equal(r.set(Mode.REPLACE, 'v', 0, 2 ** 40), Stored.NOT_FOUND, 'replace with CAS, no item');
  r.set(Mode.SET, 'v');
  r.get();
  // binary: add with the item's CAS is a cas that matches.
  t.equal(r.set(Mode.ADD, 'w', 0, r.hit.cas), Stored.STORED, 'add with the current CAS');
});

t.test('with CAS off, stores drop the CAS and cas never matches', async (t) => {
  const r = repro({ cas: false });
  r.set(Mode.SET, 'v');
  // memcached -C: ITEM_set_cas() is a no-op, so the request's CAS is 0 by the time it compares.
  t.equal(r.set(Mode.SET, 'w', 0, 12345), Stored.STORED, 'set with a CAS stores');
  t.equal(r.set(Mode.APPEND, 'x', 0, 12345), Stored.STORED, 'append with a CAS stores');
  // ...and a cas command's CAS is 0 too, which do_store_item treats as a mismatch: EXISTS.
  t.equal(r.set(Mode.CAS, 'y', 0, 0), Stored.EXISTS, 'cas always EXISTS');
});

t.test('only fetches mark an item fetched', async (t) => {
  const r = repro();
  r.set(Mode.SET, '5');
  r.set(Mode.ADD, '6'); // fails: do_item_update() bumps time and LRU, not the hit markers
  r.incr(0); // in place: do_add_delta fetches with DONT_UPDATE
  t.equal(r.get(), Read.HIT);
  t.equal(r.hit.fetched, false, 'no fetch had returned the item before this get');
});
