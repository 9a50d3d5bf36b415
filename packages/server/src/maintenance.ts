/**
 * Background work of the main thread (memcached's clock event, LRU crawler and slab
 * automover threads): bounded steps on timers, never blocking a worker.
 */
import type { Store } from '@slabcache/store';
import { SH_LRU_CRAWLER, SH_SLAB_AUTOMOVE } from './context.ts';

const CLOCK_MS = 100;
const CRAWL_MS = 1000;
/** memcached's automover looks at a window of eviction counts before it moves a page. */
const AUTOMOVE_MS = 10_000;

export class Maintenance {
  private readonly store: Store;
  private readonly shared: Int32Array;
  private readonly log: (line: string) => void;
  private timers: NodeJS.Timeout[] = [];
  private lastEvicted = new Map<number, number>();

  constructor(store: Store, shared: Int32Array, log: (line: string) => void) {
    this.store = store;
    this.shared = shared;
    this.log = log;
  }

  start(): void {
    this.tick();
    this.timers.push(setInterval(() => this.tick(), CLOCK_MS));
    this.timers.push(setInterval(() => this.crawl(), CRAWL_MS));
    this.timers.push(setInterval(() => this.automove(), AUTOMOVE_MS));
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** The store's clock: whole seconds, like memcached's current_time. */
  tick(): void {
    this.store.setTime(Math.floor(Date.now() / 1000));
  }

  /** Reclaims expired and flushed items: a tenth of item memory each second, so a full
   * pass takes ten seconds whatever -m is. (memcached's lru_crawler_tocrawl counts items per
   * LRU; this crawler walks pages, so it reports that setting but paces by pages.) */
  crawl(): void {
    if (Atomics.load(this.shared, SH_LRU_CRAWLER) === 0) return;
    const pages = this.store.stats().total_pages;
    if (pages === 0) return;
    this.store.crawl(Math.max(1, Math.ceil(pages / 10)));
  }

  /**
   * slab_automove: when a class evicted during the last window while another class holds
   * more than a page and a half of free chunks, move one page from the idle class to the
   * evicting one. Pages follow the workload's item sizes instead of staying where the first
   * writes put them.
   */
  automove(): void {
    const level = Atomics.load(this.shared, SH_SLAB_AUTOMOVE);
    const items = this.store.itemStats();
    let dst = -1;
    let most = 0;
    for (const c of items) {
      const delta = c.evicted - (this.lastEvicted.get(c.id) ?? 0);
      this.lastEvicted.set(c.id, c.evicted);
      if (delta > most) {
        most = delta;
        dst = c.id;
      }
    }
    if (level === 0 || dst < 0) return;
    let src = -1;
    let spare = 0;
    for (const c of this.store.slabStats()) {
      const free = c.free_chunks - c.free_chunks_end;
      if (c.id !== dst && c.total_pages > 1 && free > c.chunks_per_page * 1.5 && free > spare) {
        spare = free;
        src = c.id;
      }
    }
    if (src < 0) return;
    const result = this.store.reassignPage(src, dst);
    if (result === 0)
      this.log(`slabcached: automove moved a page from class ${src} to class ${dst}`);
  }
}
