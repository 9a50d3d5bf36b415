/**
 * Splits a request line into tokens on single spaces, as memcached's tokenize_command does
 * (tabs are not separators). Tokens are [start, end) byte offsets in a reusable Int32Array:
 * nothing is copied or decoded.
 */
export class Tokens {
  /** Pairs of (start, end) offsets into `buf`. */
  pos: Int32Array;
  count = 0;
  buf: Uint8Array = new Uint8Array(0);

  constructor(capacity = 32) {
    this.pos = new Int32Array(capacity * 2);
  }

  /** Tokenizes buf[start, end). Keeps every token (multi-get lines can be long). */
  split(buf: Uint8Array, start: number, end: number): number {
    this.buf = buf;
    let n = 0;
    let i = start;
    while (i < end) {
      while (i < end && buf[i] === 0x20) i++;
      if (i >= end) break;
      const s = i;
      while (i < end && buf[i] !== 0x20) i++;
      if (n * 2 + 2 > this.pos.length) {
        const bigger = new Int32Array(this.pos.length * 2);
        bigger.set(this.pos);
        this.pos = bigger;
      }
      this.pos[n * 2] = s;
      this.pos[n * 2 + 1] = i;
      n++;
    }
    this.count = n;
    return n;
  }

  start(i: number): number {
    return this.pos[i * 2];
  }

  end(i: number): number {
    return this.pos[i * 2 + 1];
  }

  length(i: number): number {
    return this.pos[i * 2 + 1] - this.pos[i * 2];
  }

  /** Whether token i is exactly the ASCII word `w` (given as bytes). */
  is(i: number, w: Uint8Array): boolean {
    const s = this.pos[i * 2];
    const len = this.pos[i * 2 + 1] - s;
    if (len !== w.length) return false;
    const buf = this.buf;
    for (let k = 0; k < len; k++) if (buf[s + k] !== w[k]) return false;
    return true;
  }

  /** Token i as a string: for rare paths (stats arguments, error messages) only. */
  text(i: number): string {
    let s = '';
    for (let k = this.pos[i * 2]; k < this.pos[i * 2 + 1]; k++)
      s += String.fromCharCode(this.buf[k]);
    return s;
  }
}

/** ASCII text to bytes, for constant words and replies made once at load time. */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}
