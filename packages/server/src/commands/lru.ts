/**
 * lru tune <hot%> <warm%> <hot factor> <warm factor> | lru mode <segmented|flat> |
 * lru temp_ttl <ttl>: memcached's LRU controls. The store's LRU is always segmented, and it
 * has no temporary LRU, so `mode flat` is refused and `temp_ttl` accepted without effect.
 */
import { ascii, parseI32, parseU32, Replies, type Tokens } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';
import { noreplyMaybe } from '../text/noreply.ts';

const TUNE = ascii('tune');
const MODE = ascii('mode');
const SEGMENTED = ascii('segmented');
const TEMP_TTL = ascii('temp_ttl');
const PCT_LIMIT = ascii('ERROR hot and warm pcts must not exceed 80\r\n');
const FACTORS = ascii('ERROR hot/warm age factors must be greater than 0\r\n');

export function lru(c: Connection, t: Tokens): void {
  noreplyMaybe(c, t);
  const buf = t.buf;
  if (t.is(1, TUNE) && t.count >= 6) {
    const hot = parseU32(buf, t.start(2), t.end(2));
    const warm = parseU32(buf, t.start(3), t.end(3));
    const hotFactor = Number(t.text(4));
    const warmFactor = Number(t.text(5));
    if (hot < 0 || warm < 0 || Number.isNaN(hotFactor) || Number.isNaN(warmFactor)) {
      c.reply(Replies.ERROR);
    } else if (hot + warm > 80) {
      c.reply(PCT_LIMIT);
    } else if (hotFactor <= 0 || warmFactor <= 0) {
      c.reply(FACTORS);
    } else {
      c.reply(c.ctx.store.setLruShares(hot, warm) ? Replies.OK : Replies.ERROR);
    }
    return;
  }
  if (t.is(1, MODE) && t.count >= 3) {
    c.reply(t.is(2, SEGMENTED) ? Replies.OK : Replies.ERROR);
    return;
  }
  if (t.is(1, TEMP_TTL) && t.count >= 3) {
    c.reply(Number.isNaN(parseI32(buf, t.start(2), t.end(2))) ? Replies.ERROR : Replies.OK);
    return;
  }
  c.reply(Replies.ERROR);
}
