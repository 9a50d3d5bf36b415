/**
 * memcached's binary protocol over raw sockets against a started server with four worker
 * threads: every opcode, its replies and statuses as memcached 1.6 sends them (checked by
 * hand against memcached 1.6.18), quiet batches, framing across reads, and the protocol
 * errors that close the connection.
 */
import t from 'tap';
import {
  arithExtras,
  brief,
  call,
  Op,
  packet,
  readReplies,
  readReply,
  Status,
  stats,
  u32,
} from './helpers/binary-client.ts';
import { RawClient } from './helpers/raw-client.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
t.before(async () => {
  server = await startTestServer(['-t', '4', '-m', '64']);
});
t.teardown(() => server.close());

/** A connection to this file's server, closed when test `t` ends. */
const client = (t: { teardown(fn: () => void): void }) => RawClient.connectFor(t, server.port);

/** Each subtest works under its own key prefix. */
let prefixes = 0;
function keys(): (name: string) => string {
  const prefix = `b${++prefixes}:`;
  return (name) => prefix + name;
}

const set = (key: string, value: string | Buffer, flags = 0, exptime = 0, cas = 0n) =>
  packet(Op.SET, { key, value, extras: u32(flags, exptime), cas });

t.test('version and noop echo the opaque', async (t) => {
  const c = await client(t);
  const v = await call(c, packet(Op.VERSION, { opaque: 0xfeedface }));
  t.same(
    [v.magic, v.opcode, v.status, v.opaque, v.cas, v.dataType],
    [0x81, Op.VERSION, 0, 0xfeedface, 0n, 0],
  );
  t.match(v.value.toString(), /^\d+\.\d+\.\d+$/);
  const n = await call(c, packet(Op.NOOP, { opaque: 42 }));
  t.same([n.opcode, n.status, n.opaque, n.value.length, n.extras.length], [Op.NOOP, 0, 42, 0, 0]);
});

t.test('set, get, getk: flags as extras, CAS in the header, misses', async (t) => {
  const c = await client(t);
  const k = keys();
  const s = await call(
    c,
    packet(Op.SET, { key: k('a'), value: 'bar', extras: u32(5, 0), opaque: 1 }),
  );
  t.same([s.opcode, s.status, s.opaque, s.value.length], [Op.SET, 0, 1, 0]);
  t.ok(s.cas > 0n, 'a store answers the new CAS');
  const g = await call(c, packet(Op.GET, { key: k('a'), opaque: 2 }));
  t.same(
    [g.status, g.extras.toString('hex'), g.key, g.value.toString()],
    [0, '00000005', '', 'bar'],
  );
  t.equal(g.cas, s.cas, 'a hit carries the item CAS');
  const gk = await call(c, packet(Op.GETK, { key: k('a') }));
  t.same([gk.opcode, gk.key, gk.value.toString(), gk.cas], [Op.GETK, k('a'), 'bar', g.cas]);
  const miss = await call(c, packet(Op.GET, { key: k('none'), opaque: 3 }));
  t.same([miss.status, miss.value.toString(), miss.opaque, miss.cas], [1, 'Not found', 3, 0n]);
  const missK = await call(c, packet(Op.GETK, { key: k('none') }));
  t.same([missK.status, missK.key, missK.value.length], [1, k('none'), 0], 'GETK miss: the key');
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  await call(c, set(k('bin'), all, 0xffffffff));
  const b = await call(c, packet(Op.GET, { key: k('bin') }));
  t.same(b.value, all, 'values are binary-safe');
  t.equal(b.extras.readUInt32BE(0), 0xffffffff, 'flags are unsigned 32-bit');
  await call(c, set(k('empty'), ''));
  t.equal((await call(c, packet(Op.GET, { key: k('empty') }))).value.length, 0);
  const long = 'k'.repeat(250);
  t.equal((await call(c, set(long, 'x'))).status, 0, 'a 250-byte key');
  t.equal((await call(c, packet(Op.GETK, { key: long }))).key, long);
});

t.test('the text protocol sees what binary stored, and back', async (t) => {
  const c = await client(t);
  const text = await client(t);
  const k = keys();
  await call(c, set(k('x'), 'from-binary', 3));
  t.equal(
    await text.call(`get ${k('x')}\r\n`, 'END\r\n'),
    `VALUE ${k('x')} 3 11\r\nfrom-binary\r\nEND\r\n`,
  );
  t.equal(await text.call(`set ${k('y')} 9 0 4\r\ntext\r\n`), 'STORED\r\n');
  const g = await call(c, packet(Op.GET, { key: k('y') }));
  t.same([g.extras.readUInt32BE(0), g.value.toString()], [9, 'text']);
});

t.test('writes on one connection are seen at once on others, across worker threads', async (t) => {
  const k = keys();
  const writer = await client(t);
  const readers = await Promise.all(Array.from({ length: 8 }, () => client(t)));
  for (let i = 0; i < 20; i++) {
    await call(writer, set(k('shared'), `v${i}`));
    for (const r of readers) {
      t.equal((await call(r, packet(Op.GET, { key: k('shared') }))).value.toString(), `v${i}`);
    }
  }
});

t.test('add, replace, append, prepend', async (t) => {
  const c = await client(t);
  const k = keys();
  const add = (key: string, value: string) => packet(Op.ADD, { key, value, extras: u32(0, 0) });
  const replace = (key: string, value: string) =>
    packet(Op.REPLACE, { key, value, extras: u32(7, 0) });
  t.equal((await call(c, add(k('a'), 'x'))).status, 0);
  t.same(brief(await call(c, add(k('a'), 'y'))), '2/2//Data exists for key.');
  t.same(brief(await call(c, replace(k('none'), 'y'))), '3/1//Not found');
  t.equal((await call(c, replace(k('a'), 'z'))).status, 0);
  t.equal((await call(c, packet(Op.APPEND, { key: k('a'), value: '>>' }))).status, 0);
  t.equal((await call(c, packet(Op.PREPEND, { key: k('a'), value: '<<' }))).status, 0);
  t.same(
    brief(await call(c, packet(Op.APPEND, { key: k('none'), value: 'q' }))),
    'e/5//Not stored.',
  );
  t.same(
    brief(await call(c, packet(Op.PREPEND, { key: k('none'), value: 'q' }))),
    'f/5//Not stored.',
  );
  const g = await call(c, packet(Op.GET, { key: k('a') }));
  t.same([g.value.toString(), g.extras.readUInt32BE(0)], ['<<z>>', 7], 'append keeps the flags');
});

t.test('CAS on set, add, replace, append, delete, incr', async (t) => {
  const c = await client(t);
  const k = keys();
  await call(c, set(k('a'), 'one'));
  const { cas } = await call(c, packet(Op.GET, { key: k('a') }));
  const before = await stats(c);
  t.same(brief(await call(c, set(k('a'), 'two', 0, 0, cas + 1000n))), '1/2//Data exists for key.');
  t.equal((await call(c, set(k('a'), 'two', 0, 0, cas))).status, 0, 'the matching CAS stores');
  t.same(brief(await call(c, set(k('a'), 'three', 0, 0, cas))), '1/2//Data exists for key.');
  t.same(brief(await call(c, set(k('none'), 'x', 0, 0, 5n))), '1/1//Not found');
  const addCas = packet(Op.ADD, { key: k('none'), value: 'x', extras: u32(0, 0), cas: 5n });
  t.same(brief(await call(c, addCas)), '2/1//Not found', 'add with a CAS is a cas');
  const after = await stats(c);
  const diff = (name: string) => Number(after.get(name)) - Number(before.get(name));
  t.same([diff('cas_badval'), diff('cas_hits'), diff('cas_misses')], [2, 1, 2]);

  const now = (await call(c, packet(Op.GET, { key: k('a') }))).cas;
  const appendBad = packet(Op.APPEND, { key: k('a'), value: '!', cas: now + 1n });
  t.same(brief(await call(c, appendBad)), 'e/2//Data exists for key.');
  const appended = await call(c, packet(Op.APPEND, { key: k('a'), value: '!', cas: now }));
  t.equal(appended.status, 0);
  t.equal(appended.cas, (await call(c, packet(Op.GET, { key: k('a') }))).cas, 'the new CAS');
  const incr = (cas: bigint) =>
    packet(Op.INCREMENT, { key: k('n'), extras: arithExtras(1n, 5n, 0), cas });
  const created = await call(c, incr(0n));
  t.same(brief(await call(c, incr(created.cas + 1n))), '5/2//Data exists for key.');
  t.equal((await call(c, incr(created.cas))).value.readBigUInt64BE(0), 6n);
  const del = await call(c, packet(Op.DELETE, { key: k('a'), cas: 1n }));
  t.same(brief(del), '4/2//Data exists for key.');
  const cur = (await call(c, packet(Op.GET, { key: k('a') }))).cas;
  t.equal((await call(c, packet(Op.DELETE, { key: k('a'), cas: cur }))).status, 0);
});

t.test('delete and deleteq', async (t) => {
  const c = await client(t);
  const k = keys();
  await call(c, set(k('d'), 'x'));
  const d = await call(c, packet(Op.DELETE, { key: k('d'), opaque: 9 }));
  t.same([d.status, d.opaque, d.cas, d.value.length], [0, 9, 0n, 0]);
  t.same(brief(await call(c, packet(Op.DELETE, { key: k('d') }))), '4/1//Not found');
  await call(c, set(k('d'), 'x'));
  c.write(
    Buffer.concat([packet(Op.DELETEQ, { key: k('d') }), packet(Op.DELETEQ, { key: k('d') })]),
  );
  t.same(brief(await readReply(c)), '14/1//Not found', 'deleteq answers errors only');
  t.equal((await call(c, packet(Op.NOOP))).opcode, Op.NOOP, 'and nothing else came');
});

t.test('increment and decrement', async (t) => {
  const c = await client(t);
  const k = keys();
  const incr = (key: string, delta: bigint, initial = 0n, exptime = 0, op: number = Op.INCREMENT) =>
    packet(op, { key, extras: arithExtras(delta, initial, exptime) });
  const value = (r: { value: Buffer }) => r.value.readBigUInt64BE(0);
  const created = await call(c, incr(k('n'), 5n, 10n));
  t.same([created.status, created.value.length, value(created)], [0, 8, 10n], 'created at initial');
  t.ok(created.cas > 0n, 'with its CAS');
  t.equal(value(await call(c, incr(k('n'), 5n))), 15n);
  t.equal(value(await call(c, incr(k('n'), 100n, 0n, 0, Op.DECREMENT))), 0n, 'decr stops at 0');
  const g = await call(c, packet(Op.GET, { key: k('n') }));
  t.same([g.value.toString(), g.extras.readUInt32BE(0)], ['0 ', 0], 'stored as text');
  const dcreated = await call(c, incr(k('d'), 3n, 7n, 0, Op.DECREMENT));
  t.equal(value(dcreated), 7n, 'decr creates at initial too');
  t.same(brief(await call(c, incr(k('none'), 1n, 0n, 0xffffffff))), '5/1//Not found');
  t.same(brief(await call(c, incr(k('none'), 1n, 0n, 0xffffffff, Op.DECREMENT))), '6/1//Not found');
  await call(c, set(k('max'), '18446744073709551615'));
  t.equal(value(await call(c, incr(k('max'), 2n))), 1n, 'incr wraps at 2^64');
  const big = await call(c, incr(k('big'), 1n, (1n << 64n) - 1n));
  t.equal(value(big), (1n << 64n) - 1n);
  await call(c, set(k('s'), 'abc'));
  t.same(
    brief(await call(c, incr(k('s'), 1n))),
    '5/6//Non-numeric server-side value for incr or decr',
  );
  c.write(
    Buffer.concat([incr(k('n'), 1n, 0n, 0, Op.INCREMENTQ), incr(k('s'), 1n, 0n, 0, Op.DECREMENTQ)]),
  );
  t.same(brief(await readReply(c)), '16/6//Non-numeric server-side value for incr or decr');
  t.equal(value(await call(c, incr(k('n'), 0n))), 1n, 'the quiet incr applied');
});

t.test('touch, gat, gatk and their quiet forms', async (t) => {
  const c = await client(t);
  const k = keys();
  await call(c, set(k('t'), 'tv', 3));
  const { cas } = await call(c, packet(Op.GET, { key: k('t') }));
  const touch = (op: number, key: string, exptime = 100) =>
    packet(op, { key, extras: u32(exptime) });
  const th = await call(c, touch(Op.TOUCH, k('t')));
  t.same([th.status, th.extras.toString('hex'), th.value.length, th.cas], [0, '00000003', 0, cas]);
  const gat = await call(c, touch(Op.GAT, k('t')));
  t.same([gat.status, gat.key, gat.value.toString(), gat.cas], [0, '', 'tv', cas]);
  const gatk = await call(c, touch(Op.GATK, k('t')));
  t.same([gatk.opcode, gatk.key, gatk.value.toString()], [Op.GATK, k('t'), 'tv']);
  t.same(brief(await call(c, touch(Op.TOUCH, k('none')))), '1c/1//Not found');
  t.same(brief(await call(c, touch(Op.GAT, k('none')))), '1d/1//Not found');
  t.same(brief(await call(c, touch(Op.GATK, k('none')))), `23/1/${k('none')}/`);
  c.write(
    Buffer.concat([
      touch(Op.GATQ, k('none')),
      touch(Op.GATKQ, k('none')),
      touch(Op.GATQ, k('t')),
      touch(Op.GATKQ, k('t')),
      packet(Op.NOOP),
    ]),
  );
  t.same((await readReplies(c, 3)).map(brief), ['1e/0//tv', `24/0/${k('t')}/tv`, 'a/0//']);
  // An absolute exptime before the server started: expired at once.
  t.equal((await call(c, touch(Op.TOUCH, k('t'), 0x40000000))).status, 0);
  t.same(brief(await call(c, packet(Op.GET, { key: k('t') }))), '0/1//Not found');
});

t.test('flush and flushq, with and without a delay', async (t) => {
  const c = await client(t);
  const k = keys();
  await call(c, set(k('f'), 'x'));
  const delayed = await call(c, packet(Op.FLUSH, { extras: u32(100), opaque: 4 }));
  t.same([delayed.status, delayed.opaque], [0, 4]);
  t.equal((await call(c, packet(Op.GET, { key: k('f') }))).status, 0, 'not yet flushed');
  c.write(Buffer.concat([packet(Op.FLUSHQ), packet(Op.NOOP)]));
  t.equal((await readReply(c)).opcode, Op.NOOP, 'flushq is silent');
  t.equal((await call(c, packet(Op.GET, { key: k('f') }))).status, Status.KEY_ENOENT);
  t.equal((await call(c, packet(Op.FLUSH))).status, 0);
});

t.test('stat: general, groups, reset, unknown groups', async (t) => {
  const c = await client(t);
  const k = keys();
  await call(c, set(k('s'), 'x'));
  await call(c, packet(Op.GET, { key: k('s') }));
  const general = await stats(c);
  t.match(general.get('pid'), /^\d+$/);
  t.equal(general.get('threads'), '4');
  t.ok(Number(general.get('get_hits')) >= 1);
  t.equal((await stats(c, 'settings')).get('binding_protocol'), 'auto-negotiate');
  t.ok((await stats(c, 'items')).has('items:1:number'));
  t.ok((await stats(c, 'slabs')).has('total_malloced'));
  t.same([...(await stats(c, 'sizes'))], [['sizes_status', 'disabled']]);
  t.same([...(await stats(c, 'reset'))], [], 'reset answers the terminator alone');
  t.equal((await stats(c)).get('get_hits'), '0', 'and resets the counters');
  c.write(packet(Op.STAT, { key: 'settings', opaque: 77 }));
  for (;;) {
    const r = await readReply(c);
    if (r.opaque !== 77 || r.opcode !== Op.STAT) t.fail('every stat packet echoes the request');
    if (r.key === '') break;
  }
  for (const group of ['conns', 'bogus', 'detail', 'cachedump 1 1']) {
    t.same(brief(await call(c, packet(Op.STAT, { key: group }))), '10/1//Not found', group);
  }
});

t.test('a quiet batch answers hits and errors only, and noop ends it', async (t) => {
  const c = await client(t);
  const k = keys();
  await call(c, set(k('hit'), 'H'));
  c.write(
    Buffer.concat([
      packet(Op.GETQ, { key: k('miss'), opaque: 1 }),
      packet(Op.GETQ, { key: k('hit'), opaque: 2 }),
      packet(Op.GETKQ, { key: k('miss'), opaque: 3 }),
      packet(Op.GETKQ, { key: k('hit'), opaque: 4 }),
      packet(Op.SETQ, { key: k('new'), value: 'N', extras: u32(0, 0), opaque: 5 }),
      packet(Op.ADDQ, { key: k('hit'), value: 'A', extras: u32(0, 0), opaque: 6 }),
      packet(Op.REPLACEQ, { key: k('new'), value: 'R', extras: u32(0, 0), opaque: 7 }),
      packet(Op.APPENDQ, { key: k('new'), value: '+', opaque: 8 }),
      packet(Op.PREPENDQ, { key: k('miss'), value: '-', opaque: 9 }),
      packet(Op.DELETEQ, { key: k('hit'), opaque: 10 }),
      packet(Op.NOOP, { opaque: 11 }),
    ]),
  );
  const replies = await readReplies(c, 5);
  t.same(
    replies.map((r) => [r.opaque, brief(r)]),
    [
      [2, '9/0//H'],
      [4, `d/0/${k('hit')}/H`],
      [6, '12/2//Data exists for key.'],
      [9, '1a/5//Not stored.'],
      [11, 'a/0//'],
    ],
  );
  t.equal((await call(c, packet(Op.GET, { key: k('new') }))).value.toString(), 'R+');
  t.equal((await call(c, packet(Op.GET, { key: k('hit') }))).status, Status.KEY_ENOENT);
});

/** A pipelined batch whose replies are known; its first two requests remove the key quietly,
 * so every run starts the same. */
function splitBatch(k: (name: string) => string): { batch: Buffer; expected: string[] } {
  const batch = Buffer.concat([
    packet(Op.SETQ, { key: k('a'), value: '', extras: u32(0, 0) }),
    packet(Op.DELETEQ, { key: k('a') }),
    packet(Op.SET, { key: k('a'), value: 'hello\r\nworld', extras: u32(1, 0), opaque: 1 }),
    packet(Op.GETK, { key: k('a'), opaque: 2 }),
    packet(Op.GETQ, { key: k('none'), opaque: 3 }),
    packet(Op.APPENDQ, { key: k('a'), value: '!' }),
    packet(Op.INCREMENT, { key: k('a'), extras: arithExtras(1n, 0n, 0), opaque: 4 }),
    packet(0x50, { opaque: 5 }),
    packet(Op.GET, { key: k('a'), opaque: 6 }),
    packet(Op.NOOP, { opaque: 7 }),
  ]);
  const expected = [
    '1/0//',
    `c/0/${k('a')}/hello\r\nworld`,
    '5/6//Non-numeric server-side value for incr or decr',
    '50/81//Unknown command',
    '0/0//hello\r\nworld!',
    'a/0//',
  ];
  return { batch, expected };
}

t.test('a pipelined batch split at every byte boundary gets the same replies', async (t) => {
  const k = keys();
  const { batch, expected } = splitBatch(k);
  let mismatches = 0;
  for (let split = 1; split <= batch.length; split++) {
    const c = await RawClient.connect(server.port);
    try {
      c.write(batch.subarray(0, split));
      // Let the first part arrive on its own so the server sees two reads.
      await new Promise((r) => setTimeout(r, 2));
      c.write(batch.subarray(split));
      const got = (await readReplies(c, expected.length)).map(brief);
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        mismatches++;
        t.same(got, expected, `split at byte ${split}`);
      }
    } finally {
      c.close();
    }
  }
  t.equal(mismatches, 0, `${batch.length} splits`);
});

t.test('a value arriving over many reads is stored whole', async (t) => {
  const c = await client(t);
  const k = keys();
  const value = Buffer.alloc(900 * 1024);
  for (let i = 0; i < value.length; i++) value[i] = (i * 7) & 0xff;
  const p = set(k('big'), value);
  for (let at = 0; at < p.length; at += 64 * 1024) {
    c.write(p.subarray(at, at + 64 * 1024));
    await new Promise((r) => setTimeout(r, 1));
  }
  t.equal((await readReply(c)).status, 0);
  t.same((await call(c, packet(Op.GET, { key: k('big') }))).value, value);
});

t.test('a value over the item size limit is answered 0x03 and swallowed', async (t) => {
  const c = await client(t);
  const k = keys();
  await call(c, set(k('big'), 'old'));
  const tooBig = Buffer.alloc(1024 * 1024 + 1, 0x61);
  const p = set(k('big'), tooBig);
  c.write(p.subarray(0, 100_000));
  await new Promise((r) => setTimeout(r, 5));
  c.write(Buffer.concat([p.subarray(100_000), packet(Op.NOOP, { opaque: 1 })]));
  t.same(brief(await readReply(c)), '1/3//Too large.');
  t.same((await readReply(c)).opaque, 1, 'the rest of the value was skipped, across reads');
  t.same(brief(await call(c, packet(Op.GET, { key: k('big') }))), '0/1//Not found', 'set drops it');
  await call(c, set(k('kept'), 'old'));
  const append = packet(Op.APPEND, { key: k('kept'), value: tooBig });
  t.same(brief(await call(c, append)), 'e/3//Too large.');
  t.equal((await call(c, packet(Op.GET, { key: k('kept') }))).value.toString(), 'old');
  const combined = Buffer.alloc(600 * 1024, 0x62);
  await call(c, set(k('c'), combined));
  const a2 = packet(Op.APPEND, { key: k('c'), value: combined });
  t.same(brief(await call(c, a2)), 'e/5//Not stored.', 'append past the limit is not stored');
  t.ok(Number((await stats(c)).get('store_too_large')) >= 2);
});

t.test('unknown opcodes answer 0x81 and skip their body', async (t) => {
  const c = await client(t);
  t.same(brief(await call(c, packet(0x50, { opaque: 3 }))), '50/81//Unknown command');
  c.write(Buffer.concat([packet(0x7f, { value: 'xyz' }), packet(Op.NOOP, { opaque: 8 })]));
  t.same(brief(await readReply(c)), '7f/81//Unknown command');
  t.equal((await readReply(c)).opaque, 8, 'the connection goes on after the skipped body');
  for (const op of [Op.SASL_LIST_MECHS, Op.SASL_AUTH]) {
    const p = packet(op, {
      key: op === Op.SASL_AUTH ? 'PLAIN' : '',
      value: op === Op.SASL_AUTH ? '\0a\0b' : '',
    });
    t.same(brief(await call(c, p)), `${op.toString(16)}/81//Unknown command`, 'SASL without -S');
  }
});

t.test(
  'surplus body bytes after a stat are read as the next request, as in memcached',
  async (t) => {
    const c = await client(t);
    const p = packet(Op.STAT, { key: 'sizes', value: packet(Op.NOOP, { opaque: 5 }) });
    c.write(Buffer.concat([p, packet(Op.NOOP, { opaque: 6 })]));
    const got = await readReplies(c, 4);
    t.same(
      got.map((r) => [r.opcode, r.opaque]),
      [
        [Op.STAT, 0],
        [Op.STAT, 0],
        [Op.NOOP, 5],
        [Op.NOOP, 6],
      ],
    );
  },
);

t.test('verbosity takes a 4-byte level', async (t) => {
  const c = await client(t);
  t.same(brief(await call(c, packet(Op.VERBOSITY, { extras: u32(0) }))), '1b/0//');
  t.equal((await stats(c, 'settings')).get('verbosity'), '0');
});

t.test('quit answers then closes; quitq closes silently', async (t) => {
  const c = await client(t);
  c.write(Buffer.concat([packet(Op.QUIT, { opaque: 3 }), packet(Op.NOOP)]));
  t.same((await readReply(c)).opaque, 3);
  await c.closed();
  t.equal(c.pending(), '', 'nothing after quit is answered');
  const q = await client(t);
  q.write(Buffer.concat([packet(Op.QUITQ), packet(Op.NOOP)]));
  await q.closed();
  t.equal(q.pending(), '');
});

t.test('a packet without the request magic closes the connection', async (t) => {
  const c = await client(t);
  t.equal((await call(c, packet(Op.NOOP))).status, 0);
  c.write(Buffer.concat([packet(Op.NOOP, { magic: 0x81 }), packet(Op.NOOP)]));
  await c.closed();
  t.equal(c.pending(), '');
  const partial = await client(t);
  partial.write(Buffer.concat([packet(Op.NOOP, { opaque: 1 }), Buffer.from([0x00, 0x0a])]));
  t.equal((await readReply(partial)).opaque, 1);
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(partial.ended, 'memcached waits for a whole header before judging its magic');
});

t.test('bad lengths: "Invalid arguments" or "Unknown command", then close', async (t) => {
  const cases: [string, Buffer, string][] = [
    ['get with extras', packet(Op.GET, { key: 'k', extras: u32(1) }), '0/4//Invalid arguments'],
    ['get without key', packet(Op.GET), '0/4//Invalid arguments'],
    ['get with a value', packet(Op.GET, { key: 'k', value: 'v' }), '0/4//Invalid arguments'],
    ['key over 250', packet(Op.GET, { key: 'k'.repeat(251) }), '0/4//Invalid arguments'],
    [
      'set without key',
      packet(Op.SET, { value: 'v', extras: u32(0, 0) }),
      '1/4//Invalid arguments',
    ],
    ['set with 4 extras', packet(Op.SET, { key: 'k', extras: u32(0) }), '1/4//Invalid arguments'],
    [
      'append with extras',
      packet(Op.APPEND, { key: 'k', extras: u32(0) }),
      'e/4//Invalid arguments',
    ],
    [
      'delete with extras',
      packet(Op.DELETE, { key: 'k', extras: u32(0) }),
      '4/4//Invalid arguments',
    ],
    [
      'incr with 8 extras',
      packet(Op.INCREMENT, { key: 'k', extras: u32(0, 0) }),
      '5/4//Invalid arguments',
    ],
    ['touch without extras', packet(Op.TOUCH, { key: 'k' }), '1c/4//Invalid arguments'],
    ['flush with 8 extras', packet(Op.FLUSH, { extras: u32(0, 0) }), '8/4//Invalid arguments'],
    ['flush with a key', packet(Op.FLUSH, { key: 'k' }), '8/4//Invalid arguments'],
    ['version with a key', packet(Op.VERSION, { key: 'k' }), 'b/4//Invalid arguments'],
    ['noop with a value', packet(Op.NOOP, { value: 'v' }), 'a/4//Invalid arguments'],
    ['quit with a value', packet(Op.QUIT, { value: 'v' }), '7/4//Invalid arguments'],
    ['stat with extras', packet(Op.STAT, { extras: u32(0) }), '10/4//Invalid arguments'],
    ['verbosity without extras', packet(Op.VERBOSITY), '1b/4//Invalid arguments'],
    [
      'list mechs with a value',
      packet(Op.SASL_LIST_MECHS, { value: 'v' }),
      '20/4//Invalid arguments',
    ],
    [
      'key longer than the body',
      packet(Op.GET, { key: 'abc', bodyLength: 2 }),
      '0/81//Unknown command',
    ],
    [
      'extras longer than the body',
      packet(Op.SET, { key: 'k', extras: u32(0, 0), bodyLength: 4 }),
      '1/81//Unknown command',
    ],
  ];
  for (const [name, request, reply] of cases) {
    const c = await client(t);
    c.write(Buffer.concat([request, packet(Op.NOOP)]));
    t.equal(brief(await readReply(c)), reply, name);
    await c.closed();
    t.equal(c.pending(), '', `${name}: nothing more`);
  }
});

t.test('-F answers flush with "Auth failure."; -C gives CAS 0', async (t) => {
  const other = await startTestServer(['-F', '-C']);
  t.teardown(() => other.close());
  const c = await RawClient.connectFor(t, other.port);
  t.same(brief(await call(c, packet(Op.FLUSH))), '8/20//Auth failure.');
  await call(c, set('k', 'v'));
  const g = await call(c, packet(Op.GET, { key: 'k' }));
  t.same([g.status, g.cas], [0, 0n]);
  t.equal((await call(c, set('k', 'w', 0, 0, 12345n))).status, 0, 'a CAS is ignored, as -C does');
});
