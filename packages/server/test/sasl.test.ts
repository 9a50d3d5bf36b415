/**
 * SASL PLAIN on the binary protocol (-S), against a started server whose password file is
 * named by MEMCACHED_SASL_PWDB: what is served before authentication, the PLAIN exchange and
 * its failures, and the text protocol refused. Replies checked by hand against memcached
 * 1.6.18 built with Cyrus SASL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { brief, call, Op, packet, readReply, Status, stats, u32 } from './helpers/binary-client.ts';
import { RawClient } from './helpers/raw-client.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'slabcache-sasl-'));

t.before(async () => {
  const pwdb = join(dir, 'pwdb');
  writeFileSync(pwdb, 'alice:secret\nbob:pw2\n');
  const saved = process.env.MEMCACHED_SASL_PWDB;
  process.env.MEMCACHED_SASL_PWDB = pwdb;
  try {
    server = await startTestServer(['-S', '-t', '3']);
  } finally {
    if (saved === undefined) delete process.env.MEMCACHED_SASL_PWDB;
    else process.env.MEMCACHED_SASL_PWDB = saved;
  }
});
t.teardown(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = (payload: string, mechanism = 'PLAIN', op: number = Op.SASL_AUTH) =>
  packet(op, { key: mechanism, value: payload });

const AUTHENTICATED = '21/0//Authenticated';

t.test('before authentication only version and the SASL commands are served', async (t) => {
  const c = await RawClient.connectFor(t, server.port);
  t.match((await call(c, packet(Op.VERSION))).value.toString(), /^\d+\.\d+\.\d+$/);
  t.same(brief(await call(c, packet(Op.SASL_LIST_MECHS, { opaque: 5 }))), '20/0//PLAIN');
  const closing: [string, Buffer][] = [
    ['noop', packet(Op.NOOP, { opaque: 9 })],
    ['get', packet(Op.GET, { key: 'k' })],
    ['set', packet(Op.SET, { key: 'k', value: 'v', extras: u32(0, 0) })],
    ['stat', packet(Op.STAT)],
    ['quitq', packet(Op.QUITQ)],
    ['an unknown opcode', packet(0x50)],
  ];
  for (const [name, request] of closing) {
    const d = await RawClient.connectFor(t, server.port);
    d.write(Buffer.concat([request, packet(Op.VERSION)]));
    const r = await readReply(d);
    t.same([r.opcode, r.status, r.value.toString()], [request[1], 0x20, 'Auth failure.'], name);
    await d.closed();
    t.equal(d.pending(), '', `${name}: then the connection closes`);
  }
});

t.test('the right password authenticates the connection, and only it', async (t) => {
  const c = await RawClient.connectFor(t, server.port);
  const ok = await call(
    c,
    packet(Op.SASL_AUTH, { key: 'PLAIN', value: '\0alice\0secret', opaque: 4 }),
  );
  t.same([brief(ok), ok.opaque], [AUTHENTICATED, 4]);
  t.equal((await call(c, packet(Op.SET, { key: 'k', value: 'v', extras: u32(0, 0) }))).status, 0);
  t.equal((await call(c, packet(Op.GET, { key: 'k' }))).value.toString(), 'v');
  const other = await RawClient.connectFor(t, server.port);
  other.write(packet(Op.GET, { key: 'k' }));
  t.equal((await readReply(other)).status, Status.AUTH_ERROR, 'another connection is not');
  await other.closed();
});

t.test('failed authentication answers "Auth failure." and keeps the connection', async (t) => {
  const c = await RawClient.connectFor(t, server.port);
  t.equal(brief(await call(c, auth('\0alice\0secret'))), AUTHENTICATED, 'so stats can be read');
  const before = await stats(c);
  const failures: [string, Buffer][] = [
    ['a wrong password', auth('\0alice\0nope')],
    ['an unknown user', auth('\0carol\0secret')],
    ['an empty user', auth('\0\0secret')],
    ['no password field', auth('\0alice')],
    ['a third NUL', auth('\0alice\0secret\0')],
    ['another identity', auth('bob\0alice\0secret')],
    ['another mechanism', auth('\0alice\0secret', 'CRAM-MD5')],
    ['a step with no auth started', auth('\0alice\0secret', 'PLAIN', Op.SASL_STEP)],
  ];
  for (const [name, request] of failures) {
    const r = await call(c, request);
    t.same([r.status, r.value.toString()], [0x20, 'Auth failure.'], name);
    t.match((await call(c, packet(Op.VERSION))).value.toString(), /\d/, `${name}: still open`);
  }
  t.equal(brief(await call(c, auth('\0alice\0secret'))), AUTHENTICATED);
  const after = await stats(c);
  const diff = (name: string) => Number(after.get(name)) - Number(before.get(name));
  t.same([diff('auth_cmds'), diff('auth_errors')], [failures.length + 1, failures.length]);
});

t.test('accepted PLAIN forms: authzid equal to the user, lower-case mechanism', async (t) => {
  // Each on a fresh connection: memcached's Cyrus SASL refuses a second exchange right after
  // a successful one on the same connection.
  const forms = [
    auth('alice\0alice\0secret'),
    auth('\0alice\0secret', 'plain'),
    auth('\0bob\0pw2'),
  ];
  for (const request of forms) {
    const c = await RawClient.connectFor(t, server.port);
    t.equal(brief(await call(c, request)), AUTHENTICATED);
  }
});

t.test('auth with no payload continues, and the step completes it', async (t) => {
  const c = await RawClient.connectFor(t, server.port);
  const cont = await call(c, auth(''));
  t.same([cont.opcode, cont.status, cont.value.length], [Op.SASL_AUTH, Status.AUTH_CONTINUE, 0]);
  const step = await call(c, auth('\0alice\0secret', 'PLAIN', Op.SASL_STEP));
  t.equal(brief(step), '22/0//Authenticated');
  t.equal(
    brief(await call(c, auth('\0alice\0secret', 'PLAIN', Op.SASL_STEP))),
    '22/20//Auth failure.',
  );
});

t.test('a failed attempt or a mechanism list ends an authenticated session', async (t) => {
  for (const ender of [auth('\0alice\0bad'), packet(Op.SASL_LIST_MECHS)]) {
    const c = await RawClient.connectFor(t, server.port);
    t.equal(brief(await call(c, auth('\0alice\0secret'))), AUTHENTICATED);
    await call(c, ender);
    c.write(packet(Op.NOOP));
    t.equal((await readReply(c)).status, Status.AUTH_ERROR);
    await c.closed();
  }
});

t.test('bad SASL requests: long mechanism, oversized payload, extras', async (t) => {
  const c = await RawClient.connectFor(t, server.port);
  t.equal(brief(await call(c, auth('\0alice\0secret'))), AUTHENTICATED);
  t.same(brief(await call(c, auth('\0alice\0secret', 'P'.repeat(33)))), '21/4//Invalid arguments');
  t.equal((await call(c, packet(Op.NOOP))).status, 0, 'a long mechanism name ends nothing');
  const huge = Buffer.concat([Buffer.from('\0alice\0secret'), Buffer.alloc(2 * 1024 * 1024)]);
  c.write(Buffer.concat([packet(Op.SASL_AUTH, { key: 'PLAIN', value: huge }), packet(Op.VERSION)]));
  t.same(brief(await readReply(c)), '21/82//Out of memory');
  t.equal((await readReply(c)).opcode, Op.VERSION, 'the payload was skipped');
  const d = await RawClient.connectFor(t, server.port);
  d.write(packet(Op.SASL_AUTH, { key: 'PLAIN', value: '\0alice\0secret', extras: u32(0) }));
  t.same(brief(await readReply(d)), '21/4//Invalid arguments');
  await d.closed();
});

t.test("a text connection is closed once a binary header's worth has arrived", async (t) => {
  const c = await RawClient.connectFor(t, server.port);
  c.write('version\r\n');
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(c.ended, 'memcached waits for 24 bytes, as for any binary header');
  c.write('get aaaaaaaaaaaaaaaaaa\r\n');
  await c.closed();
  t.equal(c.pending(), '', 'with no reply');
});
