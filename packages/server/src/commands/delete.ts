/**
 * delete <key> [0] [noreply]: DELETED or NOT_FOUND. memcached still accepts the old hold
 * time argument when it is 0, and answers its usage line otherwise.
 */
import { ascii, Replies, type Tokens } from '@slabcache/protocol';
import { Deleted, MAX_KEY_LENGTH } from '@slabcache/store';
import type { Connection } from '../connection.ts';
import { C, countHit } from '../stats/counters.ts';
import { noreplyMaybe } from '../text/noreply.ts';

const ZERO = ascii('0');

export function deleteCommand(c: Connection, t: Tokens): void {
  if (t.count > 2) {
    const holdIsZero = t.is(2, ZERO);
    const noreply = noreplyMaybe(c, t);
    const valid =
      (t.count === 3 && (holdIsZero || noreply)) || (t.count === 4 && holdIsZero && noreply);
    if (!valid) {
      c.reply(Replies.CLIENT_ERROR_DELETE_USAGE);
      return;
    }
  }
  if (t.length(1) > MAX_KEY_LENGTH) {
    c.reply(Replies.CLIENT_ERROR_FORMAT);
    return;
  }
  const { store, stats } = c.ctx;
  if (store.delete(t.buf, t.start(1), t.length(1)) === Deleted.DELETED) {
    countHit(stats, C.delete_hits, store.lastClass);
    c.reply(Replies.DELETED);
  } else {
    stats[C.delete_misses]++;
    c.reply(Replies.NOT_FOUND);
  }
}
