/**
 * ms <key> <datalen> <flag>*, then the data block: memcached's meta set. M picks the mode
 * (S set, E add, R replace, A append, P prepend), C compares a CAS, E sets the new CAS, I
 * stores an older CAS as stale, N creates on an append miss, F and T set flags and TTL.
 * Answers HD (silent with q), NS, EX or NF with the O, k and c return flags. The header is
 * checked before the data arrives; what the reply needs is kept per connection until then.
 */
import { parseI32, type Tokens } from '@slabcache/protocol';
import { Mode, Stored, WriteExtras, type WriteMode } from '@slabcache/store';
import type { Connection } from '../../connection.ts';
import { C } from '../../stats/counters.ts';
import { BAD_DATA_CHUNK, writeBlock } from '../storage.ts';
import { checkRequest, error, flags, K, MetaReplies as M, O, writeKey } from './reply.ts';

const c_ = 0x63;
const extras = new WriteExtras();

/** What an ms reply echoes, saved from the request line while the data block arrives. */
export class MetaSetReply {
  readonly opaque = new Uint8Array(32);
  opaqueLength = 0;
  /** The return flags O, k, c in request order. */
  readonly order = new Uint8Array(3);
  count = 0;
  base64 = false;
  invalidate = false;
  newCas = 0;
  appendVivify = false;
  vivifyTtl = 0;
}

function modeOf(letter: number): WriteMode | -1 {
  switch (letter) {
    case 0:
    case 0x53: // S
      return Mode.SET;
    case 0x45: // E
      return Mode.ADD;
    case 0x52: // R
      return Mode.REPLACE;
    case 0x41: // A
      return Mode.APPEND;
    case 0x50: // P
      return Mode.PREPEND;
    default:
      return -1;
  }
}

export function metaSet(c: Connection, t: Tokens, buf: Buffer, next: number, end: number): number {
  if (!checkRequest(c, t, M.ERR_TOO_MANY)) return next;
  if (t.count < 3) {
    error(c, M.ERR_FORMAT);
    return next;
  }
  const length = parseI32(buf, t.start(2), t.end(2));
  // A bad length leaves the data block unread, as in memcached.
  if (Number.isNaN(length) || length < 0 || length > 0x7ffffffd) {
    error(c, M.ERR_FORMAT);
    return next;
  }
  let bad = flags.parse(t, 3);
  if (bad === null && flags.opaqueTooLong(t)) bad = M.ERR_OPAQUE_TOO_LONG;
  const picked = modeOf(flags.mode);
  if (bad === null && picked === -1) bad = M.ERR_MS_MODE;
  if (bad !== null) {
    error(c, bad);
    return c.swallow(next, end, length + 2);
  }
  let mode = picked as WriteMode; // -1 was answered above
  // A CAS turns set and replace into cas; add ignores it; append/prepend compare it.
  let cas = 0;
  if (flags.hasCas) {
    if (mode === Mode.SET || mode === Mode.REPLACE) mode = Mode.CAS;
    if (mode !== Mode.ADD) cas = flags.cas;
  }
  const klen = flags.keyEnd - flags.keyStart;
  const { store, stats } = c.ctx;
  if (store.tooLarge(klen, length)) {
    stats[C.store_too_large]++;
    error(c, M.ERR_TOO_LARGE);
    // memcached drops the old value when a store fails, so no stale data outlives it.
    store.delete(flags.key, flags.keyStart, klen);
    return c.swallow(next, end, length + 2);
  }
  c.metaSet ??= new MetaSetReply();
  const saved = c.metaSet;
  saved.count = 0;
  for (let i = 0; i < flags.count; i++) {
    const letter = flags.order[i];
    if (letter === O) {
      const at = flags.at[O];
      saved.opaqueLength = t.length(at);
      buf.copy(saved.opaque, 0, t.start(at), t.end(at));
      saved.order[saved.count++] = O;
    } else if (letter === K || letter === c_) {
      saved.order[saved.count++] = letter;
    }
  }
  saved.base64 = flags.base64;
  saved.invalidate = flags.invalidate && mode === Mode.CAS;
  saved.newCas = flags.newCas;
  saved.appendVivify = flags.hasVivify && (mode === Mode.APPEND || mode === Mode.PREPEND);
  saved.vivifyTtl = flags.vivifyTtl;
  const req = c.storage;
  req.mode = mode;
  for (let i = 0; i < klen; i++) req.key[i] = flags.key[flags.keyStart + i];
  req.keyLength = klen;
  req.flags = flags.clientFlags;
  req.exptime = flags.hasTtl ? flags.ttl : 0;
  req.length = length;
  req.cas = cas;
  req.noreply = flags.noReply;
  req.complete = completeMetaSet;
  return c.expectData(buf, next, end);
}

function completeMetaSet(c: Connection, value: Buffer, off: number): void {
  const req = c.storage;
  const saved = c.metaSet!;
  c.noreply = req.noreply;
  extras.newCas = saved.newCas;
  extras.invalidate = saved.invalidate;
  extras.keyBinary = saved.base64;
  extras.appendVivify = saved.appendVivify;
  extras.vivifyExptime = saved.vivifyTtl;
  const r = writeBlock(c, value, off, extras);
  let code: Uint8Array;
  switch (r) {
    case BAD_DATA_CHUNK:
      error(c, M.ERR_BAD_DATA_CHUNK);
      return;
    case Stored.STORED:
      if (c.noreply) return;
      code = M.HD;
      break;
    case Stored.NOT_STORED:
      code = M.NS;
      break;
    case Stored.EXISTS:
      code = M.EX;
      break;
    case Stored.NOT_FOUND:
      code = M.NF;
      break;
    case Stored.TOO_LARGE:
      error(c, M.ERR_TOO_LARGE);
      return;
    default:
      error(c, M.ERR_OUT_OF_MEMORY_STORING);
      return;
  }
  const out = c.out;
  c.noreply = false;
  out.bytes(code);
  for (let i = 0; i < saved.count; i++) {
    const letter = saved.order[i];
    if (letter === O) {
      out.byte(0x20);
      out.range(saved.opaque, 0, saved.opaqueLength);
    } else if (letter === K) {
      writeKey(out, req.key, 0, req.keyLength, saved.base64);
    } else {
      out.byte(0x20);
      out.byte(c_);
      out.decimal(r === Stored.STORED ? c.ctx.store.lastCas : 0);
    }
  }
  out.crlf();
}
