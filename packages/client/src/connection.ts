/**
 * One TCP connection to one server, pipelined: requests are written as they come (all those
 * of one tick leave in one write, see output.ts) and their replies are matched to them in
 * order. It lives as long as its socket: when the socket closes, every
 * request still waiting fails and the pool opens a new connection for the next request.
 *
 * Timeouts: one timer per connection, set for the oldest request's deadline (deadlines grow in
 * FIFO order, so no other request can be due first). A request past its deadline leaves the
 * stream out of step (its reply may still come), so the connection is closed: the late request
 * fails with SLABCACHE_TIMEOUT, the ones behind it with SLABCACHE_CONNECTION_LOST.
 *
 * The socket keeps the process alive only while requests wait on it: an idle client does not
 * stop a script from exiting.
 */
import { connect, isIP, type Socket } from 'node:net';
import { type ConnectionOptions as TlsOptions, connect as tlsConnect } from 'node:tls';
import type { ServerSpec } from './address.ts';
import {
  Codes,
  ConnectionError,
  ProtocolError,
  type SlabcacheError,
  TimeoutError,
} from './errors.ts';
import { Output } from './output.ts';
import { ReplyBuffer, type Request } from './request.ts';

export interface ConnectionOptions {
  /** ms to wait for the TCP connection. */
  connectTimeout: number;
  /** ms to wait for each reply, counted from when the request is written. */
  timeout: number;
  /** TCP keep-alive probes on idle connections, after this many ms (0: off). */
  keepAlive: number;
  /** TLS options (a server with memcached's -Z); null: plain TCP. */
  tls: TlsOptions | null;
}

export interface ConnectionEvents {
  /** Replies arrived: the server is alive. */
  onReply(): void;
  /** The socket closed. `failure` is set when that counts against the server: it could not
   * be opened, requests were lost with it, or it was closed for a timeout or bad bytes. An
   * idle connection the server closed is no failure. */
  onClose(connection: Connection, failure: SlabcacheError | null): void;
}

type AnyRequest = Request<unknown>;

export class Connection {
  readonly server: ServerSpec;
  private readonly options: ConnectionOptions;
  private readonly events: ConnectionEvents;
  private readonly socket: Socket;
  private readonly reply = new ReplyBuffer();
  private readonly output: Output;
  /** Requests sent and not yet answered: queue[head, queue.length). */
  private queue: AnyRequest[] = [];
  private head = 0;
  private connected = false;
  private closed = false;
  /** Set when a graceful close() waits for the queue to drain. */
  private ending = false;
  /** Why we destroyed the socket (timeout, bad reply), reported when it closes. */
  private failure: SlabcacheError | null = null;
  /** The socket's last 'error', reported as the cause when it closes. */
  private socketError: Error | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly connectDeadline: number;
  private readonly closedPromise: Promise<void>;

  constructor(server: ServerSpec, options: ConnectionOptions, events: ConnectionEvents) {
    this.server = server;
    this.options = options;
    this.events = events;
    this.reply.server = server.address;
    this.connectDeadline = performance.now() + options.connectTimeout;
    const socket =
      options.tls === null
        ? connect({ host: server.host, port: server.port, noDelay: true })
        : tlsConnect({
            host: server.host,
            port: server.port,
            // SNI takes names only; an IP address is checked against the certificate's SANs.
            servername: isIP(server.host) === 0 ? server.host : undefined,
            ...options.tls,
          });
    this.socket = socket;
    socket.setNoDelay(true);
    this.output = new Output(socket);
    if (options.keepAlive > 0) socket.setKeepAlive(true, options.keepAlive);
    socket.unref();
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    // With TLS the connection is usable once the handshake is done.
    socket.on(options.tls === null ? 'connect' : 'secureConnect', () => this.onConnect());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // Every socket error is handled here, never thrown: it only decides the close's cause.
    socket.on('error', (e) => {
      this.socketError = e;
    });
    socket.on('close', () => this.onSocketClose());
    this.arm(options.connectTimeout);
  }

  /** Requests waiting for their reply. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  get isClosed(): boolean {
    return this.closed || this.ending;
  }

  send(request: AnyRequest): void {
    if (this.closed || this.ending) {
      request.fail(this.lostError(null));
      return;
    }
    if (this.pending === 0) {
      this.socket.ref();
      if (this.connected) this.arm(this.options.timeout);
    }
    // A request waiting for the connection gets its full timeout once connected.
    request.deadline = this.connected
      ? performance.now() + this.options.timeout
      : Number.POSITIVE_INFINITY;
    this.queue.push(request);
    request.write(this.output);
  }

  /** Closes once every pending request is answered (or has timed out). */
  close(): Promise<void> {
    if (!this.closed && !this.ending) {
      this.ending = true;
      // Someone awaits the close: keep the process alive until it is done.
      this.socket.ref();
      if (this.pending === 0) this.socket.end();
    }
    return this.closedPromise;
  }

  /** Closes now; pending requests fail with `error` (the oldest) and CONNECTION_LOST. */
  destroy(error: SlabcacheError): void {
    if (this.closed) return;
    this.failure ??= error;
    this.socket.destroy();
  }

  private onConnect(): void {
    this.connected = true;
    const deadline = performance.now() + this.options.timeout;
    for (let i = this.head; i < this.queue.length; i++) this.queue[i].deadline = deadline;
    this.arm(this.pending > 0 ? this.options.timeout : -1);
  }

  private onData(chunk: Buffer): void {
    const reply = this.reply;
    reply.append(chunk);
    let answered = false;
    try {
      while (this.head < this.queue.length) {
        const request = this.queue[this.head];
        if (!request.read(reply)) break;
        this.queue[this.head++] = undefined as unknown as AnyRequest;
        answered = true;
        request.settle();
      }
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
        if (reply.length > 0) {
          throw new ProtocolError(
            Codes.PROTOCOL,
            `bytes nobody asked for: ${reply.preview(reply.pos)}`,
            this.server.address,
          );
        }
        if (this.ending) this.socket.end();
        else this.socket.unref();
      } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    } catch (e) {
      const error =
        e instanceof ProtocolError && !e.server
          ? new ProtocolError(Codes.PROTOCOL, e.message, this.server.address)
          : (e as SlabcacheError);
      this.destroy(error);
    }
    if (answered) this.events.onReply();
  }

  private onSocketClose(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const lost = this.pending > 0;
    let failure = this.failure;
    if (!failure && (!this.connected || lost)) failure = this.lostError(this.socketError);
    if (lost) {
      const first = this.queue[this.head];
      first.fail(failure as SlabcacheError);
      const rest =
        failure?.code === Codes.TIMEOUT || failure?.code === Codes.PROTOCOL
          ? this.lostError(failure)
          : (failure as SlabcacheError);
      for (let i = this.head + 1; i < this.queue.length; i++) this.queue[i].fail(rest);
    }
    this.queue = [];
    this.head = 0;
    this.events.onClose(this, failure);
  }

  /** The error for requests a closing socket takes with it. */
  private lostError(cause: Error | null): SlabcacheError {
    const where = this.server.address;
    if (this.connected) {
      return new ConnectionError(Codes.CONNECTION_LOST, 'connection lost', where, { cause });
    }
    return new ConnectionError(
      Codes.CONNECT_FAILED,
      `cannot connect${cause ? `: ${cause.message}` : ''}`,
      where,
      { cause },
    );
  }

  /** (Re)sets the one timer to fire in `ms` (cleared when negative). */
  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (ms < 0) return;
    this.timer = setTimeout(() => this.onTimer(), Math.max(1, Math.ceil(ms)));
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = null;
    if (this.closed) return;
    const due = this.connected ? this.queue[this.head]?.deadline : this.connectDeadline;
    if (due === undefined) return; // nothing waits
    const now = performance.now();
    if (now < due) {
      this.arm(due - now);
      return;
    }
    // Timers run before I/O in each turn of the event loop: after a stall of this process
    // (a long computation, a GC pause) the answer may be waiting in the socket. Let the I/O
    // phase run once before blaming the server.
    setImmediate(() => this.expire(due));
  }

  private expire(due: number): void {
    if (this.closed) return;
    if (!this.connected) {
      const message = `not connected after ${this.options.connectTimeout} ms`;
      this.destroy(new TimeoutError(Codes.CONNECT_TIMEOUT, message, this.server.address));
    } else if (this.pending > 0 && this.queue[this.head].deadline <= due) {
      const message = `no reply within ${this.options.timeout} ms`;
      this.destroy(new TimeoutError(Codes.TIMEOUT, message, this.server.address));
    } else if (this.pending > 0) {
      this.arm(this.queue[this.head].deadline - performance.now());
    }
  }
}
