/**
 * One request on a pipelined connection: the bytes it sends and a reader that consumes its
 * reply. memcached answers requests in the order they were sent, so a connection keeps its
 * requests in a FIFO and hands the bytes it receives to the oldest one until that one is done.
 *
 * A reader consumes as much of its reply as has arrived, keeps what it learnt in the request,
 * and returns false to be called again when more bytes arrive (a multi-get's hits are taken
 * one by one, never re-read); it throws a ProtocolError on bytes it cannot make sense of.
 */
import { Codes, ProtocolError, type ServerError } from './errors.ts';

/** The unconsumed bytes of a connection: buf[pos, end). Readers advance `pos`. */
export class ReplyBuffer {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  /** `host:port` of the server the bytes come from, for error messages. */
  server = '';
  /** Whether `buf` is ours to write into (not a socket chunk we were handed). */
  private owned = false;

  get length(): number {
    return this.end - this.pos;
  }

  append(chunk: Buffer): void {
    if (this.pos === this.end) {
      // Nothing pending: read the socket's chunk in place.
      this.buf = chunk;
      this.pos = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    const live = this.end - this.pos;
    if (!this.owned || this.end + chunk.length > this.buf.length) {
      // Grow to at least twice what is needed, so a large value arriving in many chunks
      // is copied O(n) times in all, not O(n^2).
      const size = Math.max(2 * (live + chunk.length), 16 * 1024);
      const bigger = Buffer.allocUnsafe(size);
      this.buf.copy(bigger, 0, this.pos, this.end);
      this.buf = bigger;
      this.pos = 0;
      this.end = live;
      this.owned = true;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  /** Index of the CR of the next CRLF-ended line from `pos`, or -1 when incomplete. */
  lineEnd(): number {
    const nl = this.buf.indexOf(0x0a, this.pos);
    if (nl < 0 || nl >= this.end) return -1;
    if (nl === this.pos || this.buf[nl - 1] !== 0x0d) {
      throw protocolError(`reply line not ended by CRLF: ${this.preview(this.pos)}`);
    }
    return nl - 1;
  }

  /** buf[start, end) as a fresh Buffer: values outlive the reply buffer, which is reused. */
  copy(start: number, end: number): Buffer {
    const out = Buffer.allocUnsafe(end - start);
    this.buf.copy(out, 0, start, end);
    return out;
  }

  text(start: number, end: number): string {
    return this.buf.toString('utf8', start, end);
  }

  /** Up to 80 bytes from `start`, quoted, for error messages. */
  preview(start: number, end = this.end): string {
    return JSON.stringify(this.buf.toString('latin1', start, Math.min(end, start + 80)));
  }
}

/** What a reader throws on bytes that are not the reply it expects. */
export function protocolError(message: string): ProtocolError {
  return new ProtocolError(Codes.PROTOCOL, message);
}

/** Where a request writes its bytes: the connection's Output, which sends everything written
 * in one tick in one socket write. */
export interface Sink {
  write(chunk: string | Uint8Array): unknown;
}

export abstract class Request<T> {
  /** When the request times out (ms, performance.now() clock); set by the connection. */
  deadline = 0;
  /** The server's error reply, if it sent one: the request fails with it, and the
   * connection stays usable (the reply was read in full). */
  error: ServerError | null = null;
  result!: T;
  readonly promise: Promise<T>;
  // Typed on unknown, so that a Request<string> is a Request<unknown> to the connection.
  private resolveFn!: (value: unknown) => void;
  private rejectFn!: (error: Error) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolveFn = resolve as (value: unknown) => void;
      this.rejectFn = reject;
    });
  }

  /** Writes the request's bytes (strings go out as UTF-8). */
  abstract write(out: Sink): void;

  /** Consumes this request's reply from `r` as far as it has arrived; true when complete. */
  abstract read(r: ReplyBuffer): boolean;

  /** Settles the promise from `result` or `error` once the reply is read. */
  settle(): void {
    if (this.error) this.rejectFn(this.error);
    else this.resolveFn(this.result);
  }

  fail(error: Error): void {
    this.rejectFn(error);
  }
}
