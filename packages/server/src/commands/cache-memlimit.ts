/**
 * cache_memlimit <megabytes> [noreply]: changes the item memory limit while running. The
 * store reserved its address space for the -m given at start, so the limit can move freely
 * below that and not above it (memcached answers the same failure text for limits it
 * cannot apply).
 */
import { ascii, parseU32, Replies, type Tokens } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';
import { noreplyMaybe } from '../text/noreply.ts';

const TOO_SMALL = ascii('MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n');
const NOT_BYTES = ascii('MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n');
const FAILED = ascii('MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n');

export function cacheMemlimit(c: Connection, t: Tokens): void {
  noreplyMaybe(c, t);
  const mb = parseU32(t.buf, t.start(1), t.end(1));
  if (mb < 0) {
    c.reply(Replies.ERROR);
  } else if (mb < 8) {
    c.reply(TOO_SMALL);
  } else if (mb > 1_000_000_000) {
    c.reply(NOT_BYTES);
  } else if (c.ctx.store.setMemoryLimit(mb * 1024 * 1024)) {
    c.ctx.log(1, `maxbytes adjusted to ${mb}m`);
    c.reply(Replies.OK);
  } else {
    c.reply(FAILED);
  }
}
