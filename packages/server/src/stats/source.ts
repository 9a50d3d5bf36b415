/**
 * The admin service's view of this server (@slabcache/admin's StatsSource), read in the main
 * thread from shared memory: the counters summed across workers, the store, the connection
 * table. It turns the very lists `stats` prints (report.ts) into JSON, so the text protocol and
 * the admin always agree, and it offers the admin's actions (flush_all, slabs reassign) with
 * the checks the text commands make.
 */
import type {
  ClassStats,
  ConnsStats,
  FlushResult,
  ItemsStats,
  Readiness,
  ReassignResult,
  SlabsStats,
  StatMap,
  StatsActions,
  StatsSource,
  StatValue,
} from '@slabcache/admin';
import { Reassign } from '@slabcache/store';
import {
  connsStats,
  generalStats,
  itemsStats,
  type StatLine,
  type StatsContext,
  settingsStats,
  slabsStats,
} from './report.ts';

const REASSIGN_NAMES = Object.fromEntries(
  Object.entries(Reassign).map(([name, code]) => [code, name]),
) as Record<number, ReassignResult>;

function flat(lines: StatLine[]): StatMap {
  const out: StatMap = {};
  for (const [name, value] of lines) out[name] = value;
  return out;
}

/** memcached's "<id>:<field>" lines (after `prefix`, as "items:") become per-class records;
 * lines without a class (active_slabs) stay in `totals`. The way memcached_exporter's client
 * reads them. */
function byClass(
  lines: StatLine[],
  prefix = '',
): { classes: Record<string, Record<string, StatValue>>; totals: StatMap } {
  const classes: Record<string, Record<string, StatValue>> = {};
  const totals: StatMap = {};
  for (const [name, value] of lines) {
    const rest = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    const colon = rest.indexOf(':');
    if (colon < 0) {
      totals[name] = value;
      continue;
    }
    const id = rest.slice(0, colon);
    classes[id] ??= {};
    classes[id][rest.slice(colon + 1)] = value;
  }
  return { classes, totals };
}

export class SharedStatsSource implements StatsSource {
  /** Set by the server: true once every worker listens, false again when it starts closing. */
  listening = false;
  readonly actions: StatsActions;
  private readonly ctx: StatsContext;

  constructor(ctx: StatsContext) {
    this.ctx = ctx;
    this.actions = {
      flush: (delay) => this.flush(delay),
      reassign: (src, dst) => this.reassign(src, dst),
    };
  }

  stats(): StatMap {
    return flat(generalStats(this.ctx));
  }

  settings(): StatMap {
    return flat(settingsStats(this.ctx));
  }

  slabs(): SlabsStats {
    const { classes, totals } = byClass(slabsStats(this.ctx));
    // Every `stats slabs` value is a number.
    return {
      slabs: classes as ClassStats,
      active_slabs: totals.active_slabs as number,
      total_malloced: totals.total_malloced as number,
    };
  }

  items(): ItemsStats {
    // Every `stats items` value is a number.
    return { items: byClass(itemsStats(this.ctx), 'items:').classes as ClassStats };
  }

  conns(): ConnsStats {
    return { conns: byClass(connsStats(this.ctx)).classes };
  }

  readiness(): Readiness {
    const conns = this.ctx.conns;
    return { listening: this.listening, accepting: conns.open() < conns.slots };
  }

  /** As flush_all: refused under -F. (Not counted in cmd_flush: that counts commands.) */
  private flush(delay: number): FlushResult {
    if (!this.ctx.config.flushEnabled) return 'DISABLED';
    this.ctx.store.flushAll(delay);
    return 'OK';
  }

  /** As slabs reassign: refused without slab_reassign. */
  private reassign(src: number, dst: number): ReassignResult {
    if (!this.ctx.config.slabReassign) return 'DISABLED';
    return REASSIGN_NAMES[this.ctx.store.reassignPage(src, dst)];
  }
}
