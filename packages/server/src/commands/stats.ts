/**
 * stats [items|slabs|settings|sizes|conns|reset]: memcached's statistics groups, one
 * "STAT <name> <value>" line each, then END. Unknown groups answer ERROR, as in memcached.
 */
import { ascii, Replies, type Tokens } from '@slabcache/protocol';
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
    case 'conns':
      c.out.text(formatStats(connsStats(ctx)));
      return;
    default:
      c.reply(Replies.ERROR);
  }
}
