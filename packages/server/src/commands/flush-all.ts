/** flush_all [delay] [noreply]: OK. Invalidates every item now or after the delay. */
import { parseI32, Replies, type Tokens } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';
import { C } from '../stats/counters.ts';
import { noreplyMaybe } from '../text/noreply.ts';

export function flushAll(c: Connection, t: Tokens): void {
  const noreply = noreplyMaybe(c, t);
  c.ctx.stats[C.cmd_flush]++;
  if (!c.ctx.config.flushEnabled) {
    c.reply(Replies.CLIENT_ERROR_FLUSH_DISABLED);
    return;
  }
  let delay = 0;
  if (t.count !== (noreply ? 2 : 1)) {
    delay = parseI32(t.buf, t.start(1), t.end(1));
    if (Number.isNaN(delay)) {
      c.reply(Replies.CLIENT_ERROR_EXPTIME);
      return;
    }
  }
  c.ctx.store.flushAll(Math.max(delay, 0));
  c.reply(Replies.OK);
}
