/**
 * memcached's UDP frame (doc/protocol.txt, "UDP protocol"). Every datagram, request or reply,
 * starts with 8 bytes, four big-endian u16s:
 *
 *   | bytes | field                                                                |
 *   | ----- | -------------------------------------------------------------------- |
 *   | 0-1   | request id: chosen by the client, echoed by every datagram of a reply |
 *   | 2-3   | sequence number, 0 .. total - 1                                      |
 *   | 4-5   | total datagrams in this message                                      |
 *   | 6-7   | reserved, 0                                                          |
 *
 * then the text (or meta) protocol's bytes. A request must fit one datagram; a reply is cut
 * into datagrams of at most UDP_MAX_PAYLOAD_SIZE bytes, header included.
 */

export const UDP_HEADER_SIZE = 8;
/** memcached's UDP_MAX_PAYLOAD_SIZE: the largest reply datagram, header included. */
export const UDP_MAX_PAYLOAD_SIZE = 1400;
const BODY_MAX = UDP_MAX_PAYLOAD_SIZE - UDP_HEADER_SIZE;
const U16_MAX = 0xffff;

/** Whether memcached would serve this request datagram: something after the header, in a
 * message of exactly one datagram. It checks neither the sequence number nor the reserved
 * word, and silently drops everything else. */
export function isServedRequest(msg: Uint8Array): boolean {
  return msg.length > UDP_HEADER_SIZE && msg[4] === 0 && msg[5] === 1;
}

export function requestId(msg: Uint8Array): number {
  return (msg[0] << 8) | msg[1];
}

/**
 * Frames a reply as its datagrams laid end to end in one new buffer: datagram i starts at
 * i * UDP_MAX_PAYLOAD_SIZE and every one but the last is exactly that long. A reply of more
 * than 65535 datagrams (only values near -I 1g) says 65535 and its sequence numbers wrap.
 */
export function frameReply(id: number, data: Uint8Array): Buffer {
  const n = data.length;
  const count = Math.max(1, Math.ceil(n / BODY_MAX));
  const out = Buffer.allocUnsafe(n + count * UDP_HEADER_SIZE);
  const total = Math.min(count, U16_MAX);
  let at = 0;
  for (let seq = 0; seq < count; seq++) {
    const from = seq * BODY_MAX;
    const to = Math.min(n, from + BODY_MAX);
    out.writeUInt16BE(id, at);
    out.writeUInt16BE(seq & U16_MAX, at + 2);
    out.writeUInt16BE(total, at + 4);
    out.writeUInt16BE(0, at + 6);
    out.set(data.subarray(from, to), at + UDP_HEADER_SIZE);
    at += UDP_HEADER_SIZE + to - from;
  }
  return out;
}
