/**
 * Meta command flags (mg ms md ma): one letter each, some with a token glued on (`T30`,
 * `Oabc`). Parsed the way memcached's _meta_flag_preparse does: a repeated or unknown letter
 * stops at once; a bad token is remembered and parsing goes on, so the last bad token names
 * the error. Nothing is allocated per request: one MetaFlags per connection is reset and
 * refilled, and return flags are written later from the token positions kept in `at`.
 */
import { parseI32, parseU32, parseU64, parseU64Number } from '../text/numbers.ts';
import type { Tokens } from '../text/tokens.ts';
import { decodeBase64 } from './base64.ts';
import * as R from './replies.ts';

/** memcached's MFLAG_MAX_OPT_LENGTH, counted as it counts (tokens plus an end marker). */
export const MAX_META_TOKENS = 20;
/** memcached's MFLAG_MAX_OPAQUE_LENGTH, the O included. */
export const MAX_OPAQUE_LENGTH = 32;

const ch = (c: string) => c.charCodeAt(0);

export class MetaFlags {
  /** Token index of each flag letter present, 0 when absent. */
  readonly at = new Int32Array(128);
  /** Flag letters in request order (return flags echo in this order); a letter appears at
   * most once, so 128 always suffices. */
  readonly order = new Uint8Array(128);
  count = 0;

  /** The key: the request's bytes, or (with b) the decoded bytes in `keyBuf`. */
  key: Uint8Array = new Uint8Array(0);
  keyStart = 0;
  keyEnd = 0;
  readonly keyBuf = new Uint8Array(256);
  base64 = false;

  noReply = false; // q
  value = false; // v
  noBump = false; // u
  invalidate = false; // I
  removeValue = false; // x
  hasTtl = false; // T
  ttl = 0;
  hasVivify = false; // N
  vivifyTtl = 0;
  hasRecache = false; // R
  recacheTtl = 0;
  clientFlags = 0; // F
  hasCas = false; // C
  cas = 0;
  newCas = 0; // E
  mode = 0; // M's letter
  delta = 1n; // D
  initial = 0n; // J

  /** Whether letter c was given. */
  has(c: number): boolean {
    return this.at[c] !== 0;
  }

  /**
   * Parses flags tokens[first, count) of a request whose key is token 1. Returns null, or
   * the error reply memcached gives.
   */
  parse(t: Tokens, first: number): Uint8Array | null {
    this.reset(t);
    let error: Uint8Array | null = null;
    const buf = t.buf;
    for (let i = first; i < t.count; i++) {
      const s = t.start(i);
      const e = t.end(i);
      const c = buf[s];
      if (c >= 127 || this.at[c] !== 0) return R.ERR_DUPLICATE_FLAG;
      this.at[c] = i;
      this.order[this.count++] = c;
      switch (c) {
        case 0x62: // b
          this.base64 = true;
          if (!this.decodeKey(t)) error = R.ERR_DECODING_KEY;
          break;
        case 0x4e: // N
          this.hasVivify = true;
          this.vivifyTtl = parseI32(buf, s + 1, e);
          if (Number.isNaN(this.vivifyTtl)) error = R.ERR_BAD_TOKEN;
          break;
        case 0x54: // T
          this.hasTtl = true;
          this.ttl = parseI32(buf, s + 1, e);
          if (Number.isNaN(this.ttl)) error = R.ERR_BAD_TOKEN;
          break;
        case 0x52: // R
          this.hasRecache = true;
          this.recacheTtl = parseI32(buf, s + 1, e);
          if (Number.isNaN(this.recacheTtl)) error = R.ERR_BAD_TOKEN;
          break;
        case 0x76: // v
          this.value = true;
          break;
        case 0x75: // u
          this.noBump = true;
          break;
        case 0x71: // q
          this.noReply = true;
          break;
        case 0x49: // I
          this.invalidate = true;
          break;
        case 0x78: // x
          this.removeValue = true;
          break;
        case 0x46: // F
          this.clientFlags = parseU32(buf, s + 1, e);
          // memcached's F names no error of its own: an earlier message stands.
          if (this.clientFlags < 0) error ??= R.ERR_FORMAT;
          break;
        case 0x43: // C
          this.hasCas = true;
          this.cas = parseU64Number(buf, s + 1, e);
          if (this.cas < 0) error = R.ERR_BAD_TOKEN;
          break;
        case 0x45: // E
          this.newCas = parseU64Number(buf, s + 1, e);
          if (this.newCas < 0) error = R.ERR_BAD_TOKEN;
          break;
        case 0x4d: // M
          if (e - s !== 2) error = R.ERR_M_LENGTH;
          else this.mode = buf[s + 1];
          break;
        case 0x4a: // J
          this.initial = parseU64(buf, s + 1, e);
          if (this.initial < 0n) error = R.ERR_INITIAL;
          break;
        case 0x44: // D
          this.delta = parseU64(buf, s + 1, e);
          if (this.delta < 0n) error = R.ERR_DELTA;
          break;
        case 0x4f: // O
        case 0x50: // P (proxy hint, ignored)
        case 0x4c: // L (proxy hint, ignored)
        case 0x6b: // k
        case 0x73: // s
        case 0x74: // t
        case 0x63: // c
        case 0x66: // f
        case 0x6c: // l
        case 0x68: // h
          break;
        default:
          return R.ERR_INVALID_FLAG;
      }
    }
    return error;
  }

  /** Whether an O token is longer than memcached accepts. */
  opaqueTooLong(t: Tokens): boolean {
    const i = this.at[ch('O')];
    return i !== 0 && t.length(i) > MAX_OPAQUE_LENGTH;
  }

  private reset(t: Tokens): void {
    for (let i = 0; i < this.count; i++) this.at[this.order[i]] = 0;
    this.count = 0;
    this.key = t.buf;
    this.keyStart = t.start(1);
    this.keyEnd = t.end(1);
    this.base64 = false;
    this.noReply = false;
    this.value = false;
    this.noBump = false;
    this.invalidate = false;
    this.removeValue = false;
    this.hasTtl = false;
    this.hasVivify = false;
    this.hasRecache = false;
    this.clientFlags = 0;
    this.hasCas = false;
    this.cas = 0;
    this.newCas = 0;
    this.mode = 0;
    this.delta = 1n;
    this.initial = 0n;
  }

  private decodeKey(t: Tokens): boolean {
    const n = decodeBase64(t.buf, t.start(1), t.end(1), this.keyBuf, 0);
    if (n <= 0) return false;
    this.key = this.keyBuf;
    this.keyStart = 0;
    this.keyEnd = n;
    return true;
  }
}
