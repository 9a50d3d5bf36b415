/**
 * A raw TCP client for protocol tests: send bytes, then read exactly what the server wrote,
 * by byte count, by line, or up to a terminator. Every wait has a timeout so a missing reply
 * fails the test instead of hanging it.
 */
import { connect, type Socket } from 'node:net';

export class RawClient {
  private socket: Socket;
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  ended = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Connects, and closes the connection when test `t` ends. */
  static async connectFor(
    t: { teardown(fn: () => void): void },
    port: number,
    host = '127.0.0.1',
  ): Promise<RawClient> {
    const c = await RawClient.connect(port, host);
    t.teardown(() => c.close());
    return c;
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  private async until(ready: () => number, timeoutMs: number): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = ready();
      if (n >= 0) {
        const out = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        return out;
      }
      if (this.ended)
        throw new Error(
          `connection closed; unread: ${JSON.stringify(this.buf.toString('latin1'))}`,
        );
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out; unread: ${JSON.stringify(this.buf.toString('latin1').slice(0, 200))}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = null;
          resolve();
        };
      });
    }
  }

  /** Exactly n bytes. */
  read(n: number, timeoutMs = 5000): Promise<string> {
    return this.until(() => (this.buf.length >= n ? n : -1), timeoutMs).then((b) =>
      b.toString('latin1'),
    );
  }

  /** Up to and including the terminator. */
  readUntil(terminator: string, timeoutMs = 5000): Promise<string> {
    return this.until(() => {
      const i = this.buf.indexOf(terminator, 0, 'latin1');
      return i < 0 ? -1 : i + terminator.length;
    }, timeoutMs).then((b) => b.toString('latin1'));
  }

  /** Up to the offset `end` finds in what has arrived so far, as text (-1: not there yet). */
  readTo(end: (arrived: string) => number, timeoutMs = 5000): Promise<string> {
    return this.until(() => end(this.buf.toString('latin1')), timeoutMs).then((b) =>
      b.toString('latin1'),
    );
  }

  readLine(timeoutMs = 5000): Promise<string> {
    return this.readUntil('\r\n', timeoutMs);
  }

  /** Sends a command and reads its reply up to the terminator (default: one line). */
  async call(command: string | Buffer, terminator = '\r\n'): Promise<string> {
    this.write(command);
    return this.readUntil(terminator);
  }

  /** Resolves when the server closes the connection; rejects after the timeout. */
  async closed(timeoutMs = 5000): Promise<void> {
    await this.until(() => (this.ended ? 0 : -1), timeoutMs);
  }

  /** Whatever arrived so far, without waiting. */
  pending(): string {
    const s = this.buf.toString('latin1');
    this.buf = Buffer.alloc(0);
    return s;
  }

  close(): void {
    this.socket.destroy();
  }
}
