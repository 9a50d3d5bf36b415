/**
 * A connection's outgoing bytes: every request written in one tick is copied into one buffer
 * that leaves in one socket write on the next tick (fewer, larger writes; no per-request
 * chunk for the stream to track). Large values skip the copy and follow as their own chunk.
 * After a write the buffer's unused tail serves the next tick, so most ticks allocate nothing.
 */
import type { Socket } from 'node:net';
import type { Sink } from './request.ts';

const BLOCK = 64 * 1024;
/** Values from this size are written as they are, not copied. */
const DIRECT = 16 * 1024;

export class Output implements Sink {
  private readonly socket: Socket;
  private buf = Buffer.allocUnsafe(BLOCK);
  private start = 0;
  private end = 0;
  private scheduled = false;
  private readonly flushNow = () => this.flush();

  constructor(socket: Socket) {
    this.socket = socket;
  }

  write(chunk: string | Uint8Array): void {
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flushNow);
    }
    if (typeof chunk === 'string') {
      // UTF-8 takes at most 3 bytes per UTF-16 unit.
      this.reserve(chunk.length * 3);
      this.end += this.buf.write(chunk, this.end, 'utf8');
    } else if (chunk.length >= DIRECT) {
      this.flush();
      this.socket.write(chunk);
    } else {
      this.reserve(chunk.length);
      this.buf.set(chunk, this.end);
      this.end += chunk.length;
    }
  }

  /** Sends what was written so far. */
  flush(): void {
    this.scheduled = false;
    if (this.end === this.start) return;
    this.socket.write(this.buf.subarray(this.start, this.end));
    // The socket keeps the written bytes until they are sent: carry on after them.
    this.start = this.end;
  }

  private reserve(bytes: number): void {
    if (this.end + bytes <= this.buf.length) return;
    const pending = this.buf.subarray(this.start, this.end);
    // Doubling: a burst of many requests in one tick is copied O(n) times in all.
    const fresh = Buffer.allocUnsafe(Math.max(BLOCK, 2 * (pending.length + bytes)));
    fresh.set(pending, 0);
    this.buf = fresh;
    this.start = 0;
    this.end = pending.length;
  }
}
