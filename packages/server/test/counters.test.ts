/** Shared-memory counters: per-thread slots, sums, the reset baseline, and the helpers every
 * protocol uses to count reads and stores the way memcached does. */
import { Read, Stored } from '@slabcache/store';
import t from 'tap';
import { C, Counters, countersBytes, countRead, countStore } from '../src/stats/counters.ts';

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
  const s = new Float64Array(64);
  countRead(s, Read.HIT, false);
  countRead(s, Read.MISS, false);
  countRead(s, Read.EXPIRED, false);
  countRead(s, Read.FLUSHED, true);
  countRead(s, Read.HIT, true);
  t.same(
    [s[C.cmd_get], s[C.get_hits], s[C.get_misses], s[C.get_expired], s[C.get_flushed]],
    [3, 1, 2, 1, 1],
  );
  t.same([s[C.cmd_touch], s[C.touch_hits], s[C.touch_misses]], [2, 1, 1]);
});

t.test('countStore: every store, and a cas by its outcome', async (t) => {
  const s = new Float64Array(64);
  countStore(s, Stored.STORED, false);
  countStore(s, Stored.STORED, true);
  countStore(s, Stored.EXISTS, true);
  countStore(s, Stored.NOT_FOUND, true);
  countStore(s, Stored.NOT_STORED, true);
  t.same([s[C.cmd_set], s[C.cas_hits], s[C.cas_badval], s[C.cas_misses]], [5, 1, 1, 1]);
});
