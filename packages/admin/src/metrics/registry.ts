/**
 * The one Prometheus registry of an admin service: memcached_exporter's metrics, slabcache's
 * own, and prom-client's default Node.js process metrics, all filled from one snapshot of the
 * source per scrape (scrape.ts). No worker thread keeps a registry: the snapshot already sums
 * their counters from shared memory.
 */
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { StatsSource } from '../snapshot.ts';
import { EXPORTER_METRICS } from './exporter.ts';
import { registerSpecs, ScrapeState } from './scrape.ts';
import { SLABCACHE_METRICS } from './slabcache.ts';

export interface Metrics {
  contentType: string;
  /** The exposition text, from a fresh snapshot. */
  render(): Promise<string>;
}

export function createMetrics(
  source: StatsSource,
  options: { defaultMetrics: boolean; log: (line: string) => void },
): Metrics {
  const registry = new Registry();
  const state = new ScrapeState(source, options.log);
  // The exporter's memcached_up: 0 when the statistics could not be read, as when it cannot
  // reach memcached.
  new Gauge({
    name: 'memcached_up',
    help: 'Could the memcached server be reached.',
    registers: [registry],
    collect() {
      this.set(state.current === null ? 0 : 1);
    },
  });
  registerSpecs(registry, state, EXPORTER_METRICS);
  registerSpecs(registry, state, SLABCACHE_METRICS);
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  return { contentType: registry.contentType, render: () => state.render(registry) };
}
