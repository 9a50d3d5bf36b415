/**
 * md <key> <flag>*: memcached's meta delete. C deletes only on a matching CAS, I keeps the
 * item as stale (new CAS, T's exptime, the recache token back in play), x empties the value
 * but keeps the item. Answers HD (silent with q), NF or EX, echoing O and k.
 */
import type { Tokens } from '@slabcache/protocol';
import { Deleted, MetaDelete } from '@slabcache/store';
import type { Connection } from '../../connection.ts';
import { C, countHit } from '../../stats/counters.ts';
import { checkRequest, error, flags, MetaReplies as M, statusLine } from './reply.ts';

const opts = new MetaDelete();

export function metaDelete(c: Connection, t: Tokens): void {
  if (!checkRequest(c, t, M.ERR_TOO_MANY)) return;
  // memcached answers every flag problem of md with one message.
  if (flags.parse(t, 2) !== null) {
    error(c, M.ERR_INVALID_OR_DUPLICATE);
    return;
  }
  if (flags.opaqueTooLong(t)) {
    error(c, M.ERR_OPAQUE_TOO_LONG);
    return;
  }
  c.noreply = flags.noReply;
  opts.invalidate = flags.invalidate;
  opts.touch = flags.hasTtl;
  opts.exptime = flags.ttl;
  opts.removeValue = flags.removeValue;
  opts.flags = flags.clientFlags;
  opts.newCas = flags.newCas;
  const { store, stats } = c.ctx;
  const klen = flags.keyEnd - flags.keyStart;
  const cas = flags.hasCas ? flags.cas : 0;
  const r = store.metaDelete(flags.key, flags.keyStart, klen, cas, opts);
  if (r === Deleted.DELETED) {
    if (!opts.invalidate) countHit(stats, C.delete_hits, store.lastClass);
    if (!c.noreply) statusLine(c, t, M.HD);
    return;
  }
  stats[C.delete_misses]++;
  c.noreply = false;
  statusLine(c, t, r === Deleted.EXISTS ? M.EX : M.NF);
}
