/**
 * The store's meta-protocol operations, in process: metaGet (touch, vivify, recache and
 * stale tokens, no bump), the write extras (E, I, b, N on append), metaDelete (I, x) and the
 * arith extras (E, T, ttl). The server tests drive the same code over sockets from worker
 * threads; these pin the engine's rules down where they are cheap to reach.
 */
import t from 'tap';
import {
  Arith,
  ArithExtras,
  ArithOutput,
  Deleted,
  type ItemView,
  MetaDelete,
  MetaGet,
  MiB,
  Mode,
  Read,
  Store,
  Stored,
  WriteExtras,
} from '../src/index.ts';
import { get, set, write } from './helpers/kv.ts';

const T0 = 1_700_000_000;

function fresh(opts = {}): Store {
  return Store.create({ memoryLimit: 16 * MiB, startTime: T0, ...opts });
}

interface Seen {
  value: string;
  flags: number;
  cas: number;
  ttl: number;
  idle: number;
  fetched: boolean;
  keyBinary: boolean;
  key: string;
  classId: number;
  size: number;
  created: boolean;
  won: boolean;
  tokenSent: boolean;
  stale: boolean;
  ttlBefore: number;
}

function mg(
  s: Store,
  key: string,
  setup: (r: MetaGet) => void = () => {},
): { result: number; seen: Seen | null } {
  const r = new MetaGet();
  setup(r);
  let seen: Seen | null = null;
  const reader = {
    onHit(item: ItemView) {
      const v = Buffer.alloc(item.valueLength);
      item.copyValue(v, 0);
      const k = Buffer.alloc(item.keyLength);
      item.copyKey(k, 0);
      seen = {
        value: v.toString('latin1'),
        flags: item.flags,
        cas: item.cas,
        ttl: item.ttl,
        idle: item.idleSeconds,
        fetched: item.fetched,
        keyBinary: item.keyBinary,
        key: k.toString('latin1'),
        classId: item.classId,
        size: item.totalSize,
        created: r.created,
        won: r.won,
        tokenSent: r.tokenSent,
        stale: r.stale,
        ttlBefore: r.ttlBefore,
      };
    },
  };
  const k = Buffer.from(key);
  const result = s.metaGet(k, 0, k.length, r, reader);
  return { result, seen };
}

function extrasWith(fill: (x: WriteExtras) => void): WriteExtras {
  const x = new WriteExtras();
  fill(x);
  return x;
}

function ms(s: Store, mode: number, key: string, value: string, extras: WriteExtras, cas = 0) {
  const k = Buffer.from(key);
  const v = Buffer.from(value);
  return s.write(mode as 0, k, 0, k.length, v, 0, v.length, 7, 0, cas, extras);
}

function md(s: Store, key: string, fill: (o: MetaDelete) => void, cas = 0): number {
  const o = new MetaDelete();
  fill(o);
  const k = Buffer.from(key);
  return s.metaDelete(k, 0, k.length, cas, o);
}

t.test('metaGet: a plain hit reports the item before this read bumps it', async (t) => {
  const s = fresh();
  set(s, 'a', 'hello', 9, 100);
  s.setTime(T0 + 5);
  const first = mg(s, 'a').seen!;
  t.equal(first.value, 'hello');
  t.equal(first.flags, 9);
  t.equal(first.fetched, false, 'h: not hit before');
  t.equal(first.idle, 5, 'l: seconds since the set');
  t.equal(first.key, 'a');
  t.equal(first.keyBinary, false);
  t.equal(first.size, s.settings.headerBytes + 1 + 5);
  t.ok(first.classId >= 1);
  t.equal(first.ttlBefore, 95);
  t.same([first.created, first.won, first.tokenSent, first.stale], [false, false, false, false]);
  const second = mg(s, 'a').seen!;
  t.equal(second.fetched, true);
  t.equal(second.idle, 0, 'the first read moved the access time');
  t.equal(mg(s, 'missing').result, Read.MISS);
});

t.test('metaGet u (noBump) leaves the access time and fetched bit alone', async (t) => {
  const s = fresh();
  set(s, 'a', 'x');
  s.setTime(T0 + 7);
  mg(s, 'a', (r) => {
    r.noBump = true;
  });
  const after = mg(s, 'a').seen!;
  t.equal(after.fetched, false);
  t.equal(after.idle, 7);
});

t.test('metaGet T touches; dead items are misses that vivify can replace', async (t) => {
  const s = fresh();
  set(s, 'a', 'x', 0, 10);
  const touched = mg(s, 'a', (r) => {
    r.touch = true;
    r.exptime = 300;
  }).seen!;
  t.equal(touched.ttl, 300);
  t.equal(touched.ttlBefore, 10);
  set(s, 'gone', 'x', 0, 1);
  s.setTime(T0 + 5);
  t.equal(mg(s, 'gone').result, Read.EXPIRED);
  set(s, 'flushed', 'x');
  s.flushAll();
  s.setTime(T0 + 6);
  const viv = mg(s, 'flushed', (r) => {
    r.vivify = true;
    r.vivifyExptime = 30;
  });
  t.equal(viv.result, Read.HIT, 'a flushed item is replaced by the vivified one');
  t.equal(viv.seen!.created, true);
  t.equal(viv.seen!.value, '');
});

t.test('metaGet N: the first miss wins the token, the next sees Z', async (t) => {
  const s = fresh();
  const vivify = (r: MetaGet) => {
    r.vivify = true;
    r.vivifyExptime = 30;
  };
  const first = mg(s, 'k', vivify).seen!;
  t.same([first.created, first.won, first.tokenSent], [true, true, false]);
  t.equal(first.ttl, 30);
  t.equal(first.ttlBefore, -1, 'a new item had no TTL before N');
  t.equal(first.value, '');
  const second = mg(s, 'k', vivify).seen!;
  t.same([second.created, second.won, second.tokenSent], [false, false, true]);
  set(s, 'k', 'filled');
  const third = mg(s, 'k', vivify).seen!;
  t.same([third.won, third.tokenSent], [false, false], 'a new value clears the token');
});

t.test(
  'metaGet N with T: the later flag sets the TTL; E sets the CAS; b marks the key',
  async (t) => {
    const s = fresh();
    const a = mg(s, 'a', (r) => {
      r.vivify = true;
      r.vivifyExptime = 30;
      r.touch = true;
      r.exptime = 90;
      r.touchAfterVivify = true;
      r.newCas = 4242;
      r.keyBinary = true;
    }).seen!;
    t.equal(a.ttl, 90);
    t.equal(a.cas, 4242);
    t.equal(a.keyBinary, true);
    const b = mg(s, 'b', (r) => {
      r.vivify = true;
      r.vivifyExptime = 30;
      r.touch = true;
      r.exptime = 90;
    }).seen!;
    t.equal(b.ttl, 30, 'N after T wins');
  },
);

t.test('metaGet R: recache wins once when the TTL runs low', async (t) => {
  const s = fresh();
  set(s, 'r', 'v', 0, 100);
  const recache = (r: MetaGet) => {
    r.recache = true;
    r.recacheExptime = 30;
  };
  t.equal(mg(s, 'r', recache).seen!.won, false, '100 s left is not below 30');
  s.setTime(T0 + 80);
  const win = mg(s, 'r', recache).seen!;
  t.same([win.won, win.tokenSent], [true, false]);
  const after = mg(s, 'r', recache).seen!;
  t.same([after.won, after.tokenSent], [false, true]);
  set(s, 'forever', 'v');
  t.equal(mg(s, 'forever', recache).seen!.won, false, 'no TTL, no recache');
});

t.test('metaDelete I: stale with a new CAS, the token back in play; peek takes none', async (t) => {
  const s = fresh();
  set(s, 's', 'old', 0, 100);
  const cas = get(s, 's')!.cas;
  t.equal(
    md(s, 's', (o) => {
      o.invalidate = true;
      o.touch = true;
      o.exptime = 30;
    }),
    Deleted.DELETED,
  );
  t.ok(s.lastCas > cas);
  const peek = mg(s, 's', (r) => {
    r.peek = true;
    r.noBump = true;
  }).seen!;
  t.same([peek.stale, peek.won], [true, false], 'me looks without taking the token');
  const first = mg(s, 's').seen!;
  t.same([first.stale, first.won, first.tokenSent], [true, true, false]);
  t.equal(first.ttl, 30);
  t.equal(first.cas, s.lastCas);
  const second = mg(s, 's').seen!;
  t.same([second.stale, second.won, second.tokenSent], [true, false, true]);
  md(s, 's', (o) => {
    o.invalidate = true;
    o.newCas = 777;
  });
  t.same(mg(s, 's').seen!.won, true, 'invalidating again frees the token');
  t.equal(get(s, 's')!.cas, 777, 'E names the CAS');
});

t.test('write I: a cas older than the item stores the value as stale', async (t) => {
  const s = fresh();
  set(s, 'w', 'v1', 0, 100);
  const old = get(s, 'w')!.cas;
  set(s, 'w', 'v2', 0, 100);
  md(s, 'w', (o) => {
    o.invalidate = true;
  });
  mg(s, 'w'); // takes the token
  const inv = extrasWith((x) => {
    x.invalidate = true;
  });
  t.equal(ms(s, Mode.CAS, 'w', 'v1-again', inv, old), Stored.STORED);
  const seen = mg(s, 'w').seen!;
  t.equal(seen.value, 'v1-again');
  t.same([seen.stale, seen.tokenSent], [true, true], 'stale, and the token stays out');
  t.equal(ms(s, Mode.CAS, 'w', 'x', inv, s.lastCas + 1000), Stored.EXISTS, 'a newer cas: EXISTS');
  t.equal(ms(s, Mode.CAS, 'w', 'x', new WriteExtras(), old), Stored.EXISTS, 'no I: EXISTS');
});

t.test('write extras: E sets the CAS, b the key mark; a set clears stale state', async (t) => {
  const s = fresh();
  const e = extrasWith((x) => {
    x.newCas = 5000;
    x.keyBinary = true;
  });
  t.equal(ms(s, Mode.SET, 'e', 'one', e), Stored.STORED);
  t.equal(s.lastCas, 5000);
  const seen = mg(s, 'e').seen!;
  t.equal(seen.cas, 5000);
  t.equal(seen.keyBinary, true);
  md(s, 'e', (o) => {
    o.invalidate = true;
  });
  // Same size class: the in-place path must reset the meta state too.
  t.equal(ms(s, Mode.SET, 'e', 'two', new WriteExtras()), Stored.STORED);
  const after = mg(s, 'e').seen!;
  t.same([after.stale, after.tokenSent, after.keyBinary], [false, false, false]);
  t.not(after.cas, 5000);
  t.equal(ms(s, Mode.APPEND, 'e', '+', e), Stored.STORED);
  t.equal(get(s, 'e')!.cas, 5000, 'E on append');
  const noCas = Store.create({ memoryLimit: 16 * MiB, startTime: T0, cas: false });
  t.equal(ms(noCas, Mode.SET, 'e', 'x', e), Stored.STORED);
  t.equal(noCas.lastCas, 0, 'with -C every CAS is 0');
});

t.test('write N on append: a miss creates the item with its flags and TTL', async (t) => {
  const s = fresh();
  const viv = extrasWith((x) => {
    x.appendVivify = true;
    x.vivifyExptime = 60;
  });
  t.equal(ms(s, Mode.APPEND, 'ap', 'abc', viv), Stored.STORED);
  const hit = get(s, 'ap')!;
  t.same([hit.value, hit.flags, hit.ttl], ['abc', 7, 60]);
  t.equal(ms(s, Mode.PREPEND, 'ap', '>', viv), Stored.STORED);
  t.equal(get(s, 'ap')!.value, '>abc');
  t.equal(ms(s, Mode.APPEND, 'nope', 'x', new WriteExtras()), Stored.NOT_STORED);
  t.equal(write(s, Mode.APPEND, 'nope', 'x'), Stored.NOT_STORED);
});

t.test('metaDelete x: an empty value with md’s flags and TTL, the CAS kept', async (t) => {
  const s = fresh();
  set(s, 'x', 'hello', 33, 100);
  const cas = get(s, 'x')!.cas;
  t.equal(
    md(s, 'x', (o) => {
      o.removeValue = true;
    }),
    Deleted.DELETED,
  );
  const hit = get(s, 'x')!;
  t.same([hit.value, hit.flags, hit.ttl, hit.cas], ['', 0, -1, cas]);
  md(s, 'x', (o) => {
    o.removeValue = true;
    o.flags = 9;
    o.touch = true;
    o.exptime = 50;
    o.newCas = 99;
  });
  const again = get(s, 'x')!;
  t.same([again.flags, again.ttl, again.cas], [9, 50, 99]);
  // A chained (very large) value goes with its chunks.
  const big = Buffer.alloc(3 * MiB, 0x61);
  const s2 = Store.create({ memoryLimit: 32 * MiB, startTime: T0, itemSizeMax: 4 * MiB });
  set(s2, 'big', big);
  md(s2, 'big', (o) => {
    o.removeValue = true;
  });
  t.equal(get(s2, 'big')!.value, '');
  t.equal(s2.check().ok, true, 'the chain was freed cleanly');
});

t.test('metaDelete: CAS, misses, dead items and the plain path', async (t) => {
  const s = fresh();
  set(s, 'd', 'v', 0, 10);
  const inv = (o: MetaDelete) => {
    o.invalidate = true;
  };
  t.equal(md(s, 'd', inv, 12345), Deleted.EXISTS);
  t.equal(md(s, 'nope', inv), Deleted.NOT_FOUND);
  s.setTime(T0 + 20);
  t.equal(md(s, 'd', inv), Deleted.NOT_FOUND, 'an expired item is gone');
  set(s, 'p', 'v');
  t.equal(
    md(s, 'p', () => {}),
    Deleted.DELETED,
  );
  t.equal(get(s, 'p'), undefined);
  t.equal(s.check().ok, true);
});

t.test('arith extras: E, T, ttl, and T against N in request order', async (t) => {
  const s = fresh();
  const k = Buffer.from('n');
  const out = new ArithOutput();
  const x = new ArithExtras();
  x.touch = true;
  x.exptime = 90;
  // Created: N's TTL (60) stands unless T came after N.
  t.equal(s.arith(k, 0, 1, true, 1n, out, 5n, 60, 0, x), Arith.OK);
  t.same([out.created, out.value, out.ttl, out.ttlBefore], [true, 5n, 60, -1]);
  x.touchAfterVivify = true;
  const k2 = Buffer.from('m');
  s.arith(k2, 0, 1, true, 1n, out, 5n, 60, 0, x);
  t.equal(out.ttl, 90, 'T after N');
  // Existing: T applies; ttlBefore is the old TTL.
  x.newCas = 8080;
  t.equal(s.arith(k, 0, 1, true, 2n, out, null, 0, 0, x), Arith.OK);
  t.same([out.created, out.value, out.ttl, out.ttlBefore, out.cas], [false, 7n, 90, 60, 8080]);
  t.equal(s.lastCas, 8080);
  t.equal(s.arith(k, 0, 1, true, 1n, out, null, 0, 1, null), Arith.EXISTS);
  t.equal(s.arith(Buffer.from('q'), 0, 1, true, 1n, out, null, 0, 0, null), Arith.NOT_FOUND);
});
