/**
 * Ascii auth (-Y authfile), with memcached 1.6.18's replies: until it authenticates, a
 * connection's every request must be `set <key> <flags> <exptime> <bytes>` whose data block is
 * `<username> <password>`; nothing is stored, failures keep the connection open, and
 * auth_cmds / auth_errors count the attempts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { RawClient } from './helpers/raw-client.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const UNAUTHENTICATED = 'CLIENT_ERROR unauthenticated\r\n';
const FAILURE = 'CLIENT_ERROR authentication failure\r\n';
const LOGIN = 'set auth 0 0 12\r\nalice secret\r\n';

let server: TestServer;
let dir: string;
t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slabcache-auth-'));
  const file = join(dir, 'users');
  writeFileSync(file, 'alice:secret\nbob:hunter2\n');
  server = await startTestServer(['-Y', file]);
});
t.teardown(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

t.test('every command before auth is refused, and the connection stays open', async (t) => {
  const c = await RawClient.connectFor(t, server.port);
  for (const command of ['get foo', 'version', 'stats', 'quit', 'set k 0 0', 'SET k 0 0 1', '']) {
    t.equal(await c.call(`${command}\r\n`), UNAUTHENTICATED, JSON.stringify(command));
  }
  // A length that is not a number: the line alone is the attempt, its "block" a new line.
  t.equal(await c.call('set k 0 0 -1\r\n'), UNAUTHENTICATED);
  t.equal(await c.call('set k 0 0 x\r\n'), UNAUTHENTICATED);
  t.equal(await c.call(LOGIN), 'STORED\r\n');
  t.match(await c.call('version\r\n'), /^VERSION /);
});

t.test('a wrong password or user fails; the client may try again', async (t) => {
  const c = await RawClient.connectFor(t, server.port);
  t.equal(await c.call('set a 0 0 12\r\nalice secreT\r\n'), FAILURE);
  t.equal(await c.call('set a 0 0 12\r\nmallory pass\r\n'), FAILURE);
  t.equal(
    await c.call('set a 0 0 6\r\nalice \r\n'),
    'CLIENT_ERROR bad authentication token format\r\n',
  );
  t.equal(await c.call('get a\r\n'), UNAUTHENTICATED);
  // 10 bytes, then "2\r" where \r\n should be; the "\n" left over is an (empty) line
  // (memcached answers it only when more bytes arrive: its auth reader wants two at least).
  t.equal(
    await c.call('set a 0 0 10\r\nbob hunter2\r\n', UNAUTHENTICATED),
    `CLIENT_ERROR bad command line termination\r\n${UNAUTHENTICATED}`,
  );
  t.equal(await c.call('set a 0 0 11\r\nbob hunter2\r\n'), 'STORED\r\n');
  t.equal(await c.call('get a\r\n'), 'END\r\n', 'the auth set stored nothing');
  t.equal(await c.call('set a 0 0 1\r\nx\r\n'), 'STORED\r\n', 'after auth, set stores');
  t.equal(await c.call('get a\r\n', 'END\r\n'), 'VALUE a 0 1\r\nx\r\nEND\r\n');
});

t.test('key, flags, exptime and noreply of the auth line are ignored', async (t) => {
  const c = await RawClient.connectFor(t, server.port);
  const block = '  alice   secret  more';
  t.equal(
    await c.call(`set  whatever  x  y  ${block.length} noreply\r\n${block}\r\n`),
    'STORED\r\n',
  );
  const other = await RawClient.connectFor(t, server.port);
  t.equal(await other.call('get whatever\r\n'), UNAUTHENTICATED, 'auth is per connection');
});

t.test('the credentials block may arrive in pieces, pipelined with more', async (t) => {
  const c = await RawClient.connectFor(t, server.port);
  c.write('get x\r\nset a 0 0 12\r\nali');
  t.equal(await c.readLine(), UNAUTHENTICATED);
  await new Promise((r) => setTimeout(r, 50));
  c.write('ce secret\r');
  await new Promise((r) => setTimeout(r, 50));
  c.write('\nget x\r\n');
  // memcached 1.6.18 sends only the last of replies that leave in one write before auth;
  // slabcached answers each.
  t.equal(await c.readUntil('END\r\n'), 'STORED\r\nEND\r\n');
  const d = await RawClient.connectFor(t, server.port);
  t.equal(
    await d.call(`get x\r\n${LOGIN}get x\r\n`, 'END\r\n'),
    `${UNAUTHENTICATED}STORED\r\nEND\r\n`,
  );
});

t.test('what closes an unauthenticated connection', async (t) => {
  // A credentials block that cannot fit memcached's 16 KiB read buffer.
  const big = await RawClient.connectFor(t, server.port);
  big.write('set a 0 0 16382\r\n');
  big.write(`${'a'.repeat(8190)} ${'b'.repeat(8191)}\r\n`);
  t.equal(await big.readLine(), FAILURE, 'a 16384-byte block (with \\r\\n) still fits');
  big.write('set a 0 0 16383\r\n');
  await big.closed();
  // A line with no newline in 2048 bytes, even a get (which may be longer once authenticated).
  const long = await RawClient.connectFor(t, server.port);
  long.write(`get ${'k '.repeat(1100)}`);
  await long.closed();
});

t.test('auth_cmds counts attempts, auth_errors the failures', async (t) => {
  const before = await RawClient.connectFor(t, server.port);
  await before.call(LOGIN);
  const count = async () => {
    const s = await before.call('stats\r\n', 'END\r\n');
    return [/STAT auth_cmds (\d+)/, /STAT auth_errors (\d+)/].map((r) => Number(r.exec(s)![1]));
  };
  const [cmds, errors] = await count();
  const c = await RawClient.connectFor(t, server.port);
  await c.call('get x\r\n'); // not an attempt
  await c.call('set a 0 0 5\r\nalice\r\n'); // malformed: not counted either
  await c.call('set a 0 0 12\r\nalice secreT\r\n');
  await c.call(LOGIN);
  t.same(await count(), [cmds + 2, errors + 1]);
  t.match(await before.call('stats settings\r\n', 'END\r\n'), 'STAT auth_enabled_ascii yes\r\n');
});
