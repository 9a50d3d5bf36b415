/**
 * memcached's classic text protocol over raw sockets against a started server with two
 * worker threads: every command, its replies byte for byte, and its error replies.
 */
import t from 'tap';
import { RawClient } from './helpers/raw-client.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
t.before(async () => {
  server = await startTestServer(['-m', '64']);
});
t.teardown(() => server.close());

/** A connection to this file's server, closed when test `t` ends. */
const client = (t: { teardown(fn: () => void): void }) => RawClient.connectFor(t, server.port);

t.test('set, get, gets', async (t) => {
  const c = await client(t);
  t.equal(await c.call('set foo 5 0 3\r\nbar\r\n'), 'STORED\r\n');
  t.equal(await c.call('get foo\r\n', 'END\r\n'), 'VALUE foo 5 3\r\nbar\r\nEND\r\n');
  const gets = await c.call('gets foo\r\n', 'END\r\n');
  t.match(gets, /^VALUE foo 5 3 (\d+)\r\nbar\r\nEND\r\n$/);
  t.equal(await c.call('get nope\r\n', 'END\r\n'), 'END\r\n');
  t.equal(await c.call('set empty 0 0 0\r\n\r\n'), 'STORED\r\n');
  t.equal(await c.call('get empty\r\n', 'END\r\n'), 'VALUE empty 0 0\r\n\r\nEND\r\n');
  t.equal(await c.call('set big 4294967295 0 2\r\nhi\r\n'), 'STORED\r\n');
  t.equal(await c.call('get big\r\n', 'END\r\n'), 'VALUE big 4294967295 2\r\nhi\r\nEND\r\n');
});

t.test('multi-get returns hits in request order, skipping misses', async (t) => {
  const c = await client(t);
  await c.call('set m1 0 0 1\r\na\r\n');
  await c.call('set m2 0 0 1\r\nb\r\n');
  t.equal(
    await c.call('get m1 missing m2 m1\r\n', 'END\r\n'),
    'VALUE m1 0 1\r\na\r\nVALUE m2 0 1\r\nb\r\nVALUE m1 0 1\r\na\r\nEND\r\n',
  );
});

t.test('values are binary-safe and may contain \\r\\n', async (t) => {
  const c = await client(t);
  const value = Buffer.from([0, 13, 10, 255, 13, 10, 0x20]);
  c.write(Buffer.concat([Buffer.from('set bin 0 0 7\r\n'), value, Buffer.from('\r\n')]));
  t.equal(await c.readLine(), 'STORED\r\n');
  const reply = await c.call('get bin\r\n', 'END\r\n');
  t.same(Buffer.from(reply, 'latin1').subarray(15, 22), value);
});

t.test('add, replace, append, prepend, cas', async (t) => {
  const c = await client(t);
  t.equal(await c.call('add a1 0 0 1\r\nx\r\n'), 'STORED\r\n');
  t.equal(await c.call('add a1 0 0 1\r\ny\r\n'), 'NOT_STORED\r\n');
  t.equal(await c.call('replace nokey 0 0 1\r\ny\r\n'), 'NOT_STORED\r\n');
  t.equal(await c.call('replace a1 3 0 1\r\nz\r\n'), 'STORED\r\n');
  t.equal(await c.call('append a1 0 0 2\r\n>>\r\n'), 'STORED\r\n');
  t.equal(await c.call('prepend a1 0 0 2\r\n<<\r\n'), 'STORED\r\n');
  t.equal(await c.call('append nokey 0 0 1\r\nq\r\n'), 'NOT_STORED\r\n');
  t.equal(await c.call('get a1\r\n', 'END\r\n'), 'VALUE a1 3 5\r\n<<z>>\r\nEND\r\n');
  const gets = await c.call('gets a1\r\n', 'END\r\n');
  const cas = /VALUE a1 3 5 (\d+)/.exec(gets)![1];
  t.equal(await c.call(`cas a1 0 0 1 ${Number(cas) + 1000}\r\nn\r\n`), 'EXISTS\r\n');
  t.equal(await c.call(`cas a1 0 0 1 ${cas}\r\nn\r\n`), 'STORED\r\n');
  t.equal(await c.call(`cas a1 0 0 1 ${cas}\r\nn\r\n`), 'EXISTS\r\n');
  t.equal(await c.call('cas nokey 0 0 1 1\r\nn\r\n'), 'NOT_FOUND\r\n');
});

t.test('delete', async (t) => {
  const c = await client(t);
  await c.call('set d1 0 0 1\r\nx\r\n');
  t.equal(await c.call('delete d1\r\n'), 'DELETED\r\n');
  t.equal(await c.call('delete d1\r\n'), 'NOT_FOUND\r\n');
  await c.call('set d1 0 0 1\r\nx\r\n');
  t.equal(await c.call('delete d1 0\r\n'), 'DELETED\r\n', 'a hold time of 0 is still accepted');
  t.equal(
    await c.call('delete d1 5\r\n'),
    'CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n',
  );
  t.equal(await c.call('delete\r\n'), 'ERROR\r\n');
});

t.test('incr and decr', async (t) => {
  const c = await client(t);
  t.equal(await c.call('incr n1 1\r\n'), 'NOT_FOUND\r\n');
  await c.call('set n1 0 0 2\r\n10\r\n');
  t.equal(await c.call('incr n1 5\r\n'), '15\r\n');
  t.equal(await c.call('decr n1 100\r\n'), '0\r\n');
  t.equal(await c.call('incr n1 18446744073709551615\r\n'), '18446744073709551615\r\n');
  t.equal(await c.call('incr n1 2\r\n'), '1\r\n', 'wraps at 2^64');
  t.equal(await c.call('incr n1 abc\r\n'), 'CLIENT_ERROR invalid numeric delta argument\r\n');
  t.equal(await c.call('incr n1 -1\r\n'), 'CLIENT_ERROR invalid numeric delta argument\r\n');
  await c.call('set s1 0 0 3\r\nabc\r\n');
  t.equal(
    await c.call('incr s1 1\r\n'),
    'CLIENT_ERROR cannot increment or decrement non-numeric value\r\n',
  );
  await c.call('set n2 0 0 3\r\n100\r\n');
  t.equal(await c.call('decr n2 1\r\n'), '99\r\n');
  t.equal(
    await c.call('get n2\r\n', 'END\r\n'),
    'VALUE n2 0 3\r\n99 \r\nEND\r\n',
    'memcached pads in place',
  );
});

t.test('touch, gat, gats', async (t) => {
  const c = await client(t);
  t.equal(await c.call('touch t1 10\r\n'), 'NOT_FOUND\r\n');
  await c.call('set t1 7 0 2\r\nhi\r\n');
  t.equal(await c.call('touch t1 100\r\n'), 'TOUCHED\r\n');
  t.equal(await c.call('touch t1 abc\r\n'), 'CLIENT_ERROR invalid exptime argument\r\n');
  t.equal(await c.call('gat 0 t1 missing\r\n', 'END\r\n'), 'VALUE t1 7 2\r\nhi\r\nEND\r\n');
  t.match(await c.call('gats 0 t1\r\n', 'END\r\n'), /^VALUE t1 7 2 \d+\r\nhi\r\nEND\r\n$/);
  t.equal(await c.call('gat x t1\r\n'), 'CLIENT_ERROR invalid exptime argument\r\n');
  t.equal(await c.call('gat -1 t1\r\n', 'END\r\n'), 'VALUE t1 7 2\r\nhi\r\nEND\r\n');
  t.equal(await c.call('get t1\r\n', 'END\r\n'), 'END\r\n', 'negative exptime expired it');
});

t.test('expiry: negative exptime stores an already expired item', async (t) => {
  const c = await client(t);
  t.equal(await c.call('set e1 0 -1 1\r\nx\r\n'), 'STORED\r\n');
  t.equal(await c.call('get e1\r\n', 'END\r\n'), 'END\r\n');
});

t.test('noreply silences replies, errors included', async (t) => {
  const c = await client(t);
  c.write('set q1 0 0 1 noreply\r\nx\r\n');
  c.write('add q1 0 0 1 noreply\r\ny\r\n');
  c.write('incr q1 1 noreply\r\n');
  c.write('touch q1 10 noreply\r\n');
  c.write('delete nokey noreply\r\n');
  c.write('set q2 abc 0 1 noreply\r\n');
  c.write('flush_all 0 noreply\r\n');
  c.write('verbosity 0 noreply\r\n');
  t.match(
    await c.call('version\r\n'),
    /^VERSION \S+\r\n$/,
    'the first reply is the version: nothing else was sent',
  );
});

t.test('bad command lines', async (t) => {
  const c = await client(t);
  t.equal(await c.call('bogus\r\n'), 'ERROR\r\n');
  t.equal(await c.call('x\r\n'), 'ERROR\r\n', 'names shorter than two bytes');
  t.equal(await c.call('\r\n'), 'ERROR\r\n');
  t.equal(await c.call('get\r\n'), 'ERROR\r\n', 'get needs a key');
  t.equal(await c.call('set k 0 0\r\n'), 'ERROR\r\n', 'too few tokens');
  t.equal(await c.call('set k 0 0 1 noreply extra\r\n'), 'ERROR\r\n', 'too many tokens');
  t.equal(await c.call('set k abc 0 1\r\n'), 'CLIENT_ERROR bad command line format\r\n');
  t.equal(
    await c.call('x\r\n'),
    'ERROR\r\n',
    'the data line of a refused set is read as a command',
  );
  t.equal(await c.call('set k 0 0 -1\r\n'), 'CLIENT_ERROR bad command line format\r\n');
  t.equal(await c.call('set k 0 xyz 1\r\n'), 'CLIENT_ERROR bad command line format\r\n');
  t.equal(
    await c.call('set k -1 0 1\r\n'),
    'CLIENT_ERROR bad command line format\r\n',
    'negative flags',
  );
  t.equal(await c.call('set k 4294967296 0 1\r\n'), 'CLIENT_ERROR bad command line format\r\n');
  const long = 'k'.repeat(251);
  t.equal(await c.call(`set ${long} 0 0 1\r\n`), 'CLIENT_ERROR bad command line format\r\n');
  t.equal(await c.call('x\r\n'), 'ERROR\r\n');
  t.equal(await c.call(`get a ${long}\r\n`), 'CLIENT_ERROR bad command line format\r\n');
  t.equal(await c.call(`get ${'k'.repeat(250)}\r\n`, 'END\r\n'), 'END\r\n', '250 bytes is fine');
  t.equal(await c.call(`delete ${long}\r\n`), 'CLIENT_ERROR bad command line format\r\n');
  t.equal(await c.call(`incr ${long} 1\r\n`), 'CLIENT_ERROR bad command line format\r\n');
  t.equal(await c.call(`touch ${long} 1\r\n`), 'CLIENT_ERROR bad command line format\r\n');
});

t.test('a data block of the wrong length', async (t) => {
  const c = await client(t);
  t.equal(await c.call('set bad 0 0 3\r\nabcd\r\n'), 'CLIENT_ERROR bad data chunk\r\n');
  t.equal(await c.readLine(), 'ERROR\r\n', 'the bytes after the block are parsed as a command');
  t.equal(await c.call('get bad\r\n', 'END\r\n'), 'END\r\n');
});

t.test('values over -I are swallowed with SERVER_ERROR', async (t) => {
  const c = await client(t);
  await c.call('set toolarge 0 0 1\r\nx\r\n');
  const big = 2 * 1024 * 1024;
  c.write(`set toolarge 0 0 ${big}\r\n`);
  c.write(Buffer.alloc(big, 0x61));
  c.write('\r\n');
  t.equal(await c.readLine(), 'SERVER_ERROR object too large for cache\r\n');
  t.equal(await c.call('get toolarge\r\n', 'END\r\n'), 'END\r\n', 'the old value was dropped');
  t.equal(
    await c.call('version\r\n').then((s) => s.slice(0, 8)),
    'VERSION ',
    'the stream is in sync',
  );
});

t.test('large values across many reads', async (t) => {
  const c = await client(t);
  const size = 900 * 1024;
  const value = Buffer.alloc(size);
  for (let i = 0; i < size; i++) value[i] = (i * 7) & 0xff;
  c.write(`set large 0 0 ${size}\r\n`);
  for (let off = 0; off < size; off += 1000)
    c.write(value.subarray(off, Math.min(size, off + 1000)));
  c.write('\r\n');
  t.equal(await c.readLine(), 'STORED\r\n');
  c.write('get large\r\n');
  const header = await c.readLine();
  t.equal(header, `VALUE large 0 ${size}\r\n`);
  const body = Buffer.from(await c.read(size + 2), 'latin1');
  t.ok(body.subarray(0, size).equals(value));
  t.equal(await c.readLine(), 'END\r\n');
});

t.test('flush_all', async (t) => {
  const c = await client(t);
  await c.call('set f1 0 0 1\r\nx\r\n');
  t.equal(await c.call('flush_all\r\n'), 'OK\r\n');
  t.equal(await c.call('get f1\r\n', 'END\r\n'), 'END\r\n');
  t.equal(await c.call('flush_all 0\r\n'), 'OK\r\n');
  t.equal(await c.call('flush_all abc\r\n'), 'CLIENT_ERROR invalid exptime argument\r\n');
  t.equal(await c.call('flush_all 1 2 3\r\n'), 'ERROR\r\n');
});

t.test('version, verbosity, quit', async (t) => {
  const c = await client(t);
  t.match(await c.call('version\r\n'), /^VERSION 1\.6\.\d+/);
  t.equal(await c.call('verbosity 1\r\n'), 'OK\r\n');
  t.equal(await c.call('verbosity 0\r\n'), 'OK\r\n');
  t.equal(await c.call('verbosity\r\n'), 'ERROR\r\n');
  t.equal(await c.call('verbosity x\r\n'), 'CLIENT_ERROR bad command line format\r\n');
  c.write('set qq 0 0 1\r\nx\r\nquit\r\nget qq\r\n');
  t.equal(await c.readLine(), 'STORED\r\n');
  await c.closed();
});

t.test('shutdown needs -A', async (t) => {
  const c = await client(t);
  t.equal(await c.call('shutdown\r\n'), 'ERROR: shutdown not enabled\r\n');
});

t.test('cache_memlimit', async (t) => {
  const c = await client(t);
  t.equal(
    await c.call('cache_memlimit 4\r\n'),
    'MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n',
  );
  t.equal(await c.call('cache_memlimit abc\r\n'), 'ERROR\r\n');
  t.equal(await c.call('cache_memlimit 32\r\n'), 'OK\r\n');
  t.match(await c.call('stats\r\n', 'END\r\n'), /STAT limit_maxbytes 33554432\r\n/);
  t.equal(
    await c.call('cache_memlimit 1024\r\n'),
    'MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n',
  );
  t.equal(await c.call('cache_memlimit 64\r\n'), 'OK\r\n');
});

t.test('slabs and lru_crawler commands', async (t) => {
  const c = await client(t);
  t.equal(await c.call('slabs reassign 1 1\r\n'), 'SAME src and dst class are identical\r\n');
  t.equal(await c.call('slabs reassign 1 200\r\n'), 'BADCLASS invalid src or dst class id\r\n');
  t.equal(await c.call('slabs reassign 30 2\r\n'), 'NOSPARE source class has no spare pages\r\n');
  t.equal(await c.call('slabs reassign a b\r\n'), 'CLIENT_ERROR bad command line format\r\n');
  t.equal(await c.call('slabs automove 1\r\n'), 'OK\r\n');
  t.equal(await c.call('slabs automove 3\r\n'), 'ERROR\r\n');
  t.equal(await c.call('slabs bogus\r\n'), 'ERROR\r\n');
  t.equal(await c.call('lru_crawler crawl all\r\n'), 'OK\r\n');
  t.equal(await c.call('lru_crawler crawl 999\r\n'), 'BADCLASS invalid class id\r\n');
  t.equal(await c.call('lru_crawler tocrawl 100\r\n'), 'OK\r\n');
  t.equal(
    await c.call('lru_crawler sleep 2000000\r\n'),
    'CLIENT_ERROR sleep must be one second or less\r\n',
  );
  t.equal(await c.call('lru_crawler disable\r\n'), 'OK\r\n');
  t.equal(await c.call('lru_crawler crawl all\r\n'), 'CLIENT_ERROR lru crawler disabled\r\n');
  t.equal(await c.call('lru_crawler enable\r\n'), 'OK\r\n');
  await c.call('set md 0 0 1\r\nx\r\n');
  const dump = await c.call('lru_crawler metadump all\r\n', 'END\r\n');
  t.match(dump, /key=md exp=-1 la=\d+ cas=\d+ fetch=no cls=1 size=\d+\n/);
  t.equal(await c.call('lru tune 10 30 0.1 2\r\n'), 'OK\r\n');
  t.equal(
    await c.call('lru tune 50 40 0.1 2\r\n'),
    'ERROR hot and warm pcts must not exceed 80\r\n',
  );
  t.equal(await c.call('lru mode segmented\r\n'), 'OK\r\n');
  t.equal(await c.call('lru bogus\r\n'), 'ERROR\r\n');
});

t.test('HTTP requests close the connection', async (t) => {
  const c = await client(t);
  c.write('GET / HTTP/1.1\r\n');
  await t.resolves(c.closed(), 'the server closes the connection');
});

t.test('a long line that is not a get closes the connection', async (t) => {
  const c = await client(t);
  c.write(`set ${'x'.repeat(3000)}`);
  await t.resolves(c.closed(), 'the server closes the connection');
});

t.test('a long multi-get line is served', async (t) => {
  const c = await client(t);
  await c.call('set lk1 0 0 1\r\nx\r\n');
  const keys = Array.from({ length: 2000 }, (_, i) => `nokey${i}`).join(' ');
  t.equal(await c.call(`get ${keys} lk1\r\n`, 'END\r\n'), 'VALUE lk1 0 1\r\nx\r\nEND\r\n');
});

t.test('stats cachedump', async (t) => {
  const c = await client(t);
  t.equal(await c.call('stats cachedump\r\n'), 'CLIENT_ERROR bad command line\r\n');
  t.equal(await c.call('stats cachedump x y\r\n'), 'CLIENT_ERROR bad command line format\r\n');
  t.equal(await c.call('stats cachedump 300 0\r\n'), 'CLIENT_ERROR Illegal slab id\r\n');
  t.equal(await c.call('stats cachedump 0 0\r\n', 'END\r\n'), 'END\r\n');
  // Fill class 1 well past its HOT share so items reach COLD.
  for (let i = 0; i < 50; i++) c.write(`set cd${i} 0 0 1 noreply\r\nx\r\n`);
  const dump = await c.call('stats cachedump 1 3\r\n', 'END\r\n');
  t.match(dump, /^(ITEM cd\d+ \[1 b; 0 s\]\r\n){3}END\r\n$/);
});
