/**
 * Pieces every meta reply shares: the parsed flags (one MetaFlags per worker thread: a
 * command is parsed and answered before the next one starts), the request checks memcached
 * makes before parsing, and the return flags that echo the request (O, k, b).
 */
import {
  base64Length,
  encodeBase64,
  MAX_META_TOKENS,
  MetaFlags,
  MetaReplies,
  Replies,
  type Tokens,
} from '@slabcache/protocol';
import { MAX_KEY_LENGTH, type Store } from '@slabcache/store';
import type { Connection } from '../../connection.ts';
import type { Output } from '../../output.ts';

export const flags = new MetaFlags();

export const O = 0x4f;
export const K = 0x6b;

/**
 * memcached's checks before the flags: too few tokens is ERROR, a long key or too many
 * flags a CLIENT_ERROR. Returns false when it has answered.
 */
export function checkRequest(c: Connection, t: Tokens, tooMany: Uint8Array): boolean {
  if (t.length(1) > MAX_KEY_LENGTH) {
    c.reply(Replies.CLIENT_ERROR_FORMAT);
    return false;
  }
  if (t.count + 1 > MAX_META_TOKENS) {
    c.reply(tooMany);
    return false;
  }
  return true;
}

/** An error line: meta commands answer errors even in quiet mode. */
export function error(c: Connection, line: Uint8Array): void {
  c.noreply = false;
  c.out.bytes(line);
}

/** The key's bytes, base64-encoded when the key is binary. */
export function writeKeyBytes(
  out: Output,
  key: Uint8Array,
  start: number,
  end: number,
  binary: boolean,
): void {
  if (!binary) {
    out.range(key, start, end);
    return;
  }
  out.ensure(base64Length(end - start));
  out.len += encodeBase64(key, start, end, out.buf, out.len);
}

/** ` k<key>`, followed by ` b` when the key is binary (and so base64-encoded). */
export function writeKey(
  out: Output,
  key: Uint8Array,
  start: number,
  end: number,
  binary: boolean,
): void {
  out.byte(0x20);
  out.byte(K);
  writeKeyBytes(out, key, start, end, binary);
  if (binary) {
    out.byte(0x20);
    out.byte(0x62);
  }
}

/** ` O<opaque>` as the request gave it. */
export function writeOpaque(out: Output, t: Tokens, index: number): void {
  out.byte(0x20);
  out.range(t.buf, t.start(index), t.end(index));
}

/** The O and k flags, in request order, for replies that echo only those (EN, NF, EX …). */
export function writeEcho(out: Output, t: Tokens, f: MetaFlags): void {
  for (let i = 0; i < f.count; i++) {
    const letter = f.order[i];
    if (letter === O) writeOpaque(out, t, f.at[O]);
    else if (letter === K) writeKey(out, f.key, f.keyStart, f.keyEnd, f.base64);
  }
}

/** A status line with the echoed flags: `NF Oabc kfoo\r\n`. */
export function statusLine(c: Connection, t: Tokens, code: Uint8Array): void {
  const out = c.out;
  out.bytes(code);
  writeEcho(out, t, flags);
  out.crlf();
}

export { MetaReplies };

const T = 0x54;
const N = 0x4e;

/**
 * The TTL a `t` flag at token `index` reports. memcached applies T (and N, on an item N just
 * created) as it walks the flags in request order, so `t` shows the TTL as of its place:
 * `ttlBefore` until a T or N before it changed the item.
 */
export function ttlAt(store: Store, index: number, created: boolean, ttlBefore: number): number {
  let ttl = ttlBefore;
  let at = 0;
  if (flags.hasTtl && flags.at[T] < index) {
    at = flags.at[T];
    ttl = ttlOf(store, flags.ttl);
  }
  if (created && flags.hasVivify && flags.at[N] < index && flags.at[N] > at) {
    ttl = ttlOf(store, flags.vivifyTtl);
  }
  return ttl;
}

function ttlOf(store: Store, exptime: number): number {
  const rel = store.expiryToRelative(exptime);
  return rel === 0 ? -1 : rel - store.relativeTime;
}

/** ` t<ttl>`, -1 for never. */
export function writeTtl(out: Output, ttl: number): void {
  out.byte(0x20);
  out.byte(0x74);
  if (ttl < 0) out.text('-1');
  else out.decimal(ttl);
}

/** Whether T comes after N in the request (a created item keeps the later one's TTL). */
export function touchAfterVivify(): boolean {
  return flags.at[T] > flags.at[N];
}
