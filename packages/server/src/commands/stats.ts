/**
 * stats [items|slabs|settings|sizes|conns|reset]: memcached's statistics groups, one
 * "STAT <name> <value>" line each, then END. Unknown groups answer ERROR, as in memcached.
 */
import { ascii, parseU32, Replies, type Tokens } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';
import {
  connsStats,
  formatStats,
  generalStats,
  itemsStats,
  resetStats,
  settingsStats,
  slabsStats,
} from '../stats/report.ts';

const SIZES_DISABLED = ascii('STAT sizes_status disabled\r\nEND\r\n');

export function stats(c: Connection, t: Tokens): void {
  const ctx = c.ctx;
  if (t.count === 1) {
    c.out.text(formatStats(generalStats(ctx)));
    return;
  }
  switch (t.text(1)) {
    case 'reset':
      resetStats(ctx);
      c.reply(Replies.RESET);
      return;
    case 'settings':
      c.out.text(formatStats(settingsStats(ctx)));
      return;
    case 'items':
      c.out.text(formatStats(itemsStats(ctx)));
      return;
    case 'slabs':
      c.out.text(formatStats(slabsStats(ctx)));
      return;
    case 'sizes':
      // memcached 1.6 tracks item sizes only with -o track_sizes.
      c.out.bytes(SIZES_DISABLED);
      return;
    case 'cachedump':
      cachedump(c, t);
      return;
    case 'conns':
      c.out.text(formatStats(connsStats(ctx)));
      return;
    default:
      c.reply(Replies.ERROR);
  }
}

const CACHEDUMP_DISABLED = ascii('CLIENT_ERROR stats cachedump not allowed\r\n');
const BAD_LINE = ascii('CLIENT_ERROR bad command line\r\n');
const ILLEGAL_SLAB = ascii('CLIENT_ERROR Illegal slab id\r\n');
/** memcached caps a cachedump reply at 2 MB. */
const CACHEDUMP_LIMIT = 2 * 1024 * 1024;

/** stats cachedump <class> <limit>: memcached's item_cachedump, COLD list head first. */
function cachedump(c: Connection, t: Tokens): void {
  if (!c.ctx.config.dumpEnabled) {
    c.reply(CACHEDUMP_DISABLED);
    return;
  }
  if (t.count < 4) {
    c.reply(BAD_LINE);
    return;
  }
  const id = parseU32(t.buf, t.start(2), t.end(2));
  const limit = parseU32(t.buf, t.start(3), t.end(3));
  if (id < 0 || limit < 0) {
    c.reply(Replies.CLIENT_ERROR_FORMAT);
    return;
  }
  if (id >= 63) {
    c.reply(ILLEGAL_SLAB);
    return;
  }
  let text = '';
  for (const item of c.ctx.store.cachedump(id, limit)) {
    const line = `ITEM ${item.key.toString('latin1')} [${item.bytes} b; ${item.exptime} s]\r\n`;
    if (text.length + line.length > CACHEDUMP_LIMIT) break;
    text += line;
  }
  c.out.text(`${text}END\r\n`);
}
