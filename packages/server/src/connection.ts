/**
 * One client connection: bytes in from the socket, complete commands out to the protocol
 * handler, replies collected in one Output and written once per read.
 *
 *   socket read (read-into.ts, or 'data' for TLS) -> receive -> run(): split lines / data
 *   blocks -> text/dispatch.ts -> commands/* -> store -> replies appended to `out`
 *   -> one socket.write per read
 *
 * Backpressure: when the socket's buffer is full (write returns false) the connection stops
 * reading until 'drain', and a batch whose replies pass OUT_HIGH_WATER is cut there, so a
 * client that sends but never reads cannot make the server buffer without bound.
 */
import type { Socket } from 'node:net';
import { Tokens } from '@slabcache/protocol';
import type { ItemReader, ItemView } from '@slabcache/store';
import { dispatchPacket } from './binary/dispatch.ts';
import type { MetaSetReply } from './commands/meta/set.ts';
import { completeStorage, type StorageRequest } from './commands/storage.ts';
import { type ServerContext, SH_VERBOSITY } from './context.ts';
import { Output, type Transport } from './output.ts';
import { readInto } from './read-into.ts';
import { ConnState } from './stats/connections.ts';
import { C } from './stats/counters.ts';
import { dispatchLine } from './text/dispatch.ts';

/** memcached: a line with no newline in its first 2048 bytes is junk unless it is a get. */
const LINE_LIMIT = 2048;
/** Our ceiling on one multi-get line (memcached grows its buffer without a limit). */
const MULTIGET_LINE_LIMIT = 16 * 1024 * 1024;
/** A batch whose replies pass this is written out before the rest of the batch is read. */
const OUT_HIGH_WATER = 4 * 1024 * 1024;

const INPUT_INITIAL = 16 * 1024;
/** Where this worker's plain sockets read into (see read-into.ts); one read at a time. */
const READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);
const SCRATCH_MAX = 64 * 1024;

const LINE = 0;
const DATA = 1;
const SWALLOW = 2;

const TOO_MANY = Buffer.from('ERROR Too many open connections\r\n');

/** Which protocol a connection speaks: decided by its first byte (0x80 = binary), as
 * memcached does, unless -B forces one. */
export const Proto = { UNKNOWN: 0, TEXT: 1, BINARY: 2 } as const;

/** Connections this worker has accepted; ids come from it (see accept). */
let accepted = 0;

export class Connection implements ItemReader {
  readonly ctx: ServerContext;
  readonly socket: Transport;
  readonly id: number;
  protocol: number = Proto.UNKNOWN;
  /** False until SASL (-S) or ascii auth (-Y) succeeds, when either is on. */
  authenticated: boolean;
  readonly out = new Output();
  readonly tokens = new Tokens();
  /** Set by a command that ends with "noreply": its reply, even an error, is dropped. */
  noreply = false;
  closeAfterWrite = false;
  /** UDP: each command's replies go out on their own (memcached frames every reply as its own
   * group of datagrams); a stream socket gets one write per read. */
  replyPerCommand = false;
  /** The connection table's slot; -1 for none (UDP, which memcached does not list). */
  private slot: number;
  private closed = false;
  private waitingDrain = false;
  private yielded = false;
  /** The client half-closed (sent FIN): finish what it sent, reply, then close. */
  private eof = false;

  /** Bytes of an incomplete line carried to the next read: carryLen bytes at the start of
   * `input`, a buffer kept per connection so that split commands cost no allocation. */
  private input: Buffer | null = null;
  private carryLen = 0;
  /** Reused for data blocks that span reads, up to SCRATCH_MAX (larger ones get their own). */
  private scratch: Buffer | null = null;
  private state = LINE;
  /** A storage command waiting for its data block. */
  readonly storage: StorageRequest;
  /** What a meta set's reply echoes, made on the first ms. */
  metaSet: MetaSetReply | null = null;
  private value: Buffer | null = null;
  private valueFill = 0;
  private swallowLeft = 0;

  /** For get replies: what onHit writes (see commands/get.ts). */
  hitKey: Uint8Array = Buffer.alloc(0);
  hitKeyStart = 0;
  hitKeyEnd = 0;
  hitWithCas = false;

  constructor(ctx: ServerContext, socket: Transport, slot: number, id: number) {
    this.ctx = ctx;
    this.socket = socket;
    this.slot = slot;
    this.id = id;
    this.authenticated = !ctx.config.sasl && ctx.config.authFile === null;
    this.storage = {
      mode: 0,
      key: Buffer.alloc(250),
      keyLength: 0,
      flags: 0,
      exptime: 0,
      length: 0,
      cas: 0,
      noreply: false,
      complete: completeStorage,
    };
  }

  /** Wires a TCP or unix socket's events to this connection. */
  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    // Plain TCP and unix sockets read straight into the worker's read buffer; TLS sockets
    // (whose reads are decrypted records) keep Node's 'data' events.
    const direct =
      !(socket as { encrypted?: boolean }).encrypted &&
      readInto(socket, READ_BUFFER, (bytes, buf) => this.receiveBytes(buf, bytes));
    if (!direct) socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => this.close());
    socket.on('end', () => this.receiveEnd());
    socket.on('close', () => this.onClose());
    const idle = this.ctx.config.idleTimeout;
    if (idle > 0) {
      socket.setTimeout(idle * 1000, () => this.close());
    }
  }

  /** Accepts a socket, or refuses it with memcached's message when `-c` is reached. */
  static accept(
    ctx: ServerContext,
    socket: Socket,
    workerSlot: number,
    unix: boolean,
  ): Connection | null {
    // Unique across workers, as memcached's ids (its fds) are, so `stats conns` lines never
    // name two connections alike: worker w of t hands out w+1, w+1+t, w+1+2t, ...
    const id = workerSlot + 1 + accepted++ * ctx.config.threads;
    const slot = ctx.conns.claim(workerSlot, id);
    if (slot < 0) {
      ctx.stats[C.rejected_connections]++;
      socket.on('error', () => {});
      socket.end(TOO_MANY);
      return null;
    }
    ctx.conns.describe(
      slot,
      socket.remoteAddress,
      socket.remotePort ?? 0,
      socket.localPort ?? 0,
      unix,
    );
    ctx.conns.touch(slot, ctx.store.relativeTime);
    ctx.stats[C.curr_connections]++;
    ctx.stats[C.total_connections]++;
    const conn = new Connection(ctx, socket, slot, id);
    conn.attach(socket);
    return conn;
  }

  /** Fixes the protocol from the first byte of the first request. */
  private detectProtocol(first: number): void {
    const forced = this.ctx.config.protocol;
    if (forced === 'binary') this.protocol = Proto.BINARY;
    else if (forced === 'ascii') this.protocol = Proto.TEXT;
    else this.protocol = first === 0x80 ? Proto.BINARY : Proto.TEXT;
  }

  /** Bytes from the stream transport (also the jazzer harness's way in). */
  receive(chunk: Buffer): void {
    this.receiveBytes(chunk, chunk.length);
  }

  /** The first n bytes of buf were read. buf may be the worker's shared read buffer: nothing
   * in it is kept past this call (saveRest copies what is left over). */
  private receiveBytes(buf: Buffer, n: number): void {
    this.ctx.stats[C.bytes_read] += n;
    if (this.carryLen > 0) {
      const total = this.carryLen + n;
      const input = this.inputFor(total);
      buf.copy(input, this.carryLen, 0, n);
      this.carryLen = 0;
      this.run(input, 0, total);
      return;
    }
    this.run(buf, 0, n);
  }

  /** Processes every complete command in buf[pos, end), then writes the replies. */
  private run(buf: Buffer, pos: number, end: number): void {
    const ctx = this.ctx;
    const limit = ctx.config.reqsPerEvent;
    let handled = 0;
    this.setState(ConnState.PARSE);
    while (pos < end && !this.closed) {
      if (this.state === DATA) {
        pos = this.fillValue(buf, pos, end);
        continue;
      }
      if (this.state === SWALLOW) {
        const take = Math.min(end - pos, this.swallowLeft);
        pos += take;
        this.swallowLeft -= take;
        if (this.swallowLeft === 0) this.state = LINE;
        continue;
      }
      if (this.protocol !== Proto.TEXT) {
        if (this.protocol === Proto.UNKNOWN) this.detectProtocol(buf[pos]);
        if (this.protocol === Proto.BINARY) {
          const after = dispatchPacket(this, buf, pos, end);
          if (after === pos) break; // an incomplete packet: wait for the rest
          pos = after;
          if (this.replyPerCommand) this.flush();
          if (this.closeAfterWrite) break;
          if ((++handled >= limit || this.out.len >= OUT_HIGH_WATER) && pos < end) {
            this.yieldRest(buf, pos, end, handled >= limit);
            return;
          }
          continue;
        }
      }
      const lf = buf.indexOf(10, pos);
      if (lf < 0 || lf >= end) {
        if (end - pos > LINE_LIMIT && !this.longLineAllowed(buf, pos, end)) {
          this.close();
          return;
        }
        break;
      }
      const lineEnd = lf > pos && buf[lf - 1] === 13 ? lf - 1 : lf;
      if (ctx.shared[SH_VERBOSITY] > 1)
        ctx.log(2, `<${this.id} ${buf.toString('latin1', pos, lineEnd)}`);
      pos = dispatchLine(this, buf, pos, lineEnd, lf + 1, end);
      this.noreply = false;
      if (this.replyPerCommand) this.flush();
      if (this.closeAfterWrite) break;
      if ((++handled >= limit || this.out.len >= OUT_HIGH_WATER) && pos < end) {
        this.yieldRest(buf, pos, end, handled >= limit);
        return;
      }
    }
    if (pos < end && !this.closed) this.saveRest(buf, pos, end);
    this.flush();
    if (this.eof) this.endAfterInput();
    if (!this.closed) {
      this.setState(
        this.waitingDrain
          ? ConnState.MWRITE
          : this.state === DATA
            ? ConnState.NREAD
            : ConnState.WAITING,
      );
    }
  }

  /** memcached's -R: after that many requests let other connections run; and never let one
   * batch's replies grow past the high-water mark unwritten. Keeps buf[pos, end) for later. */
  private yieldRest(buf: Buffer, pos: number, end: number, countYield: boolean): void {
    if (countYield) this.ctx.stats[C.conn_yields]++;
    this.saveRest(buf, pos, end);
    this.flush();
    this.pauseForMore();
  }

  /** Copies the rest of an incomplete line so the next read can finish it. */
  private saveRest(buf: Buffer, pos: number, end: number): void {
    const n = end - pos;
    if (buf === this.input) buf.copyWithin(0, pos, end);
    else buf.copy(this.inputFor(n), 0, pos, end);
    this.carryLen = n;
  }

  /** The connection's input buffer, grown (keeping its carried bytes) to hold n bytes. */
  private inputFor(n: number): Buffer {
    let input = this.input;
    if (input === null || input.length < n) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(INPUT_INITIAL, n, (input?.length ?? 0) * 2));
      if (input !== null && this.carryLen > 0) input.copy(bigger, 0, 0, this.carryLen);
      this.input = input = bigger;
    }
    return input;
  }

  /** Yields: stop reading, continue the saved bytes after the socket drains or, when it
   * needs no draining, on the next turn of the event loop. */
  private pauseForMore(): void {
    this.socket.pause();
    if (this.waitingDrain) return; // onDrain resumes
    this.yielded = true;
    setImmediate(() => {
      this.yielded = false;
      this.resume();
    });
  }

  private resume(): void {
    if (this.closed) return;
    this.socket.resume();
    if (this.carryLen > 0) {
      const n = this.carryLen;
      this.carryLen = 0;
      this.run(this.input!, 0, n);
    }
  }

  /**
   * The client sent everything it will send (a pipeline followed by a close, as pylibmc's
   * buffered mode does): every complete request it sent is still answered, as memcached
   * does, and then the connection closes. Requests carried over by -R or backpressure run
   * first; an incomplete request at the end is dropped.
   */
  receiveEnd(): void {
    this.eof = true;
    this.endAfterInput();
  }

  private endAfterInput(): void {
    if (this.closed || this.yielded || this.waitingDrain) return;
    this.closeAfterWrite = true;
    this.socket.end();
  }

  private onDrain(): void {
    if (!this.waitingDrain) return;
    this.waitingDrain = false;
    if (this.closeAfterWrite) {
      this.socket.end();
      return;
    }
    if (!this.yielded) this.resume();
  }

  /** memcached keeps reading a long line only if it is a multi-get. */
  private longLineAllowed(buf: Buffer, pos: number, end: number): boolean {
    // Nor before ascii auth (-Y), whose reader allows no long line at all.
    if (end - pos > MULTIGET_LINE_LIMIT || !this.authenticated) return false;
    let p = pos;
    while (p < end && buf[p] === 0x20) p++;
    if (p - pos > 100) return false;
    const g = buf[p] === 0x67 && buf[p + 1] === 0x65 && buf[p + 2] === 0x74; // "get"
    return g && (buf[p + 3] === 0x20 || (buf[p + 3] === 0x73 && buf[p + 4] === 0x20));
  }

  /** A storage command's header was read; its data block starts at dataStart. */
  expectData(buf: Buffer, dataStart: number, end: number): number {
    const need = this.storage.length + 2;
    if (end - dataStart >= need) {
      // The whole block is here: store straight from the read buffer, no copy.
      this.storage.complete(this, buf, dataStart);
      return dataStart + need;
    }
    if (need <= SCRATCH_MAX) {
      this.scratch ??= Buffer.allocUnsafeSlow(SCRATCH_MAX);
      this.value = this.scratch.subarray(0, need);
    } else {
      this.value = Buffer.allocUnsafe(need);
    }
    this.valueFill = 0;
    this.state = DATA;
    return this.fillValue(buf, dataStart, end);
  }

  private fillValue(buf: Buffer, pos: number, end: number): number {
    const value = this.value!;
    const take = Math.min(end - pos, value.length - this.valueFill);
    buf.copy(value, this.valueFill, pos, pos + take);
    this.valueFill += take;
    if (this.valueFill === value.length) {
      this.state = LINE;
      this.value = null;
      this.noreply = this.storage.noreply;
      this.storage.complete(this, value, 0);
      this.noreply = false;
    }
    return pos + take;
  }

  /** Skips a data block the server will not store (too large): memcached's conn_swallow. */
  swallow(dataStart: number, end: number, bytes: number): number {
    const here = Math.min(end - dataStart, bytes);
    if (here < bytes) {
      this.swallowLeft = bytes - here;
      this.state = SWALLOW;
    }
    return dataStart + here;
  }

  /** Appends a reply unless the command asked for noreply. */
  reply(bytes: Uint8Array): void {
    if (!this.noreply) this.out.bytes(bytes);
  }

  /** ItemReader: writes one get hit, `VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\n`. */
  onHit(item: ItemView): void {
    const out = this.out;
    const vlen = item.valueLength;
    out.ensure(6 + (this.hitKeyEnd - this.hitKeyStart) + 48 + vlen + 2);
    const buf = out.buf;
    let p = out.len;
    buf[p++] = 0x56; // V
    buf[p++] = 0x41; // A
    buf[p++] = 0x4c; // L
    buf[p++] = 0x55; // U
    buf[p++] = 0x45; // E
    buf[p++] = 0x20;
    const key = this.hitKey;
    for (let i = this.hitKeyStart; i < this.hitKeyEnd; i++) buf[p++] = key[i];
    out.len = p;
    out.byte(0x20);
    out.decimal(item.flags);
    out.byte(0x20);
    out.decimal(vlen);
    if (this.hitWithCas) {
      out.byte(0x20);
      out.decimal(item.cas);
    }
    out.crlf();
    item.copyValue(out.buf, out.len);
    out.len += vlen;
    out.crlf();
  }

  lastCommandNow(): void {
    if (this.slot >= 0) this.ctx.conns.touch(this.slot, this.ctx.store.relativeTime);
  }

  /** What `stats conns` shows for this connection. */
  private setState(state: number): void {
    if (this.slot >= 0) this.ctx.conns.setState(this.slot, state);
  }

  /**
   * UDP: runs the commands of one datagram, buf[pos, end). Each datagram stands alone
   * (memcached's UDP reader overwrites its buffer with every datagram): whatever the previous
   * one left unfinished (a line, a data block, a swallow) is dropped, the protocol is read from
   * the first byte again, and a command that closed the connection (quit, junk) ended only that
   * datagram. The caller counts bytes_read (memcached counts the frame header too).
   */
  receiveDatagram(buf: Buffer, pos: number, end: number): void {
    this.closed = false;
    this.closeAfterWrite = false;
    this.state = LINE;
    this.value = null;
    this.swallowLeft = 0;
    this.carryLen = 0;
    this.protocol = Proto.UNKNOWN;
    this.run(buf, pos, end);
  }

  private flush(): void {
    if (this.closed || this.out.len === 0) {
      if (this.closeAfterWrite && !this.closed && !this.waitingDrain) this.socket.end();
      return;
    }
    const socket = this.socket;
    this.ctx.stats[C.bytes_written] += this.out.len;
    const ok = this.out.flush(socket);
    if (!ok) {
      this.waitingDrain = true;
      socket.pause();
      this.setState(ConnState.MWRITE);
    }
    if (this.closeAfterWrite && !this.waitingDrain) socket.end();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }

  private onClose(): void {
    this.closed = true;
    if (this.slot >= 0) {
      this.ctx.conns.release(this.slot);
      this.slot = -1;
      this.ctx.stats[C.curr_connections]--;
    }
    this.value = null;
    this.input = null;
    this.scratch = null;
    this.carryLen = 0;
  }
}
