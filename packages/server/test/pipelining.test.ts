/**
 * Pipelining: a batch of mixed commands answered in order, whatever way TCP splits it, and
 * the replies of one read leaving in one write.
 */
import { connect } from 'node:net';
import t from 'tap';
import { checkEverySplit, sendSplit } from './helpers/every-split.ts';
import { RawClient } from './helpers/raw-client.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
t.before(async () => {
  server = await startTestServer();
});
t.teardown(() => server.close());

// Starts by flushing so every run sees the same cache. Covers data blocks holding \r\n,
// noreply, multi-get, errors, and a swallowed oversized value.
const BATCH = Buffer.from(
  [
    'flush_all noreply\r\n',
    'set p:a 1 0 5\r\nab\r\nc\r\n',
    'set p:b 2 0 3 noreply\r\nxyz\r\n',
    'get p:a p:b p:none\r\n',
    'append p:a 0 0 2\r\n!!\r\n',
    'incr p:n 1\r\n',
    'set p:n 0 0 1\r\n9\r\n',
    'incr p:n 1\r\n',
    'bogus command\r\n',
    'touch p:a 100\r\n',
    'delete p:b\r\n',
    'gets p:b\r\n',
    'set p:c 0 0 3\r\nabcd\r\n',
    'get p:a\r\n',
    'version\r\n',
  ].join(''),
  'latin1',
);

t.test('a pipelined batch split at every byte boundary gets the same replies', async (t) => {
  const expected = await sendSplit(server.port, BATCH, BATCH.length);
  t.match(
    expected,
    /^STORED\r\nVALUE p:a 1 5\r\nab\r\nc\r\nVALUE p:b 2 3\r\nxyz\r\nEND\r\nSTORED\r\nNOT_FOUND\r\nSTORED\r\n10\r\nERROR\r\nTOUCHED\r\nDELETED\r\nEND\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\nVALUE p:a 1 7\r\nab\r\nc!!\r\nEND\r\nVERSION \S+\r\n$/,
  );
  await checkEverySplit(t, server.port, BATCH, expected);
});

t.test('the replies to one read go out in one write', async (t) => {
  const c = await RawClient.connectFor(t, server.port);
  await c.call('set one 0 0 1\r\nx\r\n');
  const before = await statValue(c, 'bytes_written');
  // 16 gets in one packet; the reply to all of them should arrive as one segment.
  const socket = connect(server.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (d) => chunks.push(d));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write('get one\r\n'.repeat(16));
  const want = 'VALUE one 0 1\r\nx\r\nEND\r\n'.length * 16;
  const deadline = Date.now() + 5000;
  while (Buffer.concat(chunks).length < want && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 5));
  socket.destroy();
  t.equal(Buffer.concat(chunks).length, want);
  t.equal(chunks.length, 1, 'one segment');
  t.ok((await statValue(c, 'bytes_written')) > before);
});

async function statValue(c: RawClient, name: string): Promise<number> {
  const stats = await c.call('stats\r\n', 'END\r\n');
  return Number(new RegExp(`STAT ${name} (\\d+)`).exec(stats)![1]);
}

t.test('a client that never reads stops being read: memory stays bounded', async (t) => {
  const c = await RawClient.connectFor(t, server.port);
  const value = Buffer.alloc(1000 * 1024, 0x61);
  c.write(
    Buffer.concat([Buffer.from(`set big 0 0 ${value.length}\r\n`), value, Buffer.from('\r\n')]),
  );
  t.equal(await c.readLine(), 'STORED\r\n');

  const GETS = 400; // 400 MiB of replies if the server buffered them all
  const socket = connect(server.port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.pause();
  const rssBefore = process.memoryUsage().rss;
  socket.write('get big\r\n'.repeat(GETS));
  await new Promise((r) => setTimeout(r, 1500));
  const growth = process.memoryUsage().rss - rssBefore;
  t.ok(
    growth < 150 * 1024 * 1024,
    `server memory grew by ${(growth / 1048576).toFixed(0)} MiB while the client did not read`,
  );

  // Now read everything: every reply arrives, in order.
  let received = 0;
  const want = GETS * (value.length + `VALUE big 0 ${value.length}\r\n\r\nEND\r\n`.length);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${received} of ${want} bytes`)), 20_000);
    socket.on('data', (d) => {
      received += d.length;
      if (received >= want) {
        clearTimeout(timer);
        resolve();
      }
    });
    socket.resume();
  });
  socket.destroy();
  t.equal(received, want, 'all replies delivered after the client caught up');
});

t.test('a client that pipelines and closes at once still has every request run', async (t) => {
  // Regression: requests held back by -R (20 a turn) were dropped when the client's FIN
  // arrived first. pylibmc's buffered mode sends exactly this.
  const N = 10_000;
  let req = '';
  for (let i = 0; i < N; i++) req += `set eof:${i} 0 0 1 noreply\r\nx\r\n`;
  const replies = await new Promise<string>((resolve, reject) => {
    const s = connect({ port: server.port, host: '127.0.0.1' });
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
    });
    s.on('error', reject);
    s.on('close', () => resolve(got));
    s.end(`${req}get eof:0 eof:${N - 1}\r\n`);
  });
  t.equal(
    replies,
    `VALUE eof:0 0 1\r\nx\r\nVALUE eof:${N - 1} 0 1\r\nx\r\nEND\r\n`,
    'answered, then closed',
  );
  const c = await RawClient.connectFor(t, server.port);
  let missing = 0;
  for (let i = 0; i < N; i += 500) {
    let keys = '';
    for (let j = i; j < i + 500; j++) keys += ` eof:${j}`;
    const r = await c.call(`get${keys}\r\n`, 'END\r\n');
    missing += 500 - (r.match(/VALUE/g)?.length ?? 0);
  }
  t.equal(missing, 0, `all ${N} sets were stored`);
});
