/**
 * The binary protocol's entry: handles one request packet at buf[pos] when it is complete.
 * Returns the position after it, or `pos` when more bytes are needed.
 */
import type { Connection } from '../connection.ts';

export function dispatchPacket(c: Connection, buf: Buffer, pos: number, _end: number): number {
  // memcached closes a binary connection whose packet does not start with the request magic.
  if (buf[pos] !== 0x80) {
    c.close();
    return pos + 1;
  }
  c.close();
  return pos + 1;
}
