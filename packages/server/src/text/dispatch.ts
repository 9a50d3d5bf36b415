/**
 * The text protocol's command table: tokenizes one request line and hands it to the module
 * named after the command (commands/<name>.ts). Lookup compares bytes, so no command name
 * or key becomes a string. Mirrors memcached's process_command_ascii, including its token
 * count checks (which answer "ERROR").
 */
import { ascii, Replies, type Tokens } from '@slabcache/protocol';
import type { WriteMode } from '@slabcache/store';
import { asciiAuthLine } from '../auth/ascii-auth.ts';
import { arithmetic } from '../commands/arithmetic.ts';
import { cacheMemlimit } from '../commands/cache-memlimit.ts';
import { config } from '../commands/config.ts';
import { debug } from '../commands/debug.ts';
import { deleteCommand } from '../commands/delete.ts';
import { flushAll } from '../commands/flush-all.ts';
import { get } from '../commands/get.ts';
import { lru } from '../commands/lru.ts';
import { lruCrawler } from '../commands/lru-crawler.ts';
import { metaArithmetic } from '../commands/meta/arithmetic.ts';
import { metaDebug } from '../commands/meta/debug.ts';
import { metaDelete } from '../commands/meta/delete.ts';
import { metaGet } from '../commands/meta/get.ts';
import { metaNoop } from '../commands/meta/noop.ts';
import { metaSet } from '../commands/meta/set.ts';
import { quit } from '../commands/quit.ts';
import { refreshCerts } from '../commands/refresh-certs.ts';
import { shutdown } from '../commands/shutdown.ts';
import { slabs } from '../commands/slabs.ts';
import { stats } from '../commands/stats.ts';
import { beginStorage, StoreCommand } from '../commands/storage.ts';
import { touch } from '../commands/touch.ts';
import { verbosity } from '../commands/verbosity.ts';
import { version } from '../commands/version.ts';
import type { Connection } from '../connection.ts';

/** A line command: returns the position after what it consumed (beyond the line only for
 * commands with a data block). */
type Handler = (c: Connection, t: Tokens, buf: Buffer, next: number, end: number) => number;

interface Entry {
  name: Uint8Array;
  /** Token counts memcached accepts, counting the command itself (memcached's ntokens - 1). */
  min: number;
  max: number;
  run: Handler;
}

const lineOnly =
  (fn: (c: Connection, t: Tokens) => void): Handler =>
  (c, t, _buf, next) => {
    fn(c, t);
    return next;
  };

const storage =
  (mode: WriteMode): Handler =>
  (c, t, buf, next, end) =>
    beginStorage(c, t, mode, buf, next, end);

const INF = Number.MAX_SAFE_INTEGER;

const TABLE: Entry[] = [
  { name: ascii('get'), min: 2, max: INF, run: lineOnly((c, t) => get(c, t, false, false)) },
  { name: ascii('gets'), min: 2, max: INF, run: lineOnly((c, t) => get(c, t, true, false)) },
  { name: ascii('gat'), min: 2, max: INF, run: lineOnly((c, t) => get(c, t, false, true)) },
  { name: ascii('gats'), min: 2, max: INF, run: lineOnly((c, t) => get(c, t, true, true)) },
  { name: ascii('bget'), min: 2, max: INF, run: lineOnly((c, t) => get(c, t, false, false)) },
  { name: ascii('mg'), min: 2, max: INF, run: lineOnly(metaGet) },
  { name: ascii('ms'), min: 2, max: INF, run: metaSet },
  { name: ascii('md'), min: 2, max: INF, run: lineOnly(metaDelete) },
  { name: ascii('ma'), min: 2, max: INF, run: lineOnly(metaArithmetic) },
  { name: ascii('mn'), min: 1, max: INF, run: lineOnly(metaNoop) },
  { name: ascii('me'), min: 1, max: INF, run: lineOnly(metaDebug) },
  { name: ascii('set'), min: 5, max: 6, run: storage(StoreCommand.SET) },
  { name: ascii('add'), min: 5, max: 6, run: storage(StoreCommand.ADD) },
  { name: ascii('replace'), min: 5, max: 6, run: storage(StoreCommand.REPLACE) },
  { name: ascii('append'), min: 5, max: 6, run: storage(StoreCommand.APPEND) },
  { name: ascii('prepend'), min: 5, max: 6, run: storage(StoreCommand.PREPEND) },
  { name: ascii('cas'), min: 6, max: 7, run: storage(StoreCommand.CAS) },
  { name: ascii('delete'), min: 2, max: 4, run: lineOnly(deleteCommand) },
  { name: ascii('incr'), min: 3, max: 4, run: lineOnly((c, t) => arithmetic(c, t, true)) },
  { name: ascii('decr'), min: 3, max: 4, run: lineOnly((c, t) => arithmetic(c, t, false)) },
  { name: ascii('touch'), min: 3, max: 4, run: lineOnly(touch) },
  { name: ascii('flush_all'), min: 1, max: 3, run: lineOnly(flushAll) },
  { name: ascii('stats'), min: 1, max: INF, run: lineOnly(stats) },
  { name: ascii('version'), min: 1, max: INF, run: lineOnly(version) },
  { name: ascii('verbosity'), min: 2, max: 3, run: lineOnly(verbosity) },
  { name: ascii('quit'), min: 1, max: INF, run: lineOnly(quit) },
  { name: ascii('shutdown'), min: 1, max: INF, run: lineOnly(shutdown) },
  { name: ascii('cache_memlimit'), min: 2, max: 3, run: lineOnly(cacheMemlimit) },
  { name: ascii('slabs'), min: 1, max: INF, run: lineOnly(slabs) },
  { name: ascii('lru_crawler'), min: 1, max: INF, run: lineOnly(lruCrawler) },
  { name: ascii('lru'), min: 2, max: INF, run: lineOnly(lru) },
  { name: ascii('refresh_certs'), min: 1, max: 2, run: lineOnly(refreshCerts) },
  { name: ascii('debug'), min: 2, max: 3, run: lineOnly(debug) },
  { name: ascii('config'), min: 1, max: INF, run: lineOnly(config) },
];

/** Entries by name length, for a lookup that compares a few candidates' bytes. */
const BY_LENGTH: Entry[][] = [];
for (const e of TABLE) {
  BY_LENGTH[e.name.length] ??= [];
  BY_LENGTH[e.name.length].push(e);
}

const HTTP = ascii('HTTP/');

function lookup(t: Tokens): Entry | null {
  const len = t.length(0);
  const candidates = BY_LENGTH[len];
  if (candidates === undefined) return null;
  for (let i = 0; i < candidates.length; i++) if (t.is(0, candidates[i].name)) return candidates[i];
  return null;
}

/**
 * Handles the line buf[start, lineEnd); `next` is where the following bytes begin and `end`
 * where the read ends. Returns the position to continue from.
 */
export function dispatchLine(
  c: Connection,
  buf: Buffer,
  start: number,
  lineEnd: number,
  next: number,
  end: number,
): number {
  const t = c.tokens;
  const n = t.split(buf, start, lineEnd);
  // -Y: until it authenticates, a connection's every line is an auth attempt.
  if (!c.authenticated) return asciiAuthLine(c, t, n, buf, next, end);
  // memcached: no valid command is shorter than two bytes.
  if (n === 0 || t.length(0) < 2) {
    c.reply(Replies.ERROR);
    return next;
  }
  c.lastCommandNow();
  const entry = lookup(t);
  if (entry === null) {
    // memcached drops connections that speak HTTP at it rather than answering.
    const last = n - 1;
    if (t.length(last) >= 5 && startsWith(buf, t.start(last), HTTP)) c.close();
    else c.reply(Replies.ERROR);
    return next;
  }
  if (n < entry.min || n > entry.max) {
    c.reply(Replies.ERROR);
    return next;
  }
  return entry.run(c, t, buf, next, end);
}

function startsWith(buf: Buffer, at: number, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}
