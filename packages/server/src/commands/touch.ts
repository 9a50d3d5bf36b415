/** touch <key> <exptime> [noreply]: TOUCHED or NOT_FOUND. */
import { parseI32, Replies, type Tokens } from '@slabcache/protocol';
import { MAX_KEY_LENGTH, Read } from '@slabcache/store';
import type { Connection } from '../connection.ts';
import { C, countHit } from '../stats/counters.ts';
import { noreplyMaybe } from '../text/noreply.ts';

export function touch(c: Connection, t: Tokens): void {
  noreplyMaybe(c, t);
  if (t.length(1) > MAX_KEY_LENGTH) {
    c.reply(Replies.CLIENT_ERROR_FORMAT);
    return;
  }
  const exptime = parseI32(t.buf, t.start(2), t.end(2));
  if (Number.isNaN(exptime)) {
    c.reply(Replies.CLIENT_ERROR_EXPTIME);
    return;
  }
  const { store, stats } = c.ctx;
  stats[C.cmd_touch]++;
  if (store.touch(t.buf, t.start(1), t.length(1), exptime) === Read.HIT) {
    countHit(stats, C.touch_hits, store.lastClass);
    c.reply(Replies.TOUCHED);
  } else {
    stats[C.touch_misses]++;
    c.reply(Replies.NOT_FOUND);
  }
}
