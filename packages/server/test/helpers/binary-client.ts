/**
 * Binary protocol packets for tests: build requests field by field (lengths can be set
 * wrong on purpose), and read responses from a RawClient by their header's body length.
 */
import { Binary } from '@slabcache/protocol';
import type { RawClient } from './raw-client.ts';

export const Op = Binary.Opcode;
export const Status = Binary.Status;

export interface PacketFields {
  key?: string | Buffer;
  extras?: Buffer;
  value?: string | Buffer;
  cas?: bigint;
  opaque?: number;
  magic?: number;
  /** Override the lengths the header announces. */
  keyLength?: number;
  extrasLength?: number;
  bodyLength?: number;
}

/** A request packet: header, extras, key, value. */
export function packet(opcode: number, f: PacketFields = {}): Buffer {
  const key = bytes(f.key);
  const extras = f.extras ?? Buffer.alloc(0);
  const value = bytes(f.value);
  const header = Buffer.alloc(Binary.HEADER_LENGTH);
  Binary.writeHeader(
    header,
    0,
    f.magic ?? Binary.REQUEST_MAGIC,
    opcode,
    0,
    f.keyLength ?? key.length,
    f.extrasLength ?? extras.length,
    f.bodyLength ?? extras.length + key.length + value.length,
    f.opaque ?? 0,
    0,
  );
  header.writeBigUInt64BE(f.cas ?? 0n, 16);
  return Buffer.concat([header, extras, key, value]);
}

function bytes(v: string | Buffer | undefined): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'latin1') : (v ?? Buffer.alloc(0));
}

/** Big-endian u32 fields, e.g. set's flags and expiration. */
export function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => {
    b.writeUInt32BE(v >>> 0, i * 4);
  });
  return b;
}

/** increment / decrement extras: delta, initial value, expiration. */
export function arithExtras(delta: bigint, initial: bigint, exptime: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeBigUInt64BE(delta, 0);
  b.writeBigUInt64BE(initial, 8);
  b.writeUInt32BE(exptime >>> 0, 16);
  return b;
}

export interface Reply {
  magic: number;
  opcode: number;
  status: number;
  dataType: number;
  opaque: number;
  cas: bigint;
  extras: Buffer;
  key: string;
  value: Buffer;
}

function parseHeader(h: Buffer): { reply: Reply; keyLength: number; bodyLength: number } {
  return {
    reply: {
      magic: h[0],
      opcode: h[1],
      status: h.readUInt16BE(6),
      dataType: h[5],
      opaque: h.readUInt32BE(12),
      cas: h.readBigUInt64BE(16),
      extras: h.subarray(0, h[4]),
      key: '',
      value: Buffer.alloc(0),
    },
    keyLength: h.readUInt16BE(2),
    bodyLength: h.readUInt32BE(8),
  };
}

/** Reads one response. */
export async function readReply(c: RawClient, timeoutMs = 5000): Promise<Reply> {
  const { reply, keyLength, bodyLength } = parseHeader(
    Buffer.from(await c.read(Binary.HEADER_LENGTH, timeoutMs), 'latin1'),
  );
  const body = Buffer.from(await c.read(bodyLength, timeoutMs), 'latin1');
  const ext = reply.extras.length;
  reply.extras = body.subarray(0, ext);
  reply.key = body.toString('latin1', ext, ext + keyLength);
  reply.value = body.subarray(ext + keyLength);
  return reply;
}

export async function readReplies(c: RawClient, n: number): Promise<Reply[]> {
  const out: Reply[] = [];
  for (let i = 0; i < n; i++) out.push(await readReply(c));
  return out;
}

/** Sends one request and reads one response. */
export async function call(c: RawClient, request: Buffer): Promise<Reply> {
  c.write(request);
  return readReply(c);
}

/** Sends a stat request and reads its packets up to the empty one that ends them. */
export async function stats(c: RawClient, group = ''): Promise<Map<string, string>> {
  c.write(packet(Op.STAT, { key: group }));
  const out = new Map<string, string>();
  for (;;) {
    const r = await readReply(c);
    if (r.status !== Status.SUCCESS) throw new Error(`stat ${group}: status ${r.status}`);
    if (r.key === '' && r.value.length === 0) return out;
    out.set(r.key, r.value.toString('latin1'));
  }
}

/** A short summary of a reply for comparisons: opcode, status, key, value. */
export function brief(r: Reply): string {
  return `${r.opcode.toString(16)}/${r.status.toString(16)}/${r.key}/${r.value.toString('latin1')}`;
}
