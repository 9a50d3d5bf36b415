/**
 * ma <key> <flag>*: memcached's meta arithmetic. MI/M+ increments (the default), MD/M-
 * decrements, by D (default 1); N creates a missing counter from J (default 0) with N's TTL;
 * C compares a CAS, E sets the new one, T sets a TTL. Answers HD, or VA with the value (v),
 * with the c, t, O and k return flags; NF, NS or EX otherwise.
 */
import type { Tokens } from '@slabcache/protocol';
import { Arith, ArithExtras, ArithOutput } from '@slabcache/store';
import type { Connection } from '../../connection.ts';
import { C, countHit } from '../../stats/counters.ts';
import {
  checkRequest,
  error,
  flags,
  K,
  MetaReplies as M,
  O,
  statusLine,
  touchAfterVivify,
  ttlAt,
  writeKey,
  writeOpaque,
  writeTtl,
} from './reply.ts';

const extras = new ArithExtras();
const result = new ArithOutput();

const c_ = 0x63;
const t_ = 0x74;

function isIncrement(mode: number): boolean | null {
  switch (mode) {
    case 0:
    case 0x49: // I
    case 0x2b: // +
      return true;
    case 0x44: // D
    case 0x2d: // -
      return false;
    default:
      return null;
  }
}

export function metaArithmetic(c: Connection, t: Tokens): void {
  if (!checkRequest(c, t, M.ERR_TOO_MANY)) return;
  if (flags.parse(t, 2) !== null) {
    error(c, M.ERR_INVALID_OR_DUPLICATE);
    return;
  }
  const incr = isIncrement(flags.mode);
  if (incr === null) {
    error(c, M.ERR_MA_MODE);
    return;
  }
  c.noreply = flags.noReply;
  extras.newCas = flags.newCas;
  extras.touch = flags.hasTtl;
  extras.exptime = flags.ttl;
  extras.touchAfterVivify = touchAfterVivify();
  const { store, stats } = c.ctx;
  const r = store.arith(
    flags.key,
    flags.keyStart,
    flags.keyEnd - flags.keyStart,
    incr,
    flags.delta,
    result,
    flags.hasVivify ? flags.initial : null,
    flags.vivifyTtl,
    flags.hasCas ? flags.cas : 0,
    extras,
  );
  if (r === Arith.OK && !result.created)
    countHit(stats, incr ? C.incr_hits : C.decr_hits, store.lastClass);
  else if (r === Arith.NOT_FOUND) stats[incr ? C.incr_misses : C.decr_misses]++;
  if (r === Arith.NON_NUMERIC) {
    error(c, M.ERR_NON_NUMERIC);
    return;
  }
  if (r === Arith.NO_MEMORY) {
    error(c, flags.hasVivify ? M.ERR_VIVIFY_OOM : M.ERR_OUT_OF_MEMORY);
    return;
  }
  // memcached finds a too-long opaque only while writing the reply: the counter has changed.
  if (flags.opaqueTooLong(t)) {
    error(c, M.ERR_OPAQUE_TOO_LONG);
    return;
  }
  if (r === Arith.OK) {
    // memcached keeps quiet about a changed counter, not about one it just created.
    if (c.noreply && !result.created) return;
    c.noreply = false;
    reply(c, t);
    return;
  }
  c.noreply = false;
  statusLine(c, t, r === Arith.NOT_FOUND ? M.NF : M.EX);
}

function reply(c: Connection, t: Tokens): void {
  const out = c.out;
  const value = result.value;
  const small = value <= BigInt(Number.MAX_SAFE_INTEGER);
  const digits = small ? '' : value.toString(); // above 2^53 only: rare
  const vlen = small ? String(Number(value)).length : digits.length;
  if (flags.value) {
    out.bytes(M.VA);
    out.decimal(vlen);
  } else {
    out.bytes(M.HD);
  }
  for (let i = 0; i < flags.count; i++) {
    const letter = flags.order[i];
    if (letter === c_) {
      out.byte(0x20);
      out.byte(c_);
      out.decimal(result.cas);
    } else if (letter === t_) {
      writeTtl(out, ttlAt(c.ctx.store, flags.at[t_], result.created, result.ttlBefore));
    } else if (letter === O) {
      writeOpaque(out, t, flags.at[O]);
    } else if (letter === K) {
      writeKey(out, flags.key, flags.keyStart, flags.keyEnd, flags.base64);
    }
  }
  out.crlf();
  if (flags.value) {
    if (small) out.decimal(Number(value));
    else out.text(digits);
    out.crlf();
  }
}
