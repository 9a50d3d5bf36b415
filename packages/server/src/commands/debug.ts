/**
 * debug crash | debug crash-locked <key>: hooks for the worker-crash tests, answered only when
 * the server started with SLABCACHE_DEBUG_HOOKS=1 (otherwise ERROR, like any unknown command).
 * `crash` kills this worker with an uncaught exception; `crash-locked` first takes the key's
 * stripe lock and keeps it, as a thread stopped inside a store call would.
 */
import { ascii, Replies, type Tokens } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';

const CRASH = ascii('crash');
const CRASH_LOCKED = ascii('crash-locked');

export function debug(c: Connection, t: Tokens): void {
  if (!c.ctx.debugHooks) {
    c.reply(Replies.ERROR);
    return;
  }
  if (t.count === 3 && t.is(1, CRASH_LOCKED)) {
    c.ctx.store.debugHoldKeyLock(t.buf, t.start(2), t.length(2));
  } else if (!(t.count === 2 && t.is(1, CRASH))) {
    c.reply(Replies.ERROR);
    return;
  }
  // Thrown outside this request's call stack, so nothing catches it: the worker dies.
  setImmediate(() => {
    throw new Error('debug crash requested');
  });
}
