/**
 * The table of open connections in shared memory: it caps connections across all worker
 * threads (`-c`) and lets any worker answer `stats conns` for all of them. A slot is claimed
 * with one compare-exchange when a connection opens and released when it closes; its owner
 * alone writes the rest of the slot.
 */
import { isIPv4, isIPv6 } from 'node:net';

const WORDS = 12;
const W_OWNER = 0; // 0 free, else worker slot + 1
const W_ID = 1;
const W_FAMILY = 2; // 4, 6, or 1 for unix
const W_REMOTE_PORT = 3;
const W_LOCAL_PORT = 4;
const W_LAST_CMD = 5; // store-relative second of the last command
const W_STATE = 6;
const W_ADDR = 7; // 4 words: IPv4 in the first, IPv6 in all four

export const ConnState = {
  WAITING: 0,
  PARSE: 1,
  NREAD: 2,
  SWALLOW: 3,
  MWRITE: 4,
  CLOSING: 5,
} as const;
const STATE_NAMES = [
  'conn_waiting',
  'conn_parse_cmd',
  'conn_nread',
  'conn_swallow',
  'conn_mwrite',
  'conn_closing',
];

export function connectionTableBytes(maxConnections: number): number {
  return (maxConnections + 1) * WORDS * 4;
}

export interface ConnInfo {
  id: number;
  addr: string;
  listenAddr: string;
  state: string;
  secsSinceLastCmd: number;
}

export class ConnectionTable {
  readonly words: Int32Array;
  readonly slots: number;
  private next = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
    this.slots = Math.floor(this.words.length / WORDS) - 1;
  }

  /** Claims a slot for a new connection; -1 when `-c` connections are already open. */
  claim(owner: number, id: number): number {
    const w = this.words;
    for (let i = 0; i < this.slots; i++) {
      const slot = (this.next + i) % this.slots;
      if (Atomics.compareExchange(w, slot * WORDS + W_OWNER, 0, owner + 1) === 0) {
        this.next = slot + 1;
        w[slot * WORDS + W_ID] = id;
        w[slot * WORDS + W_STATE] = ConnState.WAITING;
        return slot;
      }
    }
    return -1;
  }

  describe(
    slot: number,
    remote: string | undefined,
    remotePort: number,
    localPort: number,
    unix: boolean,
  ): void {
    const w = this.words;
    const b = slot * WORDS;
    w[b + W_REMOTE_PORT] = remotePort;
    w[b + W_LOCAL_PORT] = localPort;
    for (let i = 0; i < 4; i++) w[b + W_ADDR + i] = 0;
    if (unix || remote === undefined) {
      w[b + W_FAMILY] = 1;
    } else if (isIPv4(remote)) {
      w[b + W_FAMILY] = 4;
      const p = remote.split('.').map(Number);
      w[b + W_ADDR] = (p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3] | 0;
    } else if (isIPv6(remote)) {
      w[b + W_FAMILY] = 6;
      const groups = expandIPv6(remote);
      for (let i = 0; i < 4; i++) w[b + W_ADDR + i] = (groups[i * 2] << 16) | groups[i * 2 + 1] | 0;
    }
  }

  setState(slot: number, state: number): void {
    this.words[slot * WORDS + W_STATE] = state;
  }

  touch(slot: number, now: number): void {
    this.words[slot * WORDS + W_LAST_CMD] = now;
  }

  release(slot: number): void {
    Atomics.store(this.words, slot * WORDS + W_OWNER, 0);
  }

  /** Frees every slot a worker held (it died with its connections); returns how many. */
  releaseOwner(owner: number): number {
    let n = 0;
    for (let i = 0; i < this.slots; i++) {
      if (Atomics.compareExchange(this.words, i * WORDS + W_OWNER, owner + 1, 0) === owner + 1) n++;
    }
    return n;
  }

  open(): number {
    let n = 0;
    for (let i = 0; i < this.slots; i++)
      if (Atomics.load(this.words, i * WORDS + W_OWNER) !== 0) n++;
    return n;
  }

  list(now: number, listenHost: string): ConnInfo[] {
    const out: ConnInfo[] = [];
    const w = this.words;
    for (let i = 0; i < this.slots; i++) {
      const b = i * WORDS;
      if (Atomics.load(w, b + W_OWNER) === 0) continue;
      const family = w[b + W_FAMILY];
      let addr = 'unix:';
      if (family === 4) addr = `tcp:${ipv4(w[b + W_ADDR])}:${w[b + W_REMOTE_PORT]}`;
      else if (family === 6) addr = `tcp6:[${ipv6(w, b + W_ADDR)}]:${w[b + W_REMOTE_PORT]}`;
      out.push({
        id: w[b + W_ID],
        addr,
        listenAddr: family === 1 ? 'unix:' : `tcp:${listenHost}:${w[b + W_LOCAL_PORT]}`,
        state: STATE_NAMES[w[b + W_STATE]] ?? 'conn_waiting',
        secsSinceLastCmd: Math.max(0, now - w[b + W_LAST_CMD]),
      });
    }
    return out;
  }
}

function ipv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function ipv6(w: Int32Array, at: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 4; i++) {
    parts.push(((w[at + i] >>> 16) & 0xffff).toString(16), (w[at + i] & 0xffff).toString(16));
  }
  return parts.join(':');
}

function expandIPv6(a: string): number[] {
  if (a.includes('.')) {
    // IPv4-mapped (::ffff:1.2.3.4)
    const v4 = a
      .slice(a.lastIndexOf(':') + 1)
      .split('.')
      .map(Number);
    return [0, 0, 0, 0, 0, 0xffff, (v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
  }
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = new Array(8 - h.length - t.length).fill('0');
  return [...h, ...(tail !== undefined ? fill : []), ...t].map((x) =>
    Number.parseInt(x || '0', 16),
  );
}
