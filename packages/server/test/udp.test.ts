/**
 * UDP (-U): memcached's 8-byte frame around the text protocol, checked against memcached
 * 1.6.18's replies byte for byte: one single-datagram request in, each command's reply cut
 * into datagrams of at most 1400 bytes (header included) numbered under the request's id.
 */
import { createSocket, type Socket } from 'node:dgram';
import t from 'tap';
import { RawClient } from './helpers/raw-client.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const HEADER = 8;
const MAX_DATAGRAM = 1400;

interface Frame {
  id: number;
  seq: number;
  total: number;
  reserved: number;
}

function header(f: Frame): Buffer {
  const h = Buffer.alloc(HEADER);
  h.writeUInt16BE(f.id, 0);
  h.writeUInt16BE(f.seq, 2);
  h.writeUInt16BE(f.total, 4);
  h.writeUInt16BE(f.reserved, 6);
  return h;
}

function frameOf(d: Buffer): Frame {
  return {
    id: d.readUInt16BE(0),
    seq: d.readUInt16BE(2),
    total: d.readUInt16BE(4),
    reserved: d.readUInt16BE(6),
  };
}

/** A UDP client that keeps every datagram it receives, in order. */
class UdpClient {
  private readonly socket: Socket;
  private readonly port: number;
  private readonly inbox: Buffer[] = [];
  private waiter: (() => void) | null = null;

  private constructor(socket: Socket, port: number) {
    this.socket = socket;
    this.port = port;
    socket.on('message', (m) => {
      this.inbox.push(m);
      this.waiter?.();
    });
  }

  static async open(port: number): Promise<UdpClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new UdpClient(socket, port);
  }

  /** Sends a request: `body` after a header (by default id, sequence 0, total 1, reserved 0). */
  send(id: number, body: string | Buffer, frame: Partial<Frame> = {}): void {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
    this.raw(Buffer.concat([header({ id, seq: 0, total: 1, reserved: 0, ...frame }), bytes]));
  }

  raw(datagram: Buffer): void {
    this.socket.send(datagram, this.port, '127.0.0.1');
  }

  /** The next datagram received. */
  async next(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no datagram');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = null;
          resolve();
        };
      });
    }
    return this.inbox.shift()!;
  }

  /** One reply: its first datagram says how many follow. */
  async reply(): Promise<Buffer[]> {
    const first = await this.next();
    const out = [first];
    for (let i = 1; i < frameOf(first).total; i++) out.push(await this.next());
    return out;
  }

  /** A reply's text, after checking it is one datagram group for request `id`. */
  async text(id: number): Promise<string> {
    const datagrams = await this.reply();
    datagrams.forEach((d, seq) => {
      const f = frameOf(d);
      if (f.id !== id || f.seq !== seq || f.total !== datagrams.length || f.reserved !== 0)
        throw new Error(`unexpected frame ${JSON.stringify(f)} for request ${id}`);
    });
    return Buffer.concat(datagrams.map((d) => d.subarray(HEADER))).toString('latin1');
  }

  /** Nothing arrived yet (call after a later request's reply to prove an earlier drop). */
  get idle(): boolean {
    return this.inbox.length === 0;
  }

  close(): void {
    this.socket.close();
  }
}

let server: TestServer;
t.before(async () => {
  server = await startTestServer(['-m', '64'], { udp: true });
});
t.teardown(() => server.close());

async function udpClient(t: { teardown(fn: () => void): void }): Promise<UdpClient> {
  const c = await UdpClient.open(server.udpPort);
  t.teardown(() => c.close());
  return c;
}

async function tcpClient(t: { teardown(fn: () => void): void }): Promise<RawClient> {
  const c = await RawClient.connectFor(t, server.port);
  return c;
}

t.test('UDP is off unless asked for', async (t) => {
  const plain = await startTestServer();
  t.teardown(() => plain.close());
  t.equal(plain.udpPort, 0);
  t.not(server.udpPort, 0);
});

t.test('set and get round trip, byte for byte', async (t) => {
  const c = await udpClient(t);
  c.send(0x1234, 'set foo 5 0 3\r\nbar\r\n');
  t.same(await c.reply(), [Buffer.from('\x12\x34\0\0\0\x01\0\0STORED\r\n', 'latin1')]);
  c.send(0xfffe, 'get foo\r\n');
  t.same(await c.reply(), [
    Buffer.from('\xff\xfe\0\0\0\x01\0\0VALUE foo 5 3\r\nbar\r\nEND\r\n', 'latin1'),
  ]);
  c.send(7, 'get nope\r\n');
  t.equal(await c.text(7), 'END\r\n');
  c.send(8, 'bogus\r\n');
  t.equal(await c.text(8), 'ERROR\r\n');
});

t.test('UDP and TCP serve one cache', async (t) => {
  const u = await udpClient(t);
  const c = await tcpClient(t);
  u.send(1, 'set shared 1 0 2\r\nhi\r\n');
  t.equal(await u.text(1), 'STORED\r\n');
  t.equal(await c.call('get shared\r\n', 'END\r\n'), 'VALUE shared 1 2\r\nhi\r\nEND\r\n');
  await c.call('set shared 2 0 3\r\nyou\r\n');
  u.send(2, 'get shared\r\n');
  t.equal(await u.text(2), 'VALUE shared 2 3\r\nyou\r\nEND\r\n');
});

t.test('a reply over 1400 bytes is split into numbered datagrams', async (t) => {
  const c = await udpClient(t);
  const value = Buffer.alloc(3000);
  for (let i = 0; i < value.length; i++) value[i] = 0x61 + (i % 26);
  c.send(21, Buffer.concat([Buffer.from('set big 0 0 3000\r\n'), value, Buffer.from('\r\n')]));
  t.equal(await c.text(21), 'STORED\r\n');
  c.send(22, 'get big\r\n');
  const datagrams = await c.reply();
  // 3025 reply bytes: 1392 + 1392 + 241, each after its 8-byte header (memcached 1.6.18 too).
  t.same(
    datagrams.map((d) => d.length),
    [MAX_DATAGRAM, MAX_DATAGRAM, 249],
  );
  t.same(datagrams.map(frameOf), [
    { id: 22, seq: 0, total: 3, reserved: 0 },
    { id: 22, seq: 1, total: 3, reserved: 0 },
    { id: 22, seq: 2, total: 3, reserved: 0 },
  ]);
  const body = Buffer.concat(datagrams.map((d) => d.subarray(HEADER)));
  t.same(
    body,
    Buffer.concat([Buffer.from('VALUE big 0 3000\r\n'), value, Buffer.from('\r\nEND\r\n')]),
  );

  // A reply of exactly 1392 + 5 bytes: the END goes alone in the second datagram.
  c.send(23, `set edge 0 0 1371\r\n${'e'.repeat(1371)}\r\n`);
  await c.text(23);
  c.send(24, 'get edge\r\n');
  const edge = await c.reply();
  t.same(
    edge.map((d) => d.length),
    [MAX_DATAGRAM, 13],
  );
  t.equal(edge[1].toString('latin1', HEADER), 'END\r\n');

  // A 60 KB value (a request must fit one datagram): 44 datagrams, in sequence order.
  const large = Buffer.alloc(60_000, 0x7a);
  c.send(25, Buffer.concat([Buffer.from('set large 0 0 60000\r\n'), large, Buffer.from('\r\n')]));
  await c.text(25);
  c.send(26, 'get large\r\n');
  const got = await c.text(26);
  t.equal(got, `VALUE large 0 60000\r\n${large.toString('latin1')}\r\nEND\r\n`);
});

t.test('each command of a datagram gets its own reply', async (t) => {
  const c = await udpClient(t);
  c.send(31, 'set a 0 0 1\r\na\r\nset b 0 0 1\r\nb\r\nget a\r\nbogus\r\n');
  t.equal(await c.text(31), 'STORED\r\n');
  t.equal(await c.text(31), 'STORED\r\n');
  t.equal(await c.text(31), 'VALUE a 0 1\r\na\r\nEND\r\n');
  t.equal(await c.text(31), 'ERROR\r\n');
  c.send(32, 'set q 0 0 1 noreply\r\nq\r\nget q\r\n');
  t.equal(await c.text(32), 'VALUE q 0 1\r\nq\r\nEND\r\n', 'noreply sends no datagram');
});

t.test('frame headers memcached drops, and those it serves', async (t) => {
  const c = await udpClient(t);
  c.send(41, 'set fh 0 0 1\r\nx\r\n');
  await c.text(41);
  c.send(42, 'get fh\r\n', { total: 2 });
  c.send(43, 'get fh\r\n', { seq: 1, total: 2 });
  c.send(44, 'get fh\r\n', { total: 0 });
  c.raw(header({ id: 45, seq: 0, total: 1, reserved: 0 }));
  c.raw(Buffer.from([0, 46, 0, 0, 0, 1]));
  // The sequence number and the reserved word are not checked.
  c.send(47, 'get fh\r\n', { seq: 3, reserved: 9 });
  t.equal(await c.text(47), 'VALUE fh 0 1\r\nx\r\nEND\r\n');
  c.send(48, 'version\r\n');
  t.match(await c.text(48), /^VERSION /);
  t.ok(c.idle, 'multi-datagram requests and bare headers got no reply');
});

t.test('a datagram stands alone', async (t) => {
  const c = await udpClient(t);
  c.send(51, 'set sa 0 0 1\r\ns\r\n');
  await c.text(51);
  // An incomplete data block or line at the end of a datagram is dropped, not carried over.
  c.send(52, 'set sa 0 0 10\r\nabc');
  c.send(53, 'get sa\r\n');
  t.equal(await c.text(53), 'VALUE sa 0 1\r\ns\r\nEND\r\n');
  c.send(54, 'get s');
  c.send(55, 'a\r\n');
  t.equal(await c.text(55), 'ERROR\r\n');
  // quit and junk end their datagram (the rest is not run) but not the next one.
  c.send(56, 'get sa\r\nquit\r\nget sa\r\n');
  t.equal(await c.text(56), 'VALUE sa 0 1\r\ns\r\nEND\r\n');
  c.send(57, 'get sa\r\nGET / HTTP/1.1\r\nget sa\r\n');
  t.equal(await c.text(57), 'VALUE sa 0 1\r\ns\r\nEND\r\n');
  c.send(58, `${'x'.repeat(3000)}`);
  c.send(59, 'get sa\r\n');
  t.equal(await c.text(59), 'VALUE sa 0 1\r\ns\r\nEND\r\n');
  t.ok(c.idle);
  // A value too large is refused and its block skipped within the datagram only (memcached
  // 1.6.18 sends nothing and goes on swallowing the next datagrams).
  c.send(60, 'set huge 0 0 2000000\r\nabc\r\nget sa\r\n');
  t.equal(await c.text(60), 'SERVER_ERROR object too large for cache\r\n');
  c.send(61, 'get sa\r\n');
  t.equal(await c.text(61), 'VALUE sa 0 1\r\ns\r\nEND\r\n');
  t.ok(c.idle);
});

t.test('more commands than -R in one datagram: all answered, then the next datagram', async (t) => {
  const c = await udpClient(t);
  const gets = Array.from({ length: 45 }, (_, i) => `get r${i}\r\n`).join('');
  c.send(71, gets);
  c.send(72, 'version\r\n');
  for (let i = 0; i < 45; i++) t.equal(await c.text(71), 'END\r\n');
  t.match(await c.text(72), /^VERSION /);
  const stats = await (await tcpClient(t)).call('stats\r\n', 'END\r\n');
  t.match(stats, /STAT conn_yields [1-9]/);
});

t.test('stats count datagrams, headers included, and no UDP connection', async (t) => {
  const c = await udpClient(t);
  const tcp = await tcpClient(t);
  const read = (s: string, name: string) => Number(new RegExp(`STAT ${name} (\\d+)`).exec(s)![1]);
  const before = await tcp.call('stats\r\n', 'END\r\n');
  c.send(81, 'get x\r\n', { total: 2 }); // 15 bytes, counted, dropped
  c.raw(Buffer.alloc(HEADER)); // 8 bytes, ignored (memcached counts nothing either)
  c.send(82, 'get x\r\n'); // 15 bytes; reply "END\r\n" + header: 13 bytes
  await c.text(82);
  const after = await tcp.call('stats\r\n', 'END\r\n');
  t.equal(read(after, 'bytes_read') - read(before, 'bytes_read'), 15 + 15 + 'stats\r\n'.length);
  t.equal(read(after, 'bytes_written') - read(before, 'bytes_written'), before.length + 13);
  t.equal(read(after, 'curr_connections'), 1, 'only the TCP client');
  const settings = await tcp.call('stats settings\r\n', 'END\r\n');
  t.match(settings, `STAT udpport ${server.udpPort}\r\n`);
  t.match(settings, 'STAT num_threads_per_udp 2\r\n');
});
