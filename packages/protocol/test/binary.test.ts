/**
 * The binary protocol codec: headers read and written byte for byte as memcached lays them
 * out, the quiet-opcode mapping, and the constants' values from protocol_binary.h.
 */
import t from 'tap';
import { Binary } from '../src/index.ts';

const { Opcode, Status } = Binary;

t.test('readHeader parses a request header (memcached t/binary.t layout)', async (t) => {
  const buf = Buffer.from([
    0x80, 0x01, 0x00, 0x03, 0x08, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x0e, 0xde, 0xad, 0xbe, 0xef,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
  ]);
  const h = Binary.readHeader(buf, 0, new Binary.PacketHeader());
  t.equal(h.magic, Binary.REQUEST_MAGIC);
  t.equal(h.opcode, Opcode.SET);
  t.equal(h.keyLength, 3);
  t.equal(h.extrasLength, 8);
  t.equal(h.dataType, Binary.RAW_BYTES);
  t.equal(h.status, 0x1234, 'the vbucket field of a request');
  t.equal(h.bodyLength, 14);
  t.equal(h.valueLength, 3);
  t.equal(h.opaque, 0xdeadbeef, 'opaque reads as an unsigned 32-bit number');
  t.equal(h.cas, 2 ** 32 + 2, 'CAS reads as a 64-bit number');
});

t.test('readHeader reads at an offset and reuses the object', async (t) => {
  const buf = Buffer.alloc(30, 0xff);
  const h = new Binary.PacketHeader();
  Binary.writeHeader(buf, 6, Binary.REQUEST_MAGIC, Opcode.GETK, 0, 250, 0, 250, 7, 0);
  t.equal(Binary.readHeader(buf, 6, h), h);
  t.same(
    { op: h.opcode, key: h.keyLength, ext: h.extrasLength, body: h.bodyLength, cas: h.cas },
    { op: Opcode.GETK, key: 250, ext: 0, body: 250, cas: 0 },
  );
  t.equal(buf[5], 0xff, 'nothing before the header is touched');
});

t.test('writeHeader writes a response header byte for byte', async (t) => {
  const buf = Buffer.alloc(24);
  const end = Binary.writeHeader(
    buf,
    0,
    Binary.RESPONSE_MAGIC,
    Opcode.GETQ,
    Status.KEY_ENOENT,
    0x0102,
    4,
    0x01020304,
    0xfffffffe,
    2 ** 40 + 5,
  );
  t.equal(end, Binary.HEADER_LENGTH);
  t.equal(
    buf.toString('hex'),
    '8109' + '0102' + '04' + '00' + '0001' + '01020304' + 'fffffffe' + '0000010000000005',
  );
  t.equal(Binary.readHeader(buf, 0, new Binary.PacketHeader()).cas, 2 ** 40 + 5);
});

t.test('CAS round-trips up to 2^53 - 1', async (t) => {
  const buf = Buffer.alloc(24);
  for (const cas of [0, 1, 0xffffffff, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
    Binary.writeHeader(buf, 0, Binary.RESPONSE_MAGIC, 0, 0, 0, 0, 0, 0, cas);
    t.equal(buf.readBigUInt64BE(16), BigInt(cas));
    t.equal(Binary.readHeader(buf, 0, new Binary.PacketHeader()).cas, cas);
  }
});

t.test('big-endian field helpers', async (t) => {
  const buf = new Uint8Array(8);
  Binary.writeU16(buf, 0, 0xbeef);
  t.equal(Binary.readU16(buf, 0), 0xbeef);
  Binary.writeU32(buf, 0, 0xfedcba98);
  t.equal(Binary.readU32(buf, 0), 0xfedcba98);
  Binary.writeU64(buf, 0, 0xfedcba9876543210n);
  t.equal(Buffer.from(buf).toString('hex'), 'fedcba9876543210');
  t.equal(Binary.readU64(buf, 0), 0xfedcba9876543210n);
  Binary.writeU64(buf, 0, (1n << 64n) - 1n);
  t.equal(Binary.readU64(buf, 0), (1n << 64n) - 1n);
});

t.test('quiet opcodes map to their loud forms', async (t) => {
  // Every quiet opcode is named after its loud form with a Q after it.
  const byName: Record<string, number> = Opcode;
  const quiet = Object.keys(byName).filter((name) => name.endsWith('Q'));
  t.equal(quiet.length, 14);
  for (const name of quiet) {
    const loud = byName[name.slice(0, -1)];
    t.equal(Binary.loudOpcode(byName[name]), loud, name);
    t.ok(Binary.isQuiet(byName[name]));
    t.notOk(Binary.isQuiet(loud));
  }
  for (const op of [Opcode.NOOP, Opcode.VERSION, Opcode.STAT, Opcode.TOUCH, 0x50, 0xff]) {
    t.equal(Binary.loudOpcode(op), op);
    t.notOk(Binary.isQuiet(op));
  }
});

t.test('constants are protocol_binary.h values', async (t) => {
  t.equal(Opcode.GATKQ, 0x24);
  t.equal(Opcode.SASL_STEP, 0x22);
  t.equal(Opcode.VERBOSITY, 0x1b);
  t.equal(Status.UNKNOWN_COMMAND, 0x81);
  t.equal(Status.ENOMEM, 0x82);
  t.equal(Status.AUTH_CONTINUE, 0x21);
  t.equal(Binary.StorageExtras.LENGTH, 8);
  t.equal(Binary.ArithmeticExtras.LENGTH, 20);
  t.equal(Binary.ArithmeticExtras.EXPIRATION, 16);
  t.equal(Binary.ARITHMETIC_NO_CREATE, 0xffffffff);
  t.equal(Buffer.from(Binary.StatusText[Status.KEY_ENOENT]).toString(), 'Not found');
  t.equal(Buffer.from(Binary.StatusText[Status.AUTH_ERROR]).toString(), 'Auth failure.');
  t.equal(
    Buffer.from(Binary.StatusText[Status.DELTA_BADVAL]).toString(),
    'Non-numeric server-side value for incr or decr',
  );
});
