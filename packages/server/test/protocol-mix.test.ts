/**
 * Text, meta and binary connections at once against one server with several workers: each
 * pipelines batches of its own protocol while the others run, every reply comes back in
 * order, and what one protocol writes the others read (same items, flags and CAS).
 */
import t from 'tap';
import { call, Op, packet, readReplies, Status, u32 } from './helpers/binary-client.ts';
import { RawClient } from './helpers/raw-client.ts';
import { startTestServer } from './helpers/server.ts';

const ROUNDS = 40;
const BATCH = 25;

t.test('pipelined text, meta and binary batches interleave without mixing', async (t) => {
  const server = await startTestServer(['-t', '4']);
  t.teardown(() => server.close());
  const text = await RawClient.connect(server.port);
  const meta = await RawClient.connect(server.port);
  const bin = await RawClient.connect(server.port);
  t.teardown(() => {
    text.close();
    meta.close();
    bin.close();
  });

  const textRun = async () => {
    let ok = 0;
    for (let r = 0; r < ROUNDS; r++) {
      let req = '';
      let want = '';
      for (let i = 0; i < BATCH; i++) {
        const k = `t:${r}:${i}`;
        req += `set ${k} ${i} 0 ${k.length}\r\n${k}\r\nget ${k}\r\n`;
        want += `STORED\r\nVALUE ${k} ${i} ${k.length}\r\n${k}\r\nEND\r\n`;
      }
      text.write(req);
      if ((await text.read(want.length)) === want) ok++;
    }
    return ok;
  };
  const metaRun = async () => {
    let ok = 0;
    for (let r = 0; r < ROUNDS; r++) {
      let req = '';
      let want = '';
      for (let i = 0; i < BATCH; i++) {
        const k = `m:${r}:${i}`;
        req += `ms ${k} ${k.length} F${i} q\r\n${k}\r\nmg ${k} v f O${i}\r\nmg nothing:${k} v q\r\n`;
        want += `VA ${k.length} f${i} O${i}\r\n${k}\r\n`;
      }
      req += 'mn\r\n';
      want += 'MN\r\n';
      meta.write(req);
      if ((await meta.read(want.length)) === want) ok++;
    }
    return ok;
  };
  const binRun = async () => {
    let ok = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const reqs: Buffer[] = [];
      for (let i = 0; i < BATCH; i++) {
        const k = `b:${r}:${i}`;
        reqs.push(packet(Op.SETQ, { key: k, value: k, extras: u32(i, 0), opaque: i }));
        reqs.push(packet(Op.GETK, { key: k, opaque: 1000 + i }));
        reqs.push(packet(Op.GETQ, { key: `nothing:${k}` }));
      }
      reqs.push(packet(Op.NOOP, { opaque: 99 }));
      bin.write(Buffer.concat(reqs));
      const replies = await readReplies(bin, BATCH + 1);
      const good = replies.every((rep, i) =>
        i === BATCH
          ? rep.opcode === Op.NOOP && rep.opaque === 99
          : rep.opcode === Op.GETK &&
            rep.status === Status.SUCCESS &&
            rep.opaque === 1000 + i &&
            rep.key === `b:${r}:${i}` &&
            rep.value.toString() === `b:${r}:${i}` &&
            rep.extras.readUInt32BE(0) === i,
      );
      if (good) ok++;
    }
    return ok;
  };
  const [a, b, c] = await Promise.all([textRun(), metaRun(), binRun()]);
  t.equal(a, ROUNDS, 'every text batch answered in order');
  t.equal(b, ROUNDS, 'every meta batch answered in order, quiet misses silent');
  t.equal(c, ROUNDS, 'every binary batch answered in order, quiet sets and misses silent');

  // One item seen through all three protocols.
  t.equal(await text.call('set shared 42 0 5\r\nhello\r\n'), 'STORED\r\n');
  const gets = await text.call('gets shared\r\n', 'END\r\n');
  const cas = /VALUE shared 42 5 (\d+)/.exec(gets)?.[1];
  t.ok(cas, gets);
  t.equal(await meta.call('mg shared v f c\r\n', 'hello\r\n'), `VA 5 f42 c${cas}\r\nhello\r\n`);
  const viaBinary = await call(bin, packet(Op.GET, { key: 'shared' }));
  t.equal(viaBinary.value.toString(), 'hello');
  t.equal(viaBinary.extras.readUInt32BE(0), 42);
  t.equal(viaBinary.cas, BigInt(cas!));
  // A binary CAS update is seen by text and meta with its new CAS.
  const upd = await call(
    bin,
    packet(Op.SET, { key: 'shared', value: 'world', extras: u32(7, 0), cas: BigInt(cas!) }),
  );
  t.equal(upd.status, Status.SUCCESS);
  t.equal(await meta.call('mg shared v f c\r\n', 'world\r\n'), `VA 5 f7 c${upd.cas}\r\nworld\r\n`);
  t.equal(
    await text.call(`cas shared 0 0 1 ${cas}\r\nx\r\n`),
    'EXISTS\r\n',
    'the old CAS is stale',
  );
});
