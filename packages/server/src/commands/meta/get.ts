/**
 * mg <key> <flag>*: memcached's meta get. A hit answers `VA <size> <flags>` and the value
 * (with v) or `HD <flags>`; a miss `EN` (silent with q). Return flags come in request order,
 * then Z (token already out), X (stale) and W (this client should recache), as memcached
 * writes them. T touches, N creates an empty item on a miss, R hands out the recache token
 * early, u leaves the LRU alone.
 */
import type { Tokens } from '@slabcache/protocol';
import { type ItemReader, type ItemView, MetaGet, Read } from '@slabcache/store';
import type { Connection } from '../../connection.ts';
import { countRead } from '../../stats/counters.ts';
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

const req = new MetaGet();
const keyScratch = new Uint8Array(256);

const c_ = 0x63;
const f_ = 0x66;
const h_ = 0x68;
const l_ = 0x6c;
const s_ = 0x73;
const t_ = 0x74;

/** Writes the hit's reply line and value while the store holds the item's lock. */
class HitWriter implements ItemReader {
  c: Connection | null = null;
  t: Tokens | null = null;

  onHit(item: ItemView): void {
    const c = this.c!;
    const t = this.t!;
    const out = c.out;
    const vlen = item.valueLength;
    if (flags.value) {
      out.bytes(M.VA);
      out.decimal(vlen);
    } else {
      out.bytes(M.HD);
    }
    for (let i = 0; i < flags.count; i++) {
      const letter = flags.order[i];
      switch (letter) {
        case s_:
          flag(c, s_);
          out.decimal(vlen);
          break;
        case t_:
          writeTtl(out, ttlAt(c.ctx.store, flags.at[t_], req.created, req.ttlBefore));
          break;
        case c_:
          flag(c, c_);
          out.decimal(item.cas);
          break;
        case f_:
          flag(c, f_);
          out.decimal(item.flags);
          break;
        case l_:
          flag(c, l_);
          out.decimal(item.idleSeconds);
          break;
        case h_:
          flag(c, h_);
          out.byte(item.fetched ? 0x31 : 0x30);
          break;
        case O:
          writeOpaque(out, t, flags.at[O]);
          break;
        case K: {
          const klen = item.keyLength;
          item.copyKey(keyScratch, 0);
          writeKey(out, keyScratch, 0, klen, item.keyBinary);
          break;
        }
      }
    }
    if (req.tokenSent) flag(c, 0x5a); // Z
    if (req.stale) flag(c, 0x58); // X
    if (req.won) flag(c, 0x57); // W
    out.crlf();
    if (flags.value) {
      out.ensure(vlen + 2);
      item.copyValue(out.buf, out.len);
      out.len += vlen;
      out.crlf();
    }
  }
}

function flag(c: Connection, letter: number): void {
  c.out.byte(0x20);
  c.out.byte(letter);
}

const writer = new HitWriter();

export function metaGet(c: Connection, t: Tokens): void {
  if (!checkRequest(c, t, M.ERR_MG_TOO_MANY)) return;
  const bad = flags.parse(t, 2);
  if (bad !== null) {
    error(c, bad);
    return;
  }
  if (flags.opaqueTooLong(t)) {
    error(c, M.ERR_OPAQUE_TOO_LONG);
    return;
  }
  c.noreply = flags.noReply;
  req.touch = flags.hasTtl;
  req.exptime = flags.ttl;
  req.vivify = flags.hasVivify;
  req.vivifyExptime = flags.vivifyTtl;
  req.touchAfterVivify = touchAfterVivify();
  req.newCas = flags.newCas;
  req.recache = flags.hasRecache;
  req.recacheExptime = flags.recacheTtl;
  req.noBump = flags.noBump;
  req.keyBinary = flags.base64;
  writer.c = c;
  writer.t = t;
  const { store, stats } = c.ctx;
  const r = store.metaGet(flags.key, flags.keyStart, flags.keyEnd - flags.keyStart, req, writer);
  writer.c = null;
  writer.t = null;
  // memcached counts a touch only when the item was there to touch.
  countRead(stats, r, flags.hasTtl && r === Read.HIT, store.lastClass);
  if (r !== Read.HIT && !c.noreply) statusLine(c, t, M.EN);
}
