/**
 * The soak run's load, in its own process so the server's RSS is its own: for `seconds`, a mix
 * of ordinary pipelined traffic, clients that vanish mid-value, slow readers, values over -I
 * and floods of connections up to -c. Prints one JSON line of counts at the end.
 *
 *   node scripts/soak/load.ts <port> <seconds> <maxConnections>
 */
import { connect, type Socket } from 'node:net';

const [port, seconds, maxConns] = process.argv.slice(2).map(Number);
const until = Date.now() + seconds * 1000;
const counts = {
  ops: 0,
  badReplies: 0,
  cutMidValue: 0,
  slowReaders: 0,
  oversized: 0,
  oversizedRefused: 0,
  floods: 0,
  floodRejected: 0,
};
const rand = (n: number) => Math.floor(Math.random() * n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `req` and resolves with everything read until `done(text)` says the reply is whole. */
function exchange(s: Socket, req: string, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const finish = () => {
      s.off('data', onData);
      s.off('close', finish);
      resolve(text);
    };
    const onData = (d: Buffer) => {
      text += d.toString('latin1');
      if (done(text)) finish();
    };
    s.on('data', onData);
    s.on('close', finish);
    s.write(req);
  });
}

/** Ordinary traffic: pipelined sets and gets of 10 B to 64 KiB values, replies checked. */
async function steady(): Promise<void> {
  const s = await open();
  while (Date.now() < until) {
    let req = '';
    const n = 1 + rand(16);
    for (let i = 0; i < n; i++) {
      const k = `k${rand(20_000)}`;
      const len = rand(4) === 0 ? rand(65536) : 10 + rand(200);
      req += `set ${k} 0 0 ${len} noreply\r\n${'v'.repeat(len)}\r\nget ${k}\r\n`;
    }
    const reply = await exchange(s, req, (t) => (t.match(/END\r\n/g)?.length ?? 0) >= n);
    if ((reply.match(/END\r\n/g)?.length ?? 0) !== n || reply.includes('ERROR'))
      counts.badReplies++;
    counts.ops += 2 * n;
  }
  s.destroy();
}

/** A client that announces a value and disappears halfway through it. */
async function cutMidValue(): Promise<void> {
  const s = await open();
  s.write(`set cut${rand(100)} 0 0 200000\r\n${'x'.repeat(rand(150_000))}`);
  await sleep(rand(20));
  s.destroy();
  counts.cutMidValue++;
}

/** Asks for big values and reads them slowly: the server must hold back, not buffer forever. */
async function slowReader(): Promise<void> {
  const s = await open();
  await exchange(s, `set big 0 0 500000\r\n${'b'.repeat(500_000)}\r\n`, (t) => t.includes('\r\n'));
  s.pause();
  s.write('get big\r\n'.repeat(200));
  for (let i = 0; i < 20 && Date.now() < until; i++) {
    await sleep(50);
    s.read(64 * 1024);
  }
  s.destroy();
  counts.slowReaders++;
}

/** A value over -I: refused with SERVER_ERROR, its bytes swallowed, the connection usable. */
async function oversized(): Promise<void> {
  const s = await open();
  const reply = await exchange(
    s,
    `set huge 0 0 2000000\r\n${'h'.repeat(2_000_000)}\r\nversion\r\n`,
    (t) => t.includes('VERSION'),
  );
  if (reply.startsWith('SERVER_ERROR object too large for cache')) counts.oversizedRefused++;
  // During a flood this connection may be the one past -c: that is the flood's count.
  else if (!reply.startsWith('ERROR Too many open connections')) counts.badReplies++;
  counts.oversized++;
  s.destroy();
}

/** Opens connections up to -c and past it: the extra ones get memcached's refusal. */
async function flood(): Promise<void> {
  const sockets: Socket[] = [];
  let rejected = 0;
  for (let i = 0; i < maxConns + 20; i++) {
    try {
      const s = await open();
      s.on('data', (d) => {
        if (d.toString().startsWith('ERROR Too many open connections')) rejected++;
      });
      s.on('error', () => {});
      sockets.push(s);
    } catch {
      rejected++;
    }
  }
  await sleep(200);
  for (const s of sockets) s.destroy();
  counts.floods++;
  counts.floodRejected += rejected;
}

async function loop(task: () => Promise<void>, pauseMs: number): Promise<void> {
  while (Date.now() < until) {
    await task().catch(() => {});
    await sleep(pauseMs);
  }
}

await Promise.all([
  ...Array.from({ length: 8 }, () => steady()),
  loop(cutMidValue, 20),
  loop(slowReader, 200),
  loop(oversized, 500),
  loop(flood, 5000),
]);
console.log(JSON.stringify(counts));
