/**
 * incr / decr <key> <delta> [noreply]: the new value, or NOT_FOUND; memcached's error
 * replies for a bad delta and for a value that is not a number.
 */
import { parseU64, Replies, type Tokens } from '@slabcache/protocol';
import { Arith, ArithOutput, MAX_KEY_LENGTH } from '@slabcache/store';
import type { Connection } from '../connection.ts';
import { C, countHit } from '../stats/counters.ts';
import { noreplyMaybe } from '../text/noreply.ts';

const result = new ArithOutput();

export function arithmetic(c: Connection, t: Tokens, incr: boolean): void {
  noreplyMaybe(c, t);
  const buf = t.buf;
  if (t.length(1) > MAX_KEY_LENGTH) {
    c.reply(Replies.CLIENT_ERROR_FORMAT);
    return;
  }
  const delta = parseU64(buf, t.start(2), t.end(2));
  if (delta < 0n) {
    c.reply(Replies.CLIENT_ERROR_DELTA);
    return;
  }
  const { store, stats } = c.ctx;
  const r = store.arith(buf, t.start(1), t.length(1), incr, delta, result);
  switch (r) {
    case Arith.OK:
      countHit(stats, incr ? C.incr_hits : C.decr_hits, store.lastClass);
      if (!c.noreply) {
        c.out.text(result.value.toString());
        c.out.crlf();
      }
      break;
    case Arith.NOT_FOUND:
      stats[incr ? C.incr_misses : C.decr_misses]++;
      c.reply(Replies.NOT_FOUND);
      break;
    case Arith.NON_NUMERIC:
      c.reply(Replies.CLIENT_ERROR_NON_NUMERIC);
      break;
    default:
      c.reply(Replies.SERVER_ERROR_OOM);
  }
}
