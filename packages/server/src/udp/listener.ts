/**
 * A worker's UDP side (-U): one socket per listen address, all feeding one Connection that
 * serves every UDP client, a datagram at a time.
 *
 *   'message' -> frame check (udp/frame.ts) -> Connection.receiveDatagram -> commands
 *             -> each command's reply -> DatagramReplies.write -> framed datagrams to the sender
 *
 * UDP has no connection: nothing is claimed in the connection table and curr_connections does
 * not count it. bytes_read and bytes_written count whole datagrams, headers included, as
 * memcached counts them.
 */
import type { Socket } from 'node:dgram';
import { Connection } from '../connection.ts';
import type { ServerContext } from '../context.ts';
import type { Transport } from '../output.ts';
import { C } from '../stats/counters.ts';
import {
  frameReply,
  isServedRequest,
  requestId,
  UDP_HEADER_SIZE,
  UDP_MAX_PAYLOAD_SIZE,
} from './frame.ts';
import { bindUdp, udpSocket } from './socket.ts';

/** Datagrams held while the connection yields (-R, or a reply past the high-water mark);
 * beyond this they are dropped, as a full socket receive buffer would drop them. */
const BACKLOG_MAX = 1024;
/** Reply bytes handed to sends the kernel has not taken yet; beyond this replies are dropped
 * (memcached stops reading instead, but a dgram socket cannot stop reading). */
const SEND_QUEUE_MAX = 16 * 1024 * 1024;

interface Datagram {
  socket: Socket;
  msg: Buffer;
  address: string;
  port: number;
}

/**
 * The Transport of the UDP connection: frames each reply for the request being served and
 * sends it back to that request's sender. The reply is copied out as it is framed, so the
 * connection's Output buffer is free again at once (writableLength stays 0).
 */
class DatagramReplies implements Transport {
  /** The request being served: where its replies go. */
  socket: Socket | null = null;
  address = '';
  port = 0;
  requestId = 0;
  /** True while the connection yields: later datagrams wait in the backlog. */
  paused = false;
  readonly writableLength = 0;
  private queued = 0;
  private readonly stats: Float64Array;
  private readonly onResume: () => void;

  constructor(stats: Float64Array, onResume: () => void) {
    this.stats = stats;
    this.onResume = onResume;
  }

  write(data: Uint8Array): boolean {
    const socket = this.socket;
    if (socket === null) return true; // closed while the connection was yielding
    const framed = frameReply(this.requestId, data);
    const size = framed.length;
    if (this.queued + size > SEND_QUEUE_MAX) return true;
    this.queued += size;
    this.stats[C.bytes_written] += size - data.length;
    // Datagrams leave in order, so the last one's callback means the whole reply is out.
    for (let at = 0; at < size; at += UDP_MAX_PAYLOAD_SIZE) {
      const last = at + UDP_MAX_PAYLOAD_SIZE >= size;
      const datagram = framed.subarray(at, Math.min(size, at + UDP_MAX_PAYLOAD_SIZE));
      if (last) socket.send(datagram, this.port, this.address, () => (this.queued -= size));
      else socket.send(datagram, this.port, this.address);
    }
    return true;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.onResume();
  }

  /** A command that closes a TCP connection (quit, junk) ends only its datagram here. */
  end(): void {}

  destroy(): void {}
}

export class UdpListener {
  private readonly ctx: ServerContext;
  private readonly sockets: Socket[] = [];
  private readonly replies: DatagramReplies;
  private readonly conn: Connection;
  private readonly backlog: Datagram[] = [];
  private closed = false;

  constructor(ctx: ServerContext) {
    this.ctx = ctx;
    // The connection resumes before it finishes the datagram it yielded in: serve the backlog
    // on the next turn, after that datagram is done.
    this.replies = new DatagramReplies(ctx.stats, () => setImmediate(() => this.drain()));
    this.conn = new Connection(ctx, this.replies, -1, 0);
    this.conn.replyPerCommand = true;
  }

  /** Binds every address (each worker binds the same ones when `shared`: SO_REUSEPORT). */
  async listen(addresses: { host: string; port: number }[], shared: boolean): Promise<void> {
    for (const { host, port } of addresses) {
      const socket = udpSocket(host, shared);
      this.sockets.push(socket);
      await bindUdp(socket, host, port);
      socket.on('message', (msg, rinfo) => this.onMessage(socket, msg, rinfo.address, rinfo.port));
      socket.on('error', (err) => this.ctx.log(1, `slabcached: UDP ${host}:${port}: ${err}`));
    }
  }

  close(): void {
    this.closed = true;
    this.backlog.length = 0;
    this.replies.socket = null;
    for (const s of this.sockets) s.close();
  }

  private onMessage(socket: Socket, msg: Buffer, address: string, port: number): void {
    // memcached ignores a datagram with nothing after the header, and counts every other one
    // before it drops a multi-datagram request.
    if (msg.length <= UDP_HEADER_SIZE) return;
    this.ctx.stats[C.bytes_read] += msg.length;
    if (!isServedRequest(msg)) return;
    if (this.replies.paused || this.backlog.length > 0) {
      if (this.backlog.length < BACKLOG_MAX) this.backlog.push({ socket, msg, address, port });
      return;
    }
    this.serve(socket, msg, address, port);
  }

  private serve(socket: Socket, msg: Buffer, address: string, port: number): void {
    const r = this.replies;
    r.socket = socket;
    r.address = address;
    r.port = port;
    r.requestId = requestId(msg);
    this.conn.receiveDatagram(msg, UDP_HEADER_SIZE, msg.length);
  }

  private drain(): void {
    while (!this.closed && !this.replies.paused && this.backlog.length > 0) {
      const d = this.backlog.shift()!;
      this.serve(d.socket, d.msg, d.address, d.port);
    }
  }
}
