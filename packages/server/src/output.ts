/**
 * A connection's reply buffer: every reply to one read is appended here and goes out in a
 * single socket write. After a write the buffer is reused if the kernel took all of it at
 * once (the usual case); otherwise the socket still owns it and a fresh one is started.
 */
import { writeDecimal } from '@slabcache/protocol';

/** Where replies go: a net.Socket, or the UDP sender that frames them into datagrams. */
export interface Transport {
  write(data: Uint8Array): boolean;
  readonly writableLength: number;
  pause(): unknown;
  resume(): unknown;
  end(): unknown;
  destroy(): unknown;
}

const INITIAL = 16 * 1024;

export class Output {
  buf: Buffer;
  len = 0;

  constructor(size = INITIAL) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    const n = src.length;
    const buf = this.buf;
    const at = this.len;
    if (n <= 32) for (let i = 0; i < n; i++) buf[at + i] = src[i];
    else buf.set(src, at);
    this.len = at + n;
  }

  range(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    const buf = this.buf;
    const at = this.len;
    if (n <= 32) for (let i = 0; i < n; i++) buf[at + i] = src[start + i];
    else buf.set(src.subarray(start, end), at);
    this.len = at + n;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** A non-negative integer below 2^53 in decimal. */
  decimal(v: number): void {
    this.ensure(16);
    this.len = writeDecimal(this.buf, this.len, v);
  }

  crlf(): void {
    this.ensure(2);
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  /** Text of rare replies (stats, errors with details). */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.len += this.buf.write(s, this.len, 'utf8');
  }

  /** Writes the pending bytes to the socket and readies the buffer for more. Returns what
   * socket.write returned (false: wait for 'drain'). */
  flush(socket: Transport): boolean {
    if (this.len === 0) return true;
    const ok = socket.write(this.buf.subarray(0, this.len));
    this.len = 0;
    // Still queued in the socket: the buffer is the socket's now, start a fresh one.
    if (socket.writableLength > 0)
      this.buf = Buffer.allocUnsafe(Math.max(INITIAL, this.buf.length >>> 1));
    return ok;
  }
}
