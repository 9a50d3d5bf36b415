/**
 * The connections to one server (one by default) and the server's health:
 *
 * - **up**: requests go round-robin over `size` connections, each opened on first use and
 *   reopened on the next use after it closes. Each connection failure (could not connect,
 *   lost with requests on it, a request timed out) counts; any reply resets the count.
 * - **down** (ejected) after `failureLimit` failures in a row: requests fail at once with
 *   SLABCACHE_SERVER_DOWN (or the cluster sends them to the next server, with failover) and
 *   nothing touches the network, except one probe at a time: a fresh connection and a
 *   `version` request, after `retryDelay` and then exponentially longer (to `maxRetryDelay`),
 *   jittered. The probe's success re-admits the server and its connection serves requests.
 *
 * So a dead server costs at most `failureLimit` connection attempts and then one probe per
 * backoff period, whatever the request rate: no reconnect storm (the npm `memcached` client
 * stacked reconnect timers, 3rd-Eden/memcached#122), and no request waits on it for long
 * (the same client left calls to a dead server hanging for 90 s, #162, #273).
 */
import type { ServerSpec } from './address.ts';
import { backoffDelay } from './backoff.ts';
import { Connection, type ConnectionOptions } from './connection.ts';
import {
  ClientClosedError,
  Codes,
  ConnectionError,
  ServerDownError,
  type SlabcacheError,
} from './errors.ts';
import type { Request } from './request.ts';

export interface PoolOptions extends ConnectionOptions {
  /** Connections to the server. */
  size: number;
  /** Failures in a row that eject the server. */
  failureLimit: number;
  /** ms before the first probe of an ejected server. */
  retryDelay: number;
  /** Longest wait between probes, ms. */
  maxRetryDelay: number;
  /** The request a probe sends (the protocol's `version`). */
  probe: () => Request<unknown>;
}

export interface PoolEvents {
  onDown(pool: ServerPool, error: SlabcacheError): void;
  onUp(pool: ServerPool): void;
}

export class ServerPool {
  readonly server: ServerSpec;
  private readonly options: PoolOptions;
  private readonly events: PoolEvents;
  private readonly connections: (Connection | null)[];
  private next = 0;
  private failures = 0;
  private ejected = false;
  /** Probes that failed since the server was ejected (the backoff's exponent). */
  private probes = 0;
  private probeTimer: NodeJS.Timeout | null = null;
  private prober: Connection | null = null;
  private closed = false;
  /** Connection attempts made, probes included (observability, and the storm test). */
  connects = 0;
  /** Why the server was ejected. */
  lastError: SlabcacheError | null = null;

  constructor(server: ServerSpec, options: PoolOptions, events: PoolEvents) {
    this.server = server;
    this.options = options;
    this.events = events;
    this.connections = new Array(options.size).fill(null);
  }

  get up(): boolean {
    return !this.ejected && !this.closed;
  }

  /** Sends on the next connection; fails at once when the server is down. */
  send(request: Request<unknown>): void {
    if (!this.up) {
      request.fail(this.downError());
      return;
    }
    const slot = this.next;
    this.next = slot + 1 === this.connections.length ? 0 : slot + 1;
    let connection = this.connections[slot];
    if (connection === null || connection.isClosed) {
      connection = this.connect();
      this.connections[slot] = connection;
    }
    connection.send(request);
  }

  downError(): ServerDownError | ClientClosedError {
    if (this.closed) {
      return new ClientClosedError(Codes.CLIENT_CLOSED, 'client closed', this.server.address);
    }
    return new ServerDownError(
      Codes.SERVER_DOWN,
      `server is down${this.lastError ? ` (${this.lastError.message})` : ''}`,
      this.server.address,
      { cause: this.lastError },
    );
  }

  /** Closes every connection once its pending requests are answered; stops probing. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.prober?.destroy(
      new ConnectionError(Codes.CONNECTION_LOST, 'client closed', this.server.address),
    );
    await Promise.all(this.connections.map((c) => c?.close()));
  }

  private connect(): Connection {
    this.connects++;
    return new Connection(this.server, this.options, {
      onReply: () => {
        this.failures = 0;
      },
      onClose: (closed, failure) => {
        const slot = this.connections.indexOf(closed);
        if (slot >= 0) this.connections[slot] = null;
        if (failure) this.failed(failure);
      },
    });
  }

  private failed(error: SlabcacheError): void {
    if (this.ejected || this.closed) return;
    if (++this.failures < this.options.failureLimit) return;
    this.ejected = true;
    this.lastError = error;
    this.probes = 0;
    const reason = new ConnectionError(
      Codes.CONNECTION_LOST,
      'server ejected',
      this.server.address,
      {
        cause: error,
      },
    );
    for (const c of this.connections) c?.destroy(reason);
    this.scheduleProbe();
    this.events.onDown(this, error);
  }

  private scheduleProbe(): void {
    const { retryDelay, maxRetryDelay } = this.options;
    const delay = backoffDelay(this.probes, retryDelay, maxRetryDelay);
    this.probeTimer = setTimeout(() => this.probe(), delay);
    this.probeTimer.unref();
  }

  private probe(): void {
    this.probeTimer = null;
    if (this.closed) return;
    const prober = this.connect();
    this.prober = prober;
    const request = this.options.probe();
    prober.send(request);
    request.promise.then(
      () => {
        this.prober = null;
        if (this.closed) return void prober.close();
        this.ejected = false;
        this.failures = 0;
        const old = this.connections[0];
        this.connections[0] = prober;
        old?.destroy(new ConnectionError(Codes.CONNECTION_LOST, 'replaced', this.server.address));
        this.events.onUp(this);
      },
      (error: SlabcacheError) => {
        this.prober = null;
        prober.destroy(error);
        this.lastError = error;
        this.probes++;
        if (!this.closed) this.scheduleProbe();
      },
    );
  }
}
