/** verbosity <level> [noreply]: OK. Sets the log level of every thread. */
import { parseU32, Replies, type Tokens } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';
import { SH_VERBOSITY } from '../context.ts';
import { noreplyMaybe } from '../text/noreply.ts';

const MAX_VERBOSITY_LEVEL = 2; // memcached's cap

export function verbosity(c: Connection, t: Tokens): void {
  noreplyMaybe(c, t);
  const level = parseU32(t.buf, t.start(1), t.end(1));
  if (level < 0) {
    c.reply(Replies.CLIENT_ERROR_FORMAT);
    return;
  }
  Atomics.store(c.ctx.shared, SH_VERBOSITY, Math.min(level, MAX_VERBOSITY_LEVEL));
  c.reply(Replies.OK);
}
