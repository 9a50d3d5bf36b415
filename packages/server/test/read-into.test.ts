/**
 * read-into.ts: an accepted socket reads into one shared buffer through a callback instead of
 * 'data' events, and keeps Node's pause/resume and end-of-stream behaviour. If a Node upgrade
 * reshapes the internals it relies on, the first test fails here (the server itself would
 * quietly fall back to 'data' events).
 */
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { readInto } from '../src/read-into.ts';

async function pair(t: Test): Promise<{ server: Socket; client: Socket }> {
  const listener: Server = createServer({ allowHalfOpen: true });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as { port: number };
  const accepted = once(listener, 'connection');
  const client = connect(port, '127.0.0.1');
  const [server] = (await accepted) as [Socket];
  t.teardown(() => {
    client.destroy();
    server.destroy();
    listener.close();
  });
  return { server, client };
}

t.test('reads land in the shared buffer, in order, with no data events', async (t) => {
  const { server, client } = await pair(t);
  const shared = Buffer.alloc(64 * 1024);
  let got = '';
  let sameBuffer = true;
  t.equal(
    readInto(server, shared, (n, buf) => {
      sameBuffer &&= buf === shared;
      got += buf.toString('latin1', 0, n);
    }),
    true,
    'this Node lets an accepted socket read into a user buffer',
  );
  server.on('data', () => t.fail('no data event in user-buffer mode'));
  const ended = once(server, 'end');
  for (let i = 0; i < 50; i++) client.write(`line ${i}\r\n`);
  client.end();
  await ended;
  t.equal(got, Array.from({ length: 50 }, (_, i) => `line ${i}\r\n`).join(''));
  t.ok(sameBuffer, 'every read is in the buffer given');
});

t.test('pause stops the callbacks and resume brings the held bytes', async (t) => {
  const { server, client } = await pair(t);
  let got = '';
  readInto(server, Buffer.alloc(1024), (n, buf) => {
    got += buf.toString('latin1', 0, n);
  });
  client.write('first');
  while (got.length < 5) await new Promise((r) => setTimeout(r, 5));
  server.pause();
  client.write('second');
  await new Promise((r) => setTimeout(r, 100));
  t.equal(got, 'first', 'nothing read while paused');
  server.resume();
  while (got.length < 11) await new Promise((r) => setTimeout(r, 5));
  t.equal(got, 'firstsecond');
});

t.test('a read larger than the buffer comes in several callbacks', async (t) => {
  const { server, client } = await pair(t);
  const sizes: number[] = [];
  readInto(server, Buffer.alloc(100), (n) => {
    sizes.push(n);
  });
  const ended = once(server, 'end');
  client.end(Buffer.alloc(1000, 0x61));
  await ended;
  t.equal(
    sizes.reduce((a, b) => a + b, 0),
    1000,
  );
  t.ok(sizes.every((n) => n <= 100));
});

t.test('a socket already in user-buffer mode, or without a handle, is left alone', async (t) => {
  const { server } = await pair(t);
  t.equal(
    readInto(server, Buffer.alloc(16), () => {}),
    true,
  );
  t.equal(
    readInto(server, Buffer.alloc(16), () => {}),
    false,
    'second call changes nothing',
  );
  const closed = await pair(t);
  closed.server.destroy();
  await once(closed.server, 'close');
  t.equal(
    readInto(closed.server, Buffer.alloc(16), () => {}),
    false,
  );
});
