/**
 * How the Prometheus metrics are fed: one snapshot of the source per scrape, read by every
 * metric's collect callback. prom-client calls each metric's collect on its own; reading the
 * source in each of them would take a hundred snapshots per scrape and mix moments, so
 * `scrape()` reads it once, and the callbacks only look up numbers in it.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ItemsStats, SlabsStats, StatMap, StatsSource, StatValue } from '../snapshot.ts';

/** What one scrape reads: the groups memcached_exporter asks memcached for. */
export interface Scrape {
  stats: StatMap;
  settings: StatMap;
  slabs: SlabsStats;
  items: ItemsStats;
}

export type Labels = Record<string, string>;
export type Emit = (value: number, labels?: Labels) => void;

/** A metric as memcached_exporter declares it, and how to read its samples from a scrape. */
export interface MetricSpec {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labelNames?: readonly string[];
  collect(scrape: Scrape, emit: Emit): void;
}

export class ScrapeState {
  /** The snapshot the collect callbacks read; null when the source failed (memcached_up 0). */
  current: Scrape | null = null;
  private readonly source: StatsSource;
  private readonly log: (line: string) => void;

  constructor(source: StatsSource, log: (line: string) => void) {
    this.source = source;
    this.log = log;
  }

  /** Reads the source once and renders the registry from that one reading. */
  async render(registry: Registry): Promise<string> {
    try {
      const s = this.source;
      const slabs = s.slabs();
      // memcached_exporter's client files `stats slabs`' totals with the general stats.
      const { active_slabs, total_malloced } = slabs;
      const stats = { ...s.stats(), active_slabs, total_malloced };
      this.current = { stats, settings: s.settings(), slabs, items: s.items() };
    } catch (err) {
      this.current = null;
      this.log(`admin: reading stats for /metrics failed: ${(err as Error).stack ?? err}`);
    }
    // Safe with concurrent scrapes: prom-client runs every (synchronous) collect callback
    // before its first await, so they all read the snapshot taken just above.
    return registry.metrics();
  }
}

/** A stat as a number; absent or not numeric: undefined, and the metric is skipped, as
 * memcached_exporter skips a key the server does not report. */
export function num(value: StatValue | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** One stat of a flat group (`stats`, `stats settings`) as one unlabelled sample. */
export function stat(
  name: string,
  help: string,
  type: MetricSpec['type'],
  key: string,
  group: 'stats' | 'settings' = 'stats',
): MetricSpec {
  return {
    name,
    help,
    type,
    collect(s, emit) {
      const v = num(s[group][key]);
      if (v !== undefined) emit(v);
    },
  };
}

/** Registers each spec as a prom-client Counter or Gauge whose collect refills it from the
 * current scrape. Old samples are dropped first, so a slab class that disappears (stats items
 * leaves out empty classes) disappears from the metrics too. */
export function registerSpecs(registry: Registry, state: ScrapeState, specs: MetricSpec[]): void {
  for (const spec of specs) {
    const labelNames = [...(spec.labelNames ?? [])];
    const common = { name: spec.name, help: spec.help, labelNames, registers: [registry] };
    if (spec.type === 'counter') {
      new Counter({
        ...common,
        collect() {
          refill(this, state.current, spec, (v, labels) =>
            // A counter cannot be set, only grown from the reset's zero. Negative values (a
            // `stats reset` between two reads) would throw and fail the whole scrape.
            labels ? this.inc(labels, Math.max(0, v)) : this.inc(Math.max(0, v)),
          );
        },
      });
    } else {
      new Gauge({
        ...common,
        collect() {
          refill(this, state.current, spec, (v, labels) =>
            labels ? this.set(labels, v) : this.set(v),
          );
        },
      });
    }
  }
}

function refill(
  metric: Counter | Gauge,
  scrape: Scrape | null,
  spec: MetricSpec,
  emit: Emit,
): void {
  metric.reset();
  let emitted = false;
  if (scrape !== null) {
    spec.collect(scrape, (v, labels) => {
      emitted = true;
      emit(v, labels);
    });
  }
  // reset() leaves a 0 sample on an unlabelled metric; a stat the source lacks has none.
  if (!emitted && (spec.labelNames ?? []).length === 0) metric.remove({});
}
