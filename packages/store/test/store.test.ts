import t from 'tap';
import {
  Arith,
  Deleted,
  KiB,
  MiB,
  Mode,
  Read,
  Reassign,
  resolveSettings,
  Store,
  Stored,
} from '../src/index.ts';
import { arith, del, gat, get, set, touch, write } from './helpers/kv.ts';

const T0 = 1_700_000_000; // unix time the test stores start at
const DAY = 86400;

function fresh(opts = {}): Store {
  return Store.create({ memoryLimit: 16 * MiB, startTime: T0, ...opts });
}

t.test('settings follow memcached defaults and rules', async (t) => {
  const s = resolveSettings();
  t.equal(s.memoryLimit, 64 * MiB);
  t.equal(s.pageSize, MiB);
  t.equal(s.itemSizeMax, MiB);
  t.equal(s.slabChunkMax, 512 * KiB);
  t.equal(s.headerBytes, 40);
  // memcached's slabs_init: header + -n, times -f, 8-aligned; last class = slab_chunk_max.
  t.same(s.classSizes.slice(1, 6), [88, 112, 140 + 4, 184, 232]);
  t.equal(s.classSizes[s.largestClass], 512 * KiB);
  for (let i = 2; i < s.largestClass; i++) {
    t.ok(
      s.classSizes[i] > s.classSizes[i - 1] && s.classSizes[i] % 8 === 0,
      `class ${i} grows, 8-aligned`,
    );
  }
  t.equal(resolveSettings({ cas: false }).headerBytes, 32);
  t.equal(resolveSettings({ cas: false }).classSizes[1], 80);
  t.throws(() => resolveSettings({ itemSizeMax: 40 * MiB, memoryLimit: 64 * MiB }), {
    code: 'SLAB_ERR_SETTINGS',
    message: /1\/2 of memory max/,
  });
  t.throws(() => resolveSettings({ itemSizeMax: 512 }), /less than 1024/);
  t.throws(() => resolveSettings({ growthFactor: 1 }), /greater than 1.0/);
  t.throws(() => resolveSettings({ slabChunkMax: 300 * KiB }), /divide/);
  t.throws(() => resolveSettings({ hashPower: 40 }), /hashpower/);
  t.ok(resolveSettings({ itemSizeMax: 128 * MiB, memoryLimit: 256 * MiB }), '-I 128m is allowed');
});

t.test('set and get: flags, binary-safe values, empty values', async (t) => {
  const s = fresh();
  t.equal(set(s, 'k', 'hello', 0xffffffff), Stored.STORED);
  const hit = get(s, 'k');
  t.equal(hit?.value, 'hello');
  t.equal(hit?.flags, 0xffffffff, 'flags are unsigned 32-bit');
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  t.equal(set(s, 'bin', all), Stored.STORED);
  t.same(Buffer.from(get(s, 'bin')!.value, 'latin1'), all, 'every byte value survives');
  t.equal(set(s, 'empty', ''), Stored.STORED);
  t.equal(get(s, 'empty')?.value, '');
  t.equal(get(s, 'missing'), undefined);
  set(s, 'k', 'again', 7);
  t.same([get(s, 'k')?.value, get(s, 'k')?.flags], ['again', 7], 'set replaces');
  t.ok(s.check().ok);
});

t.test('keys: 1 to 250 bytes, any bytes', async (t) => {
  const s = fresh();
  const long = 'x'.repeat(250);
  t.equal(set(s, long, 'v'), Stored.STORED);
  t.equal(get(s, long)?.value, 'v');
  t.throws(() => set(s, 'y'.repeat(251), 'v'), { code: 'SLAB_ERR_KEY' });
  t.throws(() => set(s, '', 'v'), { code: 'SLAB_ERR_KEY' });
  const k = Buffer.from([0xff, 0x00, 0x80]);
  const v = Buffer.from('raw');
  t.equal(s.write(Mode.SET, k, 0, 3, v, 0, 3, 0, 0), Stored.STORED);
  t.equal(s.get(k, 0, 3, null), Read.HIT);
  // Keys are compared by bytes, not by prefix.
  set(s, 'ab', '1');
  set(s, 'abc', '2');
  t.same([get(s, 'ab')?.value, get(s, 'abc')?.value], ['1', '2']);
});

t.test('add and replace', async (t) => {
  const s = fresh();
  t.equal(write(s, Mode.REPLACE, 'k', 'a'), Stored.NOT_STORED, 'replace needs an item');
  t.equal(write(s, Mode.ADD, 'k', 'a'), Stored.STORED);
  t.equal(write(s, Mode.ADD, 'k', 'b'), Stored.NOT_STORED, 'add needs no item');
  t.equal(get(s, 'k')?.value, 'a');
  t.equal(write(s, Mode.REPLACE, 'k', 'c', 3), Stored.STORED);
  t.same([get(s, 'k')?.value, get(s, 'k')?.flags], ['c', 3]);
  set(s, 'dead', 'x', 0, -1);
  t.equal(write(s, Mode.ADD, 'dead', 'y'), Stored.STORED, 'add over an expired item stores');
});

t.test('append and prepend keep flags and exptime', async (t) => {
  const s = fresh();
  t.equal(write(s, Mode.APPEND, 'k', 'x'), Stored.NOT_STORED);
  t.equal(write(s, Mode.PREPEND, 'k', 'x'), Stored.NOT_STORED);
  set(s, 'k', 'mid', 9, 100);
  t.equal(write(s, Mode.APPEND, 'k', '>>', 1, 5), Stored.STORED);
  t.equal(write(s, Mode.PREPEND, 'k', '<<', 2, 5), Stored.STORED);
  const hit = get(s, 'k');
  t.equal(hit?.value, '<<mid>>');
  t.equal(hit?.flags, 9, 'flags of the original item');
  t.equal(hit?.ttl, 100, 'exptime of the original item');
  const before = get(s, 'k')!.cas;
  write(s, Mode.APPEND, 'k', '!');
  t.ok(get(s, 'k')!.cas > before, 'append gives a new CAS');
  t.ok(s.check().ok);
});

t.test('cas: EXISTS, NOT_FOUND, STORED, and CAS values only grow', async (t) => {
  const s = fresh();
  t.equal(write(s, Mode.CAS, 'k', 'v', 0, 0, 1), Stored.NOT_FOUND);
  set(s, 'k', 'v1');
  const c1 = get(s, 'k')!.cas;
  t.ok(c1 > 0);
  t.equal(write(s, Mode.CAS, 'k', 'v2', 0, 0, c1 + 1000), Stored.EXISTS);
  t.equal(write(s, Mode.CAS, 'k', 'v2', 0, 0, c1), Stored.STORED);
  const c2 = get(s, 'k')!.cas;
  t.ok(c2 > c1);
  t.equal(write(s, Mode.CAS, 'k', 'v3', 0, 0, c1), Stored.EXISTS, 'stale CAS');
  t.equal(get(s, 'k')?.value, 'v2');
  // binary-protocol style: set with a CAS compares too
  t.equal(write(s, Mode.SET, 'k', 'v4', 0, 0, c1), Stored.EXISTS);
  t.equal(write(s, Mode.SET, 'k', 'v4', 0, 0, c2), Stored.STORED);
  const off = fresh({ cas: false });
  set(off, 'k', 'v');
  t.equal(get(off, 'k')?.cas, 0, 'CAS off reports 0');
  t.equal(
    write(off, Mode.CAS, 'k', 'w', 0, 0, 0),
    Stored.EXISTS,
    'with CAS off, cas never matches (memcached -C)',
  );
  t.equal(
    write(off, Mode.SET, 'k', 'w', 0, 0, 12345),
    Stored.STORED,
    'and a CAS given with set is ignored',
  );
});

t.test('delete', async (t) => {
  const s = fresh();
  t.equal(del(s, 'k'), Deleted.NOT_FOUND);
  set(s, 'k', 'v');
  const cas = get(s, 'k')!.cas;
  t.equal(del(s, 'k', cas + 1), Deleted.EXISTS);
  t.equal(del(s, 'k', cas), Deleted.DELETED);
  t.equal(get(s, 'k'), undefined);
  set(s, 'k', 'v');
  t.equal(del(s, 'k'), Deleted.DELETED);
  t.equal(s.stats().curr_items, 0);
  t.ok(s.check().ok);
});

t.test('incr and decr follow memcached', async (t) => {
  const s = fresh();
  t.equal(arith(s, 'n', true, 1n).status, Arith.NOT_FOUND);
  set(s, 'n', '10', 5, 100);
  t.same(arith(s, 'n', true, 5n).value, 15n);
  t.same(arith(s, 'n', false, 100n).value, 0n, 'decr stops at 0');
  t.equal(get(s, 'n')?.value, '0 ', 'shorter result written in place, space padded');
  set(s, 'n', '18446744073709551615');
  t.same(arith(s, 'n', true, 2n).value, 1n, 'incr wraps at 2^64');
  set(s, 'n', '9', 5, 100);
  t.same(arith(s, 'n', true, 1n).value, 10n);
  const grown = get(s, 'n');
  t.same(
    [grown?.value, grown?.flags, grown?.ttl],
    ['10', 5, 100],
    'longer result: new item, flags and exptime kept',
  );
  set(s, 'n', '100');
  arith(s, 'n', false, 1n);
  t.equal(get(s, 'n')?.value, '99 ');
  t.same(arith(s, 'n', true, 1n).value, 100n, 'a padded value still counts');
  for (const bad of ['abc', '12abc', '-1', '', '18446744073709551616', ' ']) {
    set(s, 'bad', bad);
    t.equal(
      arith(s, 'bad', true, 1n).status,
      Arith.NON_NUMERIC,
      `non-numeric: ${JSON.stringify(bad)}`,
    );
  }
  set(s, 'sp', ' 7 ');
  t.same(arith(s, 'sp', true, 1n).value, 8n, 'leading and trailing spaces are allowed (strtoull)');
  const before = get(s, 'sp')!.cas;
  arith(s, 'sp', true, 1n);
  t.ok(get(s, 'sp')!.cas > before, 'incr gives a new CAS');
  const created = arith(s, 'fresh', true, 1n, 42n);
  t.same(
    [created.status, created.value, get(s, 'fresh')?.value],
    [Arith.OK, 42n, '42'],
    'initial value',
  );
  t.ok(s.check().ok);
});

t.test('expiry: never, relative, absolute, negative', async (t) => {
  const s = fresh();
  set(s, 'never', 'v', 0, 0);
  set(s, 'rel', 'v', 0, 10);
  set(s, 'max-rel', 'v', 0, 30 * DAY);
  set(s, 'abs', 'v', 0, T0 + 20);
  set(s, 'abs-past', 'v', 0, T0 - 20);
  set(s, 'neg', 'v', 0, -1);
  t.equal(get(s, 'rel')?.ttl, 10);
  t.equal(get(s, 'max-rel')?.ttl, 30 * DAY, '30 days is still relative');
  t.equal(get(s, 'abs')?.ttl, 20, 'above 30 days: a unix time');
  t.equal(get(s, 'abs-past'), undefined, 'a unix time in the past is expired');
  t.equal(get(s, 'neg'), undefined, 'negative is expired at once');
  s.setTime(T0 + 9);
  t.ok(get(s, 'rel'));
  s.setTime(T0 + 10);
  const k = Buffer.from('rel');
  t.equal(s.get(k, 0, 3, null), Read.EXPIRED, 'expired the second it is due');
  s.setTime(T0 + 20);
  t.equal(get(s, 'abs'), undefined);
  s.setTime(T0 + 365 * DAY);
  t.ok(get(s, 'never'));
  t.equal(get(s, 'max-rel'), undefined);
  t.equal(s.stats().curr_items, 1, 'expired items were reclaimed on access');
  t.ok(s.check().ok);
});

t.test('touch and get-and-touch', async (t) => {
  const s = fresh();
  t.equal(touch(s, 'k', 10), Read.MISS);
  set(s, 'k', 'v', 0, 5);
  t.equal(touch(s, 'k', 100), Read.HIT);
  s.setTime(T0 + 50);
  t.equal(get(s, 'k')?.ttl, 50);
  t.equal(gat(s, 'k', 0)?.value, 'v');
  s.setTime(T0 + 10 * DAY);
  t.equal(get(s, 'k')?.value, 'v', 'gat 0 made it permanent');
  t.equal(gat(s, 'k', -1)?.value, 'v', 'gat returns the value even when it expires it');
  t.equal(get(s, 'k'), undefined);
});

t.test('flush_all: immediate, delayed, and the same-second rules', async (t) => {
  const s = fresh();
  set(s, 'a', '1');
  set(s, 'b', '2');
  s.flushAll();
  const k = Buffer.from('a');
  t.equal(s.get(k, 0, 1, null), Read.FLUSHED);
  t.equal(get(s, 'b'), undefined);
  set(s, 'c', '3');
  t.equal(
    get(s, 'c')?.value,
    '3',
    'with CAS on, items stored after the flush in the same second live',
  );
  s.setTime(T0 + 1);
  t.equal(get(s, 'c')?.value, '3');

  const d = fresh();
  set(d, 'a', '1');
  d.flushAll(10);
  d.setTime(T0 + 8);
  t.ok(get(d, 'a'), 'still there before the delay ends');
  d.setTime(T0 + 9);
  t.equal(get(d, 'a'), undefined, 'gone when the delay ends');
  set(d, 'b', '2');
  t.equal(get(d, 'b'), undefined, 'stored in the flush second itself: gone too, as in memcached');
  d.setTime(T0 + 10);
  set(d, 'c', '3');
  t.equal(get(d, 'c')?.value, '3', 'stored after the flush point');

  const off = fresh({ cas: false });
  set(off, 'a', '1');
  off.flushAll();
  t.equal(get(off, 'a'), undefined);
  set(off, 'b', '2');
  t.equal(get(off, 'b'), undefined, 'CAS off: memcached also hides items set in the flush second');
  off.setTime(T0 + 1);
  set(off, 'c', '3');
  t.equal(get(off, 'c')?.value, '3');
  t.ok(s.check().ok && d.check().ok && off.check().ok);
});

t.test('values over -I are refused and a failed set drops the old value', async (t) => {
  const s = fresh({ itemSizeMax: 64 * KiB });
  set(s, 'k', 'old');
  t.equal(set(s, 'k', Buffer.alloc(64 * KiB)), Stored.TOO_LARGE);
  t.equal(get(s, 'k'), undefined, 'memcached unlinks the old item on a failed set');
  set(s, 'k', 'old');
  t.equal(write(s, Mode.APPEND, 'k', Buffer.alloc(64 * KiB)), Stored.TOO_LARGE);
  t.equal(get(s, 'k')?.value, 'old', 'a failed append keeps it');
  t.equal(
    set(s, 'k', Buffer.alloc(64 * KiB - 40 - 1)),
    Stored.STORED,
    'header + key + value = -I fits',
  );
});

t.test('chained items: values larger than the largest chunk', async (t) => {
  const s = fresh({ memoryLimit: 64 * MiB, itemSizeMax: 8 * MiB });
  for (const size of [512 * KiB - 100, 512 * KiB, 700 * KiB, MiB, 3 * MiB + 17]) {
    const v = Buffer.alloc(size);
    for (let i = 0; i < size; i++) v[i] = (i * 31 + size) & 0xff;
    t.equal(set(s, `big${size}`, v), Stored.STORED);
    t.same(
      Buffer.from(get(s, `big${size}`)!.value, 'latin1').equals(v),
      true,
      `${size} bytes round trip`,
    );
  }
  set(s, 'grow', Buffer.alloc(600 * KiB, 1));
  write(s, Mode.APPEND, 'grow', Buffer.alloc(600 * KiB, 2));
  write(s, Mode.PREPEND, 'grow', 'head');
  const g = Buffer.from(get(s, 'grow')!.value, 'latin1');
  t.equal(g.length, 1200 * KiB + 4);
  t.same(
    [g.subarray(0, 4).toString(), g[4], g[4 + 600 * KiB - 1], g[4 + 600 * KiB], g[g.length - 1]],
    ['head', 1, 1, 2, 2],
  );
  t.equal(del(s, 'grow'), Deleted.DELETED);
  t.ok(s.check().ok, JSON.stringify(s.check().errors));
  const slabs = s.slabStats();
  t.ok(
    slabs.some((c) => c.chunk_size === 512 * KiB && c.used_chunks > 0),
    'data chunks in the largest class',
  );
});

t.test('a 128 MiB item', async (t) => {
  const s = Store.create({ memoryLimit: 260 * MiB, itemSizeMax: 130 * MiB, startTime: T0 });
  const v = Buffer.alloc(128 * MiB);
  for (let i = 0; i < v.length; i += 4096) v[i] = (i >>> 12) & 0xff;
  t.equal(set(s, 'huge', v), Stored.STORED);
  const out = Buffer.alloc(128 * MiB);
  t.equal(s.get(Buffer.from('huge'), 0, 4, { onHit: (it) => it.copyValue(out, 0) }), Read.HIT);
  t.ok(out.equals(v));
  t.ok(s.check().ok);
});

t.test('eviction: LRU when full, -M refuses instead', async (t) => {
  const s = Store.create({ memoryLimit: 2 * MiB, pageSize: 64 * KiB, startTime: T0 });
  const v = Buffer.alloc(1000, 7);
  set(s, 'keep', v);
  get(s, 'keep');
  let refused = 0;
  for (let i = 0; i < 5000; i++) {
    if (set(s, `k${i}`, v) !== Stored.STORED) refused++;
    if (i % 50 === 0) get(s, 'keep'); // read often: ACTIVE items get a second chance
  }
  t.equal(refused, 0, 'every set stored');
  const st = s.stats();
  t.ok(st.evictions > 0, `evicted ${st.evictions}`);
  t.ok(st.total_malloced <= 2 * MiB);
  t.ok(get(s, 'keep'), 'a hot item survives eviction');
  t.ok(get(s, 'k4999'), 'the newest item is there');
  t.equal(get(s, 'k0'), undefined, 'the oldest cold item is gone');
  const items = s.itemStats().find((c) => c.number > 0)!;
  t.ok(items.evicted > 0 && items.evicted_unfetched > 0 && items.number_cold > 0);
  t.ok(s.check().ok);

  const m = Store.create({ memoryLimit: 2 * MiB, pageSize: 64 * KiB, evict: false, startTime: T0 });
  let firstRefused = -1;
  for (let i = 0; i < 5000; i++) {
    if (set(m, `k${i}`, v) === Stored.NO_MEMORY) {
      firstRefused = i;
      break;
    }
  }
  t.ok(firstRefused > 0, `-M: refused at item ${firstRefused}`);
  t.ok(get(m, 'k0'), '-M keeps the old items');
  t.equal(m.stats().evictions, 0);
  t.ok(m.itemStats()[0].outofmemory > 0);
  set(m, 'e', 'x', 0, 1);
  t.ok(m.check().ok);
});

t.test('-M still reclaims expired items to make room', async (t) => {
  const m = Store.create({ memoryLimit: 2 * MiB, pageSize: 64 * KiB, evict: false, startTime: T0 });
  const v = Buffer.alloc(1000);
  let n = 0;
  while (set(m, `k${n}`, v, 0, 5) === Stored.STORED) n++;
  m.setTime(T0 + 10);
  t.equal(set(m, 'after', v), Stored.STORED, 'an expired item made room');
  t.ok(m.stats().reclaimed > 0);
});

t.test('the crawler reclaims expired and flushed items', async (t) => {
  const s = fresh();
  for (let i = 0; i < 1000; i++) set(s, `e${i}`, 'v', 0, i % 2 ? 5 : 0);
  s.setTime(T0 + 6);
  const freed = s.crawl(100);
  t.equal(freed, 500);
  t.equal(s.stats().curr_items, 500);
  t.equal(s.stats().crawler_reclaimed, 500);
  s.flushAll();
  s.crawl(100);
  t.equal(s.stats().curr_items, 0);
  t.ok(s.check().ok);
});

t.test('the hash table grows while serving', async (t) => {
  const s = Store.create({ memoryLimit: 64 * MiB, hashPower: 12, startTime: T0 });
  for (let i = 0; i < 50_000; i++) set(s, `key:${i}`, `value:${i}`);
  const st = s.stats();
  t.ok(st.hash_buckets >= 50_000, `one bucket an item: ${st.hash_buckets} buckets`);
  t.ok(st.hash_expansions >= 3);
  let ok = 0;
  for (let i = 0; i < 50_000; i++) if (get(s, `key:${i}`)?.value === `value:${i}`) ok++;
  t.equal(ok, 50_000);
  t.ok(s.check().ok);
});

t.test('stats carry memcached names and agree with the data', async (t) => {
  const s = fresh();
  for (let i = 0; i < 100; i++) set(s, `k${i}`, 'x'.repeat(100));
  for (let i = 0; i < 10; i++) del(s, `k${i}`);
  const st = s.stats();
  t.equal(st.curr_items, 90);
  t.equal(st.total_items, 100);
  t.equal(st.bytes, 90 * (40 + 3 + 100), 'bytes = header + key + value of live items');
  t.equal(st.limit_maxbytes, 16 * MiB);
  t.equal(st.total_malloced, MiB);
  const slab = s.slabStats()[0];
  t.equal(slab.chunk_size, 144);
  t.equal(slab.used_chunks, 90);
  t.equal(slab.total_chunks, Math.floor(MiB / 144));
  t.equal(slab.free_chunks, slab.total_chunks - 90);
  const items = s.itemStats()[0];
  t.equal(items.number, 90);
  t.equal(items.number_hot + items.number_warm + items.number_cold, 90);
});

t.test('another handle on the same memory sees every write', async (t) => {
  const s = fresh();
  const other = Store.open(s.shared, 1);
  set(s, 'k', 'v');
  t.equal(get(other, 'k')?.value, 'v');
  set(other, 'k', 'w');
  t.equal(get(s, 'k')?.value, 'w');
  other.setTime(T0 + 100);
  t.equal(s.relativeTime, 102, 'one clock for all handles');
  t.throws(
    () =>
      Store.open({ ...s.shared, control: new SharedArrayBuffer(s.shared.control.byteLength) }, 2),
    /layout/,
  );
});

t.test('slabs reassign moves a page to another class', async (t) => {
  const s = Store.create({ memoryLimit: 4 * MiB, pageSize: 64 * KiB, startTime: T0 });
  for (let i = 0; i < 2000; i++) set(s, `small${i}`, 'x'.repeat(50));
  const small = s.slabStats().find((c) => c.used_chunks > 0)!;
  t.ok(small.total_pages >= 2);
  t.equal(s.reassignPage(small.id, small.id), Reassign.SAME);
  t.equal(s.reassignPage(small.id, 99), Reassign.BADCLASS);
  t.equal(s.reassignPage(small.id + 5, small.id), Reassign.NOSPARE, 'a class with no pages');
  const before = s.stats().curr_items;
  t.equal(s.reassignPage(small.id, small.id + 5), Reassign.OK);
  const after = s.slabStats();
  t.equal(after.find((c) => c.id === small.id)!.total_pages, small.total_pages - 1);
  const dst = after.find((c) => c.id === small.id + 5)!;
  t.same([dst.total_pages, dst.used_chunks, dst.free_chunks], [1, 0, dst.total_chunks]);
  t.ok(s.stats().curr_items < before, 'the moved page lost its items');
  t.ok(s.check().ok, JSON.stringify(s.check().errors));
  t.equal(set(s, 'big', 'y'.repeat(50 * 1.25 ** 5)), Stored.STORED);
  t.equal(s.reassignPage(-1, small.id + 5), Reassign.OK, '-1 picks a source');
  t.ok(s.check().ok, JSON.stringify(s.check().errors));
});

t.test('a same-class overwrite is written in place and booked like a new item', async (t) => {
  const s = fresh();
  set(s, 'k', 'a'.repeat(100));
  const before = s.slabStats()[0];
  const cas1 = get(s, 'k')!.cas;
  set(s, 'k', 'b'.repeat(90), 7, 50);
  const hit = get(s, 'k')!;
  t.same([hit.value, hit.flags, hit.ttl], ['b'.repeat(90), 7, 50]);
  t.ok(hit.cas > cas1, 'a new CAS');
  const after = s.slabStats()[0];
  t.equal(after.used_chunks, before.used_chunks, 'no new chunk');
  t.equal(after.mem_requested, before.mem_requested - 10, 'bytes follow the new length');
  t.equal(s.stats().total_items, 2, 'counted as a store');
  t.equal(s.stats().curr_items, 1);
  // Every length around word boundaries, after keys of every alignment.
  for (let klen = 1; klen <= 8; klen++) {
    for (let vlen = 0; vlen <= 40; vlen++) {
      const key = 'x'.repeat(klen);
      const value = Buffer.from(Array.from({ length: vlen }, (_, i) => (i * 37 + klen) & 0xff));
      set(s, key, value);
      if (!Buffer.from(get(s, key)!.value, 'latin1').equals(value))
        t.fail(`key ${klen} value ${vlen}`);
    }
  }
  t.ok(s.check().ok, JSON.stringify(s.check().errors));
});

t.test('recoverLocks frees exactly the locks a dead thread left', async (t) => {
  const s = fresh();
  const other = Store.open(s.shared, 5);
  other.debugHoldKeyLock(Buffer.from('a'), 0, 1);
  other.debugHoldKeyLock(Buffer.from('zz'), 0, 2);
  t.equal(s.check().ok, false, 'the held locks show');
  t.equal(s.recoverLocks(6), 0, 'another thread id frees nothing');
  t.equal(s.recoverLocks(5), 2);
  t.equal(s.check().ok, true, s.check().errors.join('; '));
  t.equal(set(s, 'a', 'v'), Stored.STORED, 'the key is usable again');
});
