/**
 * shutdown [graceful]: stops the server, only when started with -A (memcached's
 * --enable-shutdown). The connection closes without a reply, as in memcached.
 */
import { ascii, type Tokens } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';

const GRACEFUL = ascii('graceful');
const NOT_ENABLED = ascii('ERROR: shutdown not enabled\r\n');
const BAD_MODE = ascii('CLIENT_ERROR invalid shutdown mode\r\n');

export function shutdown(c: Connection, t: Tokens): void {
  if (!c.ctx.config.enableShutdown) {
    c.reply(NOT_ENABLED);
    return;
  }
  if (t.count === 1 || (t.count === 2 && t.is(1, GRACEFUL))) {
    c.ctx.requestShutdown(t.count === 2);
    c.close();
    return;
  }
  c.reply(BAD_MODE);
}
