/**
 * stat [group] (memcached's process_bin_stat): one packet per statistic, its name as the key
 * and its value as text, then an empty packet. No key: the general statistics; "reset",
 * "settings" (matched as prefixes, as memcached's strncmp does), "items", "slabs", "sizes".
 * Any other group, "conns" and "detail" included, is "Not found" as in memcached.
 */
import { Binary } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';
import {
  generalStats,
  itemsStats,
  resetStats,
  type StatLine,
  settingsStats,
  slabsStats,
  statText,
} from '../stats/report.ts';
import { error, responseHeader } from './reply.ts';
import type { Request } from './request.ts';

const { Status } = Binary;

const SIZES: StatLine[] = [['sizes_status', 'disabled']];

export function stat(c: Connection, r: Request): void {
  const ctx = c.ctx;
  if (r.keyLength === 0) {
    statPackets(c, r, generalStats(ctx));
    return;
  }
  const group = r.buf.toString('latin1', r.key, r.keyEnd);
  if (group.startsWith('reset')) {
    resetStats(ctx);
    statPackets(c, r, []);
  } else if (group.startsWith('settings')) {
    statPackets(c, r, settingsStats(ctx));
  } else if (group === 'items') {
    statPackets(c, r, itemsStats(ctx));
  } else if (group === 'slabs') {
    statPackets(c, r, slabsStats(ctx));
  } else if (group === 'sizes') {
    // memcached 1.6 tracks item sizes only with -o track_sizes.
    statPackets(c, r, SIZES);
  } else {
    error(c, r, Status.KEY_ENOENT);
  }
}

/** memcached's append_bin_stats: a packet per line, then the terminating empty packet. */
function statPackets(c: Connection, r: Request, lines: StatLine[]): void {
  const out = c.out;
  for (const line of lines) {
    const name = line[0];
    const text = statText(line);
    const klen = Buffer.byteLength(name);
    responseHeader(c, r, Status.SUCCESS, klen, 0, klen + Buffer.byteLength(text), 0);
    out.text(name);
    out.text(text);
  }
  responseHeader(c, r, Status.SUCCESS, 0, 0, 0, 0);
}
