/**
 * @slabcache/client's parts that need no server: address parsing, the ketama arithmetic, the
 * serializer and compression flags (pylibmc's), the local cache, backoff, key checks, error
 * codes, and the reply readers fed one byte at a time (including the reply decoders this
 * client added to @slabcache/protocol).
 */
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import {
  Codes,
  ConnectionError,
  continuumName,
  defaultSerializer,
  Flags,
  ketamaGroups,
  PartialResultError,
  parseServer,
  Ring,
  ServerDownError,
  SlabcacheError,
  TimeoutError,
} from '@slabcache/client';
import t from 'tap';
import { backoffDelay } from '../packages/client/src/backoff.ts';
import { Compression, decompress } from '../packages/client/src/compression.ts';
import { neverSent } from '../packages/client/src/errors.ts';
import { checkKey } from '../packages/client/src/keys.ts';
import { LocalCache } from '../packages/client/src/local-cache.ts';
import { binary } from '../packages/client/src/protocols/binary.ts';
import { meta } from '../packages/client/src/protocols/meta.ts';
import { text } from '../packages/client/src/protocols/text.ts';
import { ReplyBuffer, type Request } from '../packages/client/src/request.ts';
import {
  Binary,
  isErrorLine,
  MetaReply,
  MetaStatus,
  ValueLine,
} from '../packages/protocol/src/index.ts';

const ascii = (s: string) => Buffer.from(s, 'latin1');

t.test('server addresses', async (t) => {
  t.same(parseServer('10.0.0.1'), {
    host: '10.0.0.1',
    port: 11211,
    weight: 1,
    address: '10.0.0.1:11211',
  });
  t.same(parseServer('cache-2:11311'), {
    host: 'cache-2',
    port: 11311,
    weight: 1,
    address: 'cache-2:11311',
  });
  t.same(parseServer('[::1]:11212'), {
    host: '::1',
    port: 11212,
    weight: 1,
    address: '[::1]:11212',
  });
  t.same(parseServer('[::1]'), { host: '::1', port: 11211, weight: 1, address: '[::1]:11211' });
  t.same(parseServer('fe80::1'), {
    host: 'fe80::1',
    port: 11211,
    weight: 1,
    address: '[fe80::1]:11211',
  });
  t.same(parseServer({ host: 'a', weight: 3 }), {
    host: 'a',
    port: 11211,
    weight: 3,
    address: 'a:11211',
  });
  t.same(parseServer({ host: '[::2]', port: 1 }).address, '[::2]:1');
  for (const bad of ['a:b', 'a:0', 'a:70000', ':11211', ''])
    t.throws(() => parseServer(bad), TypeError, bad);
  for (const weight of [0, 1.5, -1]) t.throws(() => parseServer({ host: 'a', weight }), /weight/);
  t.throws(() => parseServer(42 as unknown as string), TypeError);
});

t.test('ketama: libmemcached point counts and names', async (t) => {
  t.equal(ketamaGroups(1, 3, 3), 40, '3 equal servers: 40 groups of 4 points');
  t.equal(ketamaGroups(1, 25, 25), 39, '25 equal servers: 39 in 32-bit floats (40 in doubles)');
  t.equal(Math.floor((1 / 25) * 40 * 25), 40, 'the double-precision count hashring would use');
  t.equal(ketamaGroups(5, 8, 3), 75);
  t.equal(ketamaGroups(1, 8, 3), 15);
  t.equal(ketamaGroups(1, 1, 1), 40);
  t.equal(continuumName(parseServer('10.0.0.1:11211')), '10.0.0.1', 'the default port is left out');
  t.equal(continuumName(parseServer('10.0.0.1:11212')), '10.0.0.1:11212');
  t.equal(continuumName(parseServer('[::1]:11212')), '::1:11212');

  const one = new Ring([parseServer('a:1')]);
  t.equal(one.indexOf('anything'), 0);
  t.same(one.order('anything'), [0]);
  const three = new Ring(['a:1', 'b:1', 'c:1'].map(parseServer));
  const counts = [0, 0, 0];
  for (let i = 0; i < 3000; i++) counts[three.indexOf(`k${i}`)]++;
  t.ok(
    counts.every((c) => c > 800),
    `spread ${counts}`,
  );
  const order = three.order('k1');
  t.equal(order[0], three.indexOf('k1'), 'failover order starts at the owner');
  t.same([...order].sort(), [0, 1, 2], 'and lists every server once');
  t.throws(() => new Ring([]), /no servers/);
  t.throws(() => new Ring(['a:11211', 'a'].map(parseServer)), /listed twice/);
});

t.test('serializer: types in the flags, as pylibmc writes them', async (t) => {
  const s = defaultSerializer;
  const round = (v: unknown) => {
    const { value, flags } = s.serialize(v);
    return s.deserialize(Buffer.from(value), flags);
  };
  t.same(s.serialize('é'), { value: Buffer.from('é'), flags: Flags.TEXT });
  t.same(s.serialize(42), { value: ascii('42'), flags: Flags.LONG });
  t.same(s.serialize(2n ** 64n), { value: ascii('18446744073709551616'), flags: Flags.LONG });
  t.same(s.serialize({ a: 1 }), { value: ascii('{"a":1}'), flags: Flags.JSON });
  t.equal(s.serialize(new Uint8Array([1, 2])).flags, Flags.BYTES);
  for (const v of [
    '',
    'text',
    0,
    -5,
    2 ** 53 - 1,
    2n ** 70n,
    1.25,
    true,
    false,
    null,
    [1, [2]],
    { x: 'y' },
  ]) {
    t.same(round(v), v, `${typeof v} ${String(v)}`);
  }
  t.equal(round(7n), 7, 'a small bigint reads back as a number');
  t.same(round(Buffer.from([0, 255])), Buffer.from([0, 255]));
  t.equal(s.deserialize(ascii('12'), Flags.INTEGER), 12, 'pylibmc INTEGER');
  t.equal(s.deserialize(ascii('1'), Flags.INTEGER | 0x100), 1, 'other bits ignored');
  t.same(s.deserialize(ascii('raw'), Flags.PICKLE), ascii('raw'), 'a pickle stays bytes');
  t.same(s.deserialize(ascii('raw'), 1 << 12), ascii('raw'), 'unknown flags: bytes');
  for (const bad of [undefined, () => 1, Symbol('x')]) t.throws(() => s.serialize(bad), TypeError);
});

t.test('compression: zlib, flag bit 3, only when it pays', async (t) => {
  const c = new Compression({ threshold: 100 });
  const text = { value: ascii('ab'.repeat(500)), flags: Flags.TEXT };
  const packed = await c.compress(text);
  t.equal(packed.flags, Flags.TEXT | Flags.COMPRESSED);
  t.ok(packed.value.length < 100);
  t.same(await decompress(Buffer.from(packed.value), packed.flags), text.value);
  const small = { value: ascii('ab'.repeat(10)), flags: Flags.TEXT };
  t.equal(await c.compress(small), small, 'below the threshold: untouched');
  const noise = { value: randomBytes(500), flags: 0 };
  t.equal((await c.compress(noise)).flags, 0, 'not smaller: stored as is');
  const big = { value: Buffer.alloc(200 * 1024, 'xyz'), flags: 0 };
  const bigPacked = await c.compress(big);
  t.same(
    await decompress(Buffer.from(bigPacked.value), bigPacked.flags),
    big.value,
    'large: on the thread pool',
  );
  // What pylibmc stored for "x" * 2000 with min_compress_len (Python's zlib.compress).
  const fromPython = Buffer.from('eJyrqBgFo2AUjIJRMApGwVAHAM9Aqa4=', 'base64');
  t.same(await decompress(fromPython, Flags.TEXT | Flags.COMPRESSED), ascii('x'.repeat(2000)));
  t.same(
    await decompress(deflateSync('plain'), Flags.TEXT),
    deflateSync('plain'),
    'no flag, no inflate',
  );
  t.equal(new Compression().threshold, 1024);
});

t.test('local cache: LRU within max, entries expire', async (t) => {
  const c = new LocalCache({ max: 2, ttl: 30 });
  c.set('a', 1);
  c.set('b', 2);
  t.equal(c.get('a'), 1, 'a hit refreshes a');
  c.set('c', 3);
  t.equal(c.get('b'), undefined, 'b was least recently used');
  t.equal(c.get('a'), 1);
  t.equal(c.size, 2);
  c.delete('a');
  t.equal(c.get('a'), undefined);
  await new Promise((r) => setTimeout(r, 40));
  t.equal(c.get('c'), undefined, 'expired');
  t.equal(c.size, 0, 'and dropped');
  t.same([c.hits, c.misses], [2, 3]);
  c.set('d', 4);
  c.clear();
  t.equal(c.get('d'), undefined);
  t.throws(() => new LocalCache({ max: 0 }), RangeError);
  t.same([new LocalCache().get('x')], [undefined]);
});

t.test('backoff: exponential, capped, half of it jittered', async (t) => {
  t.equal(
    backoffDelay(0, 1000, 30_000, () => 0),
    500,
  );
  t.equal(
    backoffDelay(0, 1000, 30_000, () => 1),
    1000,
  );
  t.equal(
    backoffDelay(3, 1000, 30_000, () => 1),
    8000,
  );
  t.equal(
    backoffDelay(10, 1000, 30_000, () => 0),
    15_000,
    'capped at max',
  );
  t.equal(
    backoffDelay(1000, 1000, 30_000, () => 1),
    30_000,
    'no overflow',
  );
  const spread = new Set(
    Array.from({ length: 50 }, () => Math.round(backoffDelay(2, 1000, 30_000))),
  );
  t.ok(spread.size > 10, 'jittered');
  t.ok([...spread].every((d) => d >= 2000 && d <= 4000));
});

t.test('keys: memcached text-protocol rules, checked before sending', async (t) => {
  for (const ok of ['a', 'user:1', 'ключ', 'x'.repeat(250), '€'.repeat(83)])
    t.doesNotThrow(() => checkKey(ok), ok);
  for (const bad of [
    '',
    'a b',
    'a\r',
    'a\u007f',
    'x'.repeat(251),
    '€'.repeat(84),
    5 as unknown as string,
  ]) {
    t.throws(() => checkKey(bad), { code: Codes.BAD_KEY }, JSON.stringify(bad));
  }
});

t.test('errors: classes, codes, causes', async (t) => {
  const down = new ServerDownError(Codes.SERVER_DOWN, 'server is down', 'a:1');
  t.ok(down instanceof SlabcacheError && down instanceof Error);
  t.match(down, {
    name: 'ServerDownError',
    code: 'SLABCACHE_SERVER_DOWN',
    server: 'a:1',
    message: 'server is down (a:1)',
  });
  t.ok(neverSent(down));
  t.ok(neverSent(new ConnectionError(Codes.CONNECT_FAILED, 'x')));
  t.ok(neverSent(new TimeoutError(Codes.CONNECT_TIMEOUT, 'x')));
  t.notOk(neverSent(new TimeoutError(Codes.TIMEOUT, 'x')), 'a request timeout may have run');
  t.notOk(neverSent(new ConnectionError(Codes.CONNECTION_LOST, 'x')));
  t.notOk(neverSent(new Error('x')));
  const partial = new PartialResultError('getMulti', new Map([['a:1', down]]), new Map([['k', 1]]));
  t.match(partial, { code: Codes.PARTIAL, cause: down, message: /getMulti: 1 server\(s\) failed/ });
  t.same(partial.results, new Map([['k', 1]]));
});

t.test('protocol: meta reply lines and VALUE lines', async (t) => {
  const m = new MetaReply();
  const parse = (s: string) => m.parse(ascii(s), 0, s.length);
  t.ok(parse('VA 3 f5 c18446744073709551615 t100 W O12 kabc'));
  t.match(m, {
    status: MetaStatus.VA,
    size: 3,
    flags: 5,
    cas: 2n ** 64n - 1n,
    ttl: 100,
    won: true,
    stale: false,
    opaque: 12,
  });
  t.same([m.keyStart, m.keyEnd], [42, 45]);
  t.ok(parse('HD'));
  t.match(m, { status: MetaStatus.HD, size: -1, cas: -1n, ttl: -2, won: false });
  t.ok(parse('VA 0 t-1 Z X'));
  t.match(m, { ttl: -1, winSent: true, stale: true });
  t.ok(parse('EN') && m.status === MetaStatus.EN);
  t.ok(parse('MN') && m.status === MetaStatus.MN);
  t.ok(parse('HD s3 b'), 'flags nobody asked for are skipped');
  t.ok(parse('SERVER_ERROR out of memory') && m.status === MetaStatus.ERROR);
  for (const bad of ['VA', 'VA x', 'VA -1', 'ZZ', 'HDX', 'VA 1 fx', 'VA 1 c-1', 'H'])
    t.notOk(parse(bad), bad);
  t.ok(isErrorLine(ascii('ERROR'), 0, 5));
  t.ok(isErrorLine(ascii('CLIENT_ERROR bad'), 0, 16));
  t.notOk(isErrorLine(ascii('ERRORS'), 0, 6));
  const v = new ValueLine();
  const line = ascii('VALUE key 42 10 77');
  t.ok(v.parse(line, 0, line.length));
  t.match(v, { keyStart: 6, keyEnd: 9, flags: 42, bytes: 10, cas: 77n });
  t.ok(v.parse(ascii('VALUE k 0 0'), 0, 11) && v.cas === -1n);
  for (const bad of ['VALUE k 0', 'VALUE k x 1', 'VALUE k 0 -1', 'VALUX k 0 1', 'VALUE k 0 1 x']) {
    t.notOk(v.parse(ascii(bad), 0, bad.length), bad);
  }
});

/** Feeds `reply` to the request one byte per chunk, as the slowest network would. */
function feed<T>(request: Request<T>, reply: Buffer): { done: boolean; rest: number } {
  const r = new ReplyBuffer();
  let done = false;
  for (const byte of reply) {
    r.append(Buffer.from([byte]));
    if (!done) done = request.read(r);
  }
  return { done, rest: r.length };
}

async function settled<T>(request: Request<T>): Promise<T> {
  request.settle();
  return request.promise;
}

t.test('reply readers resume at any byte', async (t) => {
  const hit = meta.get('k', true, -1);
  t.same(feed(hit, ascii('VA 5 f16 c9\r\nhello\r\n')), { done: true, rest: 0 });
  t.same(await settled(hit), { value: ascii('hello'), flags: 16, cas: 9n });

  const multi = meta.getMulti(['a', 'b', 'c']);
  t.same(feed(multi, ascii('VA 1 f0 O2\r\nC\r\nVA 2 f4 O0\r\nAA\r\nMN\r\nEXTRA')), {
    done: true,
    rest: 5,
  });
  t.same(
    await settled(multi),
    new Map([
      ['c', { value: ascii('C'), flags: 0, cas: -1n }],
      ['a', { value: ascii('AA'), flags: 4, cas: -1n }],
    ]),
  );

  const textMulti = text.getMulti(['a', 'b']);
  t.same(feed(textMulti, ascii('VALUE b 3 2\r\nbb\r\nEND\r\n')), { done: true, rest: 0 });
  t.same(await settled(textMulti), new Map([['b', { value: ascii('bb'), flags: 3, cas: -1n }]]));
  const textGet = text.get('k', true, -1);
  t.same(feed(textGet, ascii('VALUE k 1 3 55\r\nabc\r\nEND\r\n')), { done: true, rest: 0 });
  t.same(await settled(textGet), { value: ascii('abc'), flags: 1, cas: 55n });

  const stats = text.stats('');
  t.same(feed(stats, ascii('STAT pid 12\r\nSTAT version 1.6 x\r\nEND\r\n')).done, true);
  t.same(await settled(stats), { pid: '12', version: '1.6 x' });

  const stored = meta.store('set', 'k', ascii('v'), 0, 0, -1n);
  feed(stored, ascii('SERVER_ERROR out of memory storing object\r\n'));
  await t.rejects(settled(stored), {
    code: Codes.SERVER_ERROR,
    reply: 'SERVER_ERROR out of memory storing object',
  });

  const counter = text.counter(false, 'n', 1n, undefined, 0);
  feed(counter, ascii('NOT_FOUND\r\n'));
  t.equal(await settled(counter), undefined);

  const header = (
    opcode: number,
    status: number,
    extras: Buffer,
    key: string,
    value: Buffer,
    opaque = 0,
  ) => {
    const out = Buffer.alloc(24);
    Binary.writeHeader(
      out,
      0,
      Binary.RESPONSE_MAGIC,
      opcode,
      status,
      key.length,
      extras.length,
      extras.length + key.length + value.length,
      opaque,
      3,
    );
    return Buffer.concat([out, extras, ascii(key), value]);
  };
  const flags = Buffer.alloc(4);
  flags.writeUInt32BE(16);
  const bget = binary.get('k', false, -1);
  t.same(feed(bget, header(Binary.Opcode.GET, 0, flags, '', ascii('val'))).done, true);
  t.same(await settled(bget), { value: ascii('val'), flags: 16, cas: 3n });
  const bmulti = binary.getMulti(['x', 'y']);
  const packets = Buffer.concat([
    header(Binary.Opcode.GETKQ, 0, flags, 'y', ascii('Y'), 1),
    header(Binary.Opcode.NOOP, 0, Buffer.alloc(0), '', Buffer.alloc(0)),
  ]);
  t.same(feed(bmulti, packets).done, true);
  t.same(await settled(bmulti), new Map([['y', { value: ascii('Y'), flags: 16, cas: 3n }]]));
  const bstats = binary.stats('');
  feed(
    bstats,
    Buffer.concat([
      header(Binary.Opcode.STAT, 0, Buffer.alloc(0), 'pid', ascii('7')),
      header(Binary.Opcode.STAT, 0, Buffer.alloc(0), '', Buffer.alloc(0)),
    ]),
  );
  t.same(await settled(bstats), { pid: '7' });
  const wrong = binary.delete('k');
  t.throws(() => feed(wrong, header(Binary.Opcode.GET, 0, flags, '', Buffer.alloc(0))), {
    code: Codes.PROTOCOL,
  });
  t.throws(
    () => feed(meta.get('k', false, -1), ascii('VA 1\r\nxyz')),
    { code: Codes.PROTOCOL },
    'a block without its CRLF',
  );
  t.throws(() => feed(meta.delete('k'), ascii('HD\n')), { code: Codes.PROTOCOL }, 'a bare LF');
});

t.test('reply buffer: grows once for a value arriving in many chunks', async (t) => {
  const r = new ReplyBuffer();
  const chunk = Buffer.alloc(1000, 'a');
  r.append(Buffer.from('VA 100000\r\n'));
  for (let i = 0; i < 100; i++) r.append(chunk);
  t.equal(r.length, 11 + 100_000);
  t.ok(r.buf.length < 4 * r.length, 'amortized growth');
  t.same(r.copy(11, 16), Buffer.from('aaaaa'));
});
