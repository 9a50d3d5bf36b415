/** Shared-memory counters: per-thread slots, sums, the reset baseline, and the helpers every
 * protocol uses to count reads and stores the way memcached does. */
import { Read, Stored } from '@slabcache/store';
import t from 'tap';
import {
  C,
  Counters,
  countersBytes,
  countHit,
  countRead,
  countStore,
  slabCounter,
} from '../src/stats/counters.ts';

t.test('threads count in their own slots; sum and reset', async (t) => {
  const buf = new SharedArrayBuffer(countersBytes(2));
  const a = new Counters(buf, 2, 0);
  const b = new Counters(buf, 2, 1);
  a.mine[C.cmd_get] += 3;
  b.mine[C.cmd_get] += 4;
  b.mine[C.curr_connections] += 2;
  t.equal(a.sum()[C.cmd_get], 7);
  a.reset();
  t.equal(b.sum()[C.cmd_get], 0, 'reset zeroes the sums');
  t.equal(b.sum()[C.curr_connections], 2, 'gauges survive a reset');
  a.mine[C.cmd_get]++;
  t.equal(b.sum()[C.cmd_get], 1);
});

t.test('countRead: gets and touches, hits, misses, expired and flushed', async (t) => {
  const s = new Float64Array(countersBytes(0) / 8);
  countRead(s, Read.HIT, false, 3);
  countRead(s, Read.MISS, false, 3);
  countRead(s, Read.EXPIRED, false, 0);
  countRead(s, Read.FLUSHED, true, 0);
  countRead(s, Read.HIT, true, 4);
  t.same(
    [s[C.cmd_get], s[C.get_hits], s[C.get_misses], s[C.get_expired], s[C.get_flushed]],
    [3, 1, 2, 1, 1],
  );
  t.same([s[C.cmd_touch], s[C.touch_hits], s[C.touch_misses]], [2, 1, 1]);
  t.equal(s[slabCounter(3, 0)], 1, 'class 3: one get hit');
  t.equal(s[slabCounter(4, 7)], 1, 'class 4: one touch hit');
});

t.test('countStore: every store, and a cas by its outcome', async (t) => {
  const s = new Float64Array(countersBytes(0) / 8);
  countStore(s, Stored.STORED, false, 2);
  countStore(s, Stored.STORED, true, 2);
  countStore(s, Stored.EXISTS, true, 2);
  countStore(s, Stored.NOT_FOUND, true, 0);
  countStore(s, Stored.NOT_STORED, true, 0);
  t.same([s[C.cmd_set], s[C.cas_hits], s[C.cas_badval], s[C.cas_misses]], [5, 1, 1, 1]);
  t.same([s[slabCounter(2, 1)], s[slabCounter(2, 5)], s[slabCounter(2, 6)]], [3, 1, 1]);
});

t.test('countHit: delete, incr, decr and touch hits, overall and per class', async (t) => {
  const s = new Float64Array(countersBytes(0) / 8);
  countHit(s, C.delete_hits, 5);
  countHit(s, C.incr_hits, 5);
  countHit(s, C.decr_hits, 5);
  countHit(s, C.touch_hits, 0);
  t.same([s[C.delete_hits], s[C.incr_hits], s[C.decr_hits], s[C.touch_hits]], [1, 1, 1, 1]);
  t.same(
    [2, 3, 4].map((f) => s[slabCounter(5, f)]),
    [1, 1, 1],
  );
});
