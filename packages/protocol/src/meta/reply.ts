/**
 * A meta reply line as a client reads it: the status code (`VA HD EN NF NS EX MN ME`), the
 * value size after `VA`, and the return flags memcached 1.6 writes after it (`f c t s O k W X
 * Z ...`). One MetaReply per connection is refilled for every reply; nothing is allocated
 * except the CAS, which is a bigint because memcached's CAS is 64-bit.
 */
import { parseI32, parseU32, parseU64 } from '../text/numbers.ts';

/** Two ASCII letters packed as (first << 8) | second. */
function code(s: string): number {
  return (s.charCodeAt(0) << 8) | s.charCodeAt(1);
}

export const MetaStatus = {
  VA: code('VA'),
  HD: code('HD'),
  EN: code('EN'),
  NF: code('NF'),
  NS: code('NS'),
  EX: code('EX'),
  MN: code('MN'),
  ME: code('ME'),
  /** `ERROR`, `CLIENT_ERROR ...` or `SERVER_ERROR ...`: the line is the message. */
  ERROR: 0,
} as const;

const SPACE = 0x20;
const ch = (c: string) => c.charCodeAt(0);

export class MetaReply {
  status = 0;
  /** The data block's length after `VA`, -1 otherwise. */
  size = -1;
  /** Client flags (`f`), 0 when absent. */
  flags = 0;
  /** CAS (`c`), -1n when absent. */
  cas = -1n;
  /** Remaining TTL in seconds (`t`): -1 for none (never expires), -2 when absent. */
  ttl = -2;
  /** Opaque (`O`) read as a decimal number, -1 when absent or not a number. */
  opaque = -1;
  /** The returned key (`k`) as [keyStart, keyEnd) in the line's buffer; both 0 when absent. */
  keyStart = 0;
  keyEnd = 0;
  /** W: this client won the right to recache the item. */
  won = false;
  /** X: the item is stale (invalidated). */
  stale = false;
  /** Z: another client already won the recache. */
  winSent = false;

  /**
   * Reads the line buf[start, end) (without its CRLF). Returns false when the line is not a
   * meta reply (an unknown code or a malformed number): the stream cannot be trusted then.
   */
  parse(buf: Uint8Array, start: number, end: number): boolean {
    this.size = -1;
    this.flags = 0;
    this.cas = -1n;
    this.ttl = -2;
    this.opaque = -1;
    this.keyStart = 0;
    this.keyEnd = 0;
    this.won = false;
    this.stale = false;
    this.winSent = false;
    if (isErrorLine(buf, start, end)) {
      this.status = MetaStatus.ERROR;
      return true;
    }
    if (end - start < 2) return false;
    this.status = (buf[start] << 8) | buf[start + 1];
    let i = start + 2;
    if (i < end && buf[i] !== SPACE) return false;
    if (this.status === MetaStatus.VA) {
      while (i < end && buf[i] === SPACE) i++;
      const s = i;
      while (i < end && buf[i] !== SPACE) i++;
      this.size = parseI32(buf, s, i);
      if (!(this.size >= 0)) return false;
    } else if (!OTHER_STATUSES.has(this.status)) {
      return false;
    }
    while (i < end) {
      while (i < end && buf[i] === SPACE) i++;
      if (i >= end) break;
      const s = i;
      while (i < end && buf[i] !== SPACE) i++;
      if (!this.flag(buf, s, i)) return false;
    }
    return true;
  }

  private flag(buf: Uint8Array, s: number, e: number): boolean {
    switch (buf[s]) {
      case ch('f'):
        this.flags = parseU32(buf, s + 1, e);
        return this.flags >= 0;
      case ch('c'):
        this.cas = parseU64(buf, s + 1, e);
        return this.cas >= 0n;
      case ch('t'):
        this.ttl = parseI32(buf, s + 1, e);
        return !Number.isNaN(this.ttl);
      case ch('O'):
        this.opaque = e - s > 1 ? parseU32(buf, s + 1, e) : -1;
        return true;
      case ch('k'):
        this.keyStart = s + 1;
        this.keyEnd = e;
        return true;
      case ch('W'):
        this.won = true;
        return true;
      case ch('X'):
        this.stale = true;
        return true;
      case ch('Z'):
        this.winSent = true;
        return true;
      default:
        // Flags a client did not ask for (s, h, l, b...) are skipped, as memcached's own
        // clients do: a newer server may add return flags.
        return true;
    }
  }
}

/** The codes a reply line may start with besides VA. */
const OTHER_STATUSES = new Set<number>([
  MetaStatus.HD,
  MetaStatus.EN,
  MetaStatus.NF,
  MetaStatus.NS,
  MetaStatus.EX,
  MetaStatus.MN,
  MetaStatus.ME,
]);

const ERROR_WORDS = ['ERROR', 'CLIENT_ERROR', 'SERVER_ERROR'].map((w) =>
  Uint8Array.from(w, (c) => c.charCodeAt(0)),
);

/** Whether buf[start, end) is one of memcached's error lines (`ERROR`, `CLIENT_ERROR ...`,
 * `SERVER_ERROR ...`), which answer any text or meta command. */
export function isErrorLine(buf: Uint8Array, start: number, end: number): boolean {
  outer: for (const w of ERROR_WORDS) {
    if (end - start < w.length) continue;
    for (let k = 0; k < w.length; k++) if (buf[start + k] !== w[k]) continue outer;
    return end - start === w.length || buf[start + w.length] === SPACE;
  }
  return false;
}
