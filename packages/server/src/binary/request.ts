/**
 * One binary request as dispatch.ts framed it: its parsed header and where its parts lie in
 * the read buffer. One instance per worker is reused for every packet (a packet is handled
 * start to finish before the next is read).
 */
import { Binary } from '@slabcache/protocol';

export class Request {
  readonly header = new Binary.PacketHeader();
  buf: Buffer = Buffer.alloc(0);
  /** The header's first byte. */
  start = 0;
  /** The extras' first byte. */
  extras = 0;
  /** The key's first byte. */
  key = 0;
  /** The first byte after the key: where a value starts. */
  keyEnd = 0;
  /** The request's opcode without its quiet flag (GETQ -> GET). */
  command = 0;
  /** A quiet opcode: no reply on success (nor on a miss, for gets). */
  quiet = false;

  get keyLength(): number {
    return this.header.keyLength;
  }

  /** The first byte after the whole packet. */
  get end(): number {
    return this.start + Binary.HEADER_LENGTH + this.header.bodyLength;
  }

  /** A big-endian u32 of the extras, at `offset` into them. */
  extrasU32(offset: number): number {
    return Binary.readU32(this.buf, this.extras + offset);
  }

  /** A big-endian u64 of the extras, at `offset` into them. */
  extrasU64(offset: number): bigint {
    return Binary.readU64(this.buf, this.extras + offset);
  }
}
