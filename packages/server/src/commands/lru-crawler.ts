/**
 * lru_crawler crawl <classes|all> | metadump <classes|all> | tocrawl <n> | sleep <us> |
 * enable | disable: memcached's crawler controls. `crawl` reclaims expired items now;
 * `metadump` lists every live item's metadata, one line each, then END.
 */
import { ascii, parseU32, Replies, type Tokens } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';
import { SH_CRAWLER_SLEEP, SH_CRAWLER_TOCRAWL, SH_LRU_CRAWLER } from '../context.ts';

const CRAWL = ascii('crawl');
const METADUMP = ascii('metadump');
const TOCRAWL = ascii('tocrawl');
const SLEEP = ascii('sleep');
const ENABLE = ascii('enable');
const DISABLE = ascii('disable');
const DISABLED = ascii('CLIENT_ERROR lru crawler disabled\r\n');
const BADCLASS = ascii('BADCLASS invalid class id\r\n');
const METADUMP_DISABLED = ascii('ERROR metadump not allowed\r\n');
const SLEEP_LIMIT = ascii('CLIENT_ERROR sleep must be one second or less\r\n');

/** Parses "all" or a comma-separated list of class ids; null when malformed. */
function classList(c: Connection, arg: string): Set<number> | null | 'all' {
  if (arg === 'all') return 'all';
  const ids = new Set<number>();
  const largest = c.ctx.store.settings.largestClass;
  for (const part of arg.split(',')) {
    const id = Number(part);
    if (!Number.isInteger(id) || id < 1 || id > largest) return null;
    ids.add(id);
  }
  return ids;
}

export function lruCrawler(c: Connection, t: Tokens): void {
  const shared = c.ctx.shared;
  const store = c.ctx.store;
  if (t.count === 3 && (t.is(1, CRAWL) || t.is(1, METADUMP))) {
    if (Atomics.load(shared, SH_LRU_CRAWLER) === 0) {
      c.reply(DISABLED);
      return;
    }
    const classes = classList(c, t.text(2));
    if (classes === null) {
      c.reply(BADCLASS);
      return;
    }
    if (t.is(1, METADUMP) && !c.ctx.config.dumpEnabled) {
      c.reply(METADUMP_DISABLED);
      return;
    }
    if (t.is(1, CRAWL)) {
      store.crawl(store.stats().total_pages);
      c.reply(Replies.OK);
      return;
    }
    const now = store.time;
    for (const item of store.dumpItems(classes === 'all' ? null : classes)) {
      c.out.text(
        `key=${encodeURIComponent(item.key.toString('latin1'))} exp=${item.exptime === 0 ? -1 : now + item.ttl} la=${now - item.idle} cas=${item.cas} fetch=${item.fetched ? 'yes' : 'no'} cls=${item.classId} size=${item.size}\n`,
      );
    }
    c.out.bytes(Replies.END);
    return;
  }
  if (t.count === 3 && (t.is(1, TOCRAWL) || t.is(1, SLEEP))) {
    const n = parseU32(t.buf, t.start(2), t.end(2));
    if (n < 0) {
      c.reply(Replies.CLIENT_ERROR_FORMAT);
      return;
    }
    if (t.is(1, SLEEP) && n > 1_000_000) {
      c.reply(SLEEP_LIMIT);
      return;
    }
    Atomics.store(shared, t.is(1, SLEEP) ? SH_CRAWLER_SLEEP : SH_CRAWLER_TOCRAWL, n);
    c.reply(Replies.OK);
    return;
  }
  if (t.count === 2 && (t.is(1, ENABLE) || t.is(1, DISABLE))) {
    Atomics.store(shared, SH_LRU_CRAWLER, t.is(1, ENABLE) ? 1 : 0);
    c.reply(Replies.OK);
    return;
  }
  c.reply(Replies.ERROR);
}
