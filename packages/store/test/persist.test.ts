/**
 * Warm restart: a store written with saveSnapshot comes back with restore() holding the same
 * items, flags, CAS values and remaining TTLs; with changed settings or a damaged file it does
 * not, and says why.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { MiB, Mode, Read, Store, Stored } from '../src/index.ts';
import { STRIPES_BASE } from '../src/layout.ts';
import { get, set, write } from './helpers/kv.ts';

const T0 = 1_700_000_000;
const dir = mkdtempSync(join(tmpdir(), 'slabcache-snap-'));
const opts = { memoryLimit: 64 * MiB, startTime: T0 };

t.test('100,000 items come back with values, flags, CAS and TTLs still counting', async (t) => {
  const s = Store.create(opts);
  const cas: number[] = [];
  let stored = 0;
  for (let i = 0; i < 100_000; i++) {
    const ttl = i % 3 === 0 ? 0 : 100 + (i % 50);
    if (set(s, `key:${i}`, `value-${i}-${'x'.repeat(i % 40)}`, i % 65536, ttl) === Stored.STORED)
      stored++;
    cas.push(s.lastCas);
  }
  t.equal(stored, 100_000);
  // A large (chained) item and an empty one go along.
  const big = Buffer.alloc(2 * MiB + 123, 0x5a);
  const s2opts = { ...opts, itemSizeMax: 4 * MiB };
  const withBig = Store.create(s2opts);
  set(withBig, 'big', big, 7);
  write(withBig, Mode.SET, 'empty', '');
  const file = join(dir, 'a.snap');
  const info = s.saveSnapshot(file);
  t.equal(info.items, 100_000);
  t.ok(info.bytes > 100_000 * 40, `wrote ${info.bytes} bytes`);

  const r = Store.restore(opts, file);
  t.equal(r.reason, null);
  const back = r.store!;
  back.setTime(T0 + 60); // a minute of downtime
  let same = 0;
  for (let i = 0; i < 100_000; i++) {
    const hit = get(back, `key:${i}`);
    const ttl = i % 3 === 0 ? -1 : 100 + (i % 50) - 60;
    if (
      hit !== undefined &&
      hit.value === `value-${i}-${'x'.repeat(i % 40)}` &&
      hit.flags === i % 65536 &&
      hit.cas === cas[i] &&
      hit.ttl === ttl
    )
      same++;
  }
  t.equal(same, 100_000, 'every item: value, flags, CAS and the TTL less the downtime');
  back.setTime(T0 + 200);
  t.equal(get(back, 'key:1'), undefined, 'TTLs run out after the restart');
  t.ok(get(back, 'key:0'), 'items without TTL stay');
  t.equal(set(back, 'new', 'v'), Stored.STORED);
  t.ok(back.lastCas > Math.max(...cas), 'the CAS counter goes on from where it was');
  t.equal(back.check().ok, true, back.check().errors.join('; '));

  const bigFile = join(dir, 'big.snap');
  withBig.saveSnapshot(bigFile);
  const b = Store.restore(s2opts, bigFile).store!;
  b.setTime(T0 + 1);
  t.ok(get(b, 'big')!.value === big.toString('latin1'), 'a chained 2 MiB value');
  t.equal(get(b, 'empty')!.value, '');
  t.equal(b.check().ok, true);
});

t.test('changed settings, another file or a cut file: no restore, and the reason', async (t) => {
  const s = Store.create(opts);
  set(s, 'a', 'b');
  const file = join(dir, 'b.snap');
  s.saveSnapshot(file);
  const bigger = Store.restore({ ...opts, memoryLimit: 128 * MiB }, file);
  t.equal(bigger.store, null);
  t.match(bigger.reason, /settings changed since the snapshot: memoryLimit 67108864 -> 134217728/);
  t.match(Store.restore({ ...opts, cas: false }, file).reason, /cas true -> false/);
  t.match(Store.restore({ ...opts, itemSizeMax: 2 * MiB }, file).reason, /itemSizeMax/);
  t.match(Store.restore({ ...opts, growthFactor: 1.5 }, file).reason, /growthFactor.*classSizes/);
  t.ok(Store.restore({ ...opts, evict: false }, file).store, '-M does not change the layout');

  const other = join(dir, 'other');
  writeFileSync(other, 'hello\n');
  t.match(Store.restore(opts, other).reason, /not a slabcache snapshot/);
  const cut = join(dir, 'cut.snap');
  const whole = readFileSync(file);
  writeFileSync(cut, whole.subarray(0, whole.length - 100));
  t.match(Store.restore(opts, cut).reason, /shorter than its header says/);
  t.throws(() => Store.restore(opts, join(dir, 'missing')), { code: 'ENOENT' });
});

t.test('locks left held in a snapshot are cleared on restore', async (t) => {
  const s = Store.create(opts);
  set(s, 'k', 'v');
  // Simulate a stripe lock left taken (as a dead thread would leave it).
  const ctl = new Int32Array(s.shared.control);
  ctl[STRIPES_BASE + 7] = 0x12345;
  t.equal(s.check().ok, false, 'the held lock shows');
  const file = join(dir, 'c.snap');
  s.saveSnapshot(file);
  const back = Store.restore(opts, file).store!;
  back.setTime(T0 + 1);
  t.equal(back.check().ok, true, 'no lock is held');
  const k = Buffer.from('k');
  t.equal(back.get(k, 0, 1, null), Read.HIT);
});
