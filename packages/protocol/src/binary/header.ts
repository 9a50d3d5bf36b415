/**
 * The 24-byte packet header, the same layout for requests and responses (big-endian):
 *
 * | bytes | request              | response             |
 * | ----- | -------------------- | -------------------- |
 * | 0     | magic 0x80           | magic 0x81           |
 * | 1     | opcode               | opcode (echoed)      |
 * | 2-3   | key length           | key length           |
 * | 4     | extras length        | extras length        |
 * | 5     | data type (0)        | data type (0)        |
 * | 6-7   | vbucket id           | status               |
 * | 8-11  | total body length    | total body length    |
 * | 12-15 | opaque               | opaque (echoed)      |
 * | 16-23 | CAS                  | CAS                  |
 *
 * The body is extras, then key, then value: value length = body - extras - key.
 */
import { HEADER_LENGTH, RAW_BYTES } from './constants.ts';

export const MAGIC = 0;
export const OPCODE = 1;
export const KEY_LENGTH = 2;
export const EXTRAS_LENGTH = 4;
export const DATA_TYPE = 5;
export const STATUS = 6;
export const VBUCKET = 6;
export const BODY_LENGTH = 8;
export const OPAQUE = 12;
export const CAS = 16;

/** A parsed header; reuse one instance per reader, as readHeader fills it in place. */
export class PacketHeader {
  magic = 0;
  opcode = 0;
  keyLength = 0;
  extrasLength = 0;
  dataType = 0;
  /** vbucket id in a request, status in a response. */
  status = 0;
  bodyLength = 0;
  opaque = 0;
  /** The 64-bit CAS as a number: exact below 2^53, as the store's CAS values are. */
  cas = 0;

  /** Bytes of value after the extras and the key (negative when the lengths are wrong). */
  get valueLength(): number {
    return this.bodyLength - this.extrasLength - this.keyLength;
  }
}

/** Reads the header at buf[pos, pos + 24) into `into`; the caller checks that it is there. */
export function readHeader(buf: Uint8Array, pos: number, into: PacketHeader): PacketHeader {
  into.magic = buf[pos + MAGIC];
  into.opcode = buf[pos + OPCODE];
  into.keyLength = readU16(buf, pos + KEY_LENGTH);
  into.extrasLength = buf[pos + EXTRAS_LENGTH];
  into.dataType = buf[pos + DATA_TYPE];
  into.status = readU16(buf, pos + STATUS);
  into.bodyLength = readU32(buf, pos + BODY_LENGTH);
  into.opaque = readU32(buf, pos + OPAQUE);
  into.cas = readU32(buf, pos + CAS) * 0x100000000 + readU32(buf, pos + CAS + 4);
  return into;
}

/** Writes a header at buf[pos]; returns the position after it. `status` is the vbucket id
 * in a request. */
export function writeHeader(
  buf: Uint8Array,
  pos: number,
  magic: number,
  opcode: number,
  status: number,
  keyLength: number,
  extrasLength: number,
  bodyLength: number,
  opaque: number,
  cas: number,
): number {
  buf[pos + MAGIC] = magic;
  buf[pos + OPCODE] = opcode;
  writeU16(buf, pos + KEY_LENGTH, keyLength);
  buf[pos + EXTRAS_LENGTH] = extrasLength;
  buf[pos + DATA_TYPE] = RAW_BYTES;
  writeU16(buf, pos + STATUS, status);
  writeU32(buf, pos + BODY_LENGTH, bodyLength);
  writeU32(buf, pos + OPAQUE, opaque);
  writeU32(buf, pos + CAS, Math.floor(cas / 0x100000000));
  writeU32(buf, pos + CAS + 4, cas >>> 0);
  return pos + HEADER_LENGTH;
}

export function readU16(buf: Uint8Array, at: number): number {
  return (buf[at] << 8) | buf[at + 1];
}

export function readU32(buf: Uint8Array, at: number): number {
  return ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0;
}

/** A 64-bit field (incr delta and initial value) as a bigint. */
export function readU64(buf: Uint8Array, at: number): bigint {
  return (BigInt(readU32(buf, at)) << 32n) | BigInt(readU32(buf, at + 4));
}

export function writeU16(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 8;
  buf[at + 1] = v;
}

export function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = v >>> 16;
  buf[at + 2] = v >>> 8;
  buf[at + 3] = v;
}

export function writeU64(buf: Uint8Array, at: number, v: bigint): void {
  writeU32(buf, at, Number((v >> 32n) & 0xffffffffn));
  writeU32(buf, at + 4, Number(v & 0xffffffffn));
}
