/**
 * Child process of memory.test.ts: creates a store, writes far more than its memory limit in
 * mixed-size values, and prints one JSON line with the store's stats and the process's RSS.
 * It runs alone in its process so no other test's memory shows in its RSS. It allocates
 * nothing per write (keys go into one reused buffer, values are slices of one noise buffer),
 * so what RSS shows is the store's memory.
 *
 *   node --expose-gc memory-fill.ts <limitMiB> <totalMiB>
 */
import { MiB, Mode, Read, Store, Stored } from '../../src/index.ts';

const limit = Number(process.argv[2] ?? 64) * MiB;
const total = Number(process.argv[3] ?? 1024) * MiB;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const rss = () => process.memoryUsage.rss();

/** Integer hash of an index: where its value's bytes start in the noise, and its size. */
function mix(i: number): number {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const ITEM_MAX = MiB; // the default item_size_max
/** Mixed sizes by count: 55% under 500 bytes, 30% up to 16 KiB, 12% up to 200 KiB, 3% from
 * 200 KiB to nearly 1 MiB (those past the 512 KiB largest chunk are chained). About 34 KiB on
 * average, so 1 GiB is some 30 000 writes. */
function sizeOf(i: number): number {
  const h = mix(i * 2 + 1);
  const p = h % 100;
  const r = (h >>> 8) / 16777216;
  if (p < 55) return 10 + Math.floor(r * 490);
  if (p < 85) return 500 + Math.floor(r * 16 * 1024);
  if (p < 97) return 16 * 1024 + Math.floor(r * 184 * 1024);
  return 200 * 1024 + Math.floor(r * (ITEM_MAX - 200 * 1024 - 100));
}

const NOISE = 2 * MiB;
const noise = new Uint8Array(NOISE);
for (let i = 0; i < NOISE; i++) noise[i] = mix(i) & 0xff;
const offsetOf = (i: number, size: number) => mix(i * 2) % (NOISE - size);

const key = new Uint8Array(16);
function keyOf(i: number): number {
  key[0] = 0x6d; // 'm'
  key[1] = 0x3a; // ':'
  let n = 2;
  let d = 1;
  while (d * 10 <= i) d *= 10;
  for (; d >= 1; d = Math.floor(d / 10)) key[n++] = 0x30 + (Math.floor(i / d) % 10);
  return n;
}

// A baseline taken with everything above in place and the code paths warmed up on a
// throwaway store, so the figures below are the big store's and nothing else's.
{
  const warm = Store.create({ memoryLimit: 2 * MiB, itemSizeMax: MiB });
  for (let i = 0; i < 2000; i++) {
    const size = Math.min(sizeOf(i), 256 * 1024);
    warm.write(Mode.SET, key, 0, keyOf(i), noise, offsetOf(i, size), size, 0, 0);
  }
}
gc();
gc();
const baseline = rss();

const store = Store.create({ memoryLimit: limit });
const afterCreate = rss();

const stored = new Uint8Array(Math.ceil(total / 1024)); // 1 = this index was stored
let written = 0;
let count = 0;
let notStored = 0;
let peak = afterCreate;
const start = Date.now();
while (written < total) {
  const i = count++;
  const size = sizeOf(i);
  const r = store.write(Mode.SET, key, 0, keyOf(i), noise, offsetOf(i, size), size, 0, 0);
  if (r === Stored.STORED) stored[i] = 1;
  else notStored++;
  written += size;
  if ((i & 255) === 0) peak = Math.max(peak, rss());
}
const fillMs = Date.now() - start;
peak = Math.max(peak, rss());
const afterFill = rss();

// Walk back from the newest key: how many of the most recent stored ones are all readable
// and intact, and how many of all stored ones are still there.
const buf = new Uint8Array(ITEM_MAX);
let len = 0;
const reader = {
  onHit(item: { valueLength: number; copyValue(dst: Uint8Array, off: number): void }) {
    len = item.valueLength;
    item.copyValue(buf, 0);
  },
};
let recentOk = 0;
let recentBytes = 0;
let recentRun = true;
let present = 0;
let corrupt = 0;
for (let i = count - 1; i >= 0; i--) {
  if (stored[i] === 0) continue;
  const hit = store.get(key, 0, keyOf(i), reader) === Read.HIT;
  if (hit) {
    present++;
    const size = sizeOf(i);
    const off = offsetOf(i, size);
    let same = len === size;
    for (let b = 0; same && b < size; b++) same = buf[b] === noise[off + b];
    if (!same) corrupt++;
    if (recentRun && same) {
      recentOk++;
      recentBytes += size;
    } else recentRun = false;
  } else recentRun = false;
}
const check = store.check();
gc();
gc();
const afterGc = rss();

process.stdout.write(
  `${JSON.stringify({
    limit,
    written,
    writes: count,
    notStored,
    fillMs,
    present,
    corrupt,
    recentOk,
    recentBytes,
    checkOk: check.ok,
    checkErrors: check.errors.slice(0, 5),
    stats: store.stats(),
    rss: { baseline, afterCreate, afterFill, afterGc, peak },
  })}\n`,
);
