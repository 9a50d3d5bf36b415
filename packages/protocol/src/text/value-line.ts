/**
 * The header line of a text-protocol hit, `VALUE <key> <flags> <bytes> [<cas>]`, as a client
 * reads the answer to get, gets, gat and gats. One ValueLine per connection is refilled.
 */
import { parseI32, parseU32, parseU64 } from './numbers.ts';
import { Tokens } from './tokens.ts';

const VALUE = Uint8Array.from('VALUE', (c) => c.charCodeAt(0));

export class ValueLine {
  /** The key as [keyStart, keyEnd) in the line's buffer. */
  keyStart = 0;
  keyEnd = 0;
  flags = 0;
  /** Length of the data block that follows the line (its CRLF not counted). */
  bytes = 0;
  /** CAS unique (gets, gats), -1n when the line has none. */
  cas = -1n;
  private readonly tokens = new Tokens(8);

  /** Reads buf[start, end) (without CRLF). False when it is not a well-formed VALUE line. */
  parse(buf: Uint8Array, start: number, end: number): boolean {
    const t = this.tokens;
    const n = t.split(buf, start, end);
    if ((n !== 4 && n !== 5) || !t.is(0, VALUE)) return false;
    this.keyStart = t.start(1);
    this.keyEnd = t.end(1);
    this.flags = parseU32(buf, t.start(2), t.end(2));
    this.bytes = parseI32(buf, t.start(3), t.end(3));
    this.cas = n === 5 ? parseU64(buf, t.start(4), t.end(4)) : -1n;
    return this.flags >= 0 && this.bytes >= 0 && (n === 4 || this.cas >= 0n);
  }
}

/** Whether buf[start, end) starts with `VALUE `. */
export function isValueLine(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start < 6) return false;
  for (let k = 0; k < 5; k++) if (buf[start + k] !== VALUE[k]) return false;
  return buf[start + 5] === 0x20;
}
