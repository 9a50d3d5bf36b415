/**
 * The admin service: a fastify app with one plugin per concern (health, stats JSON, metrics,
 * actions, dashboard), built around a StatsSource. `buildAdminApp` returns it unopened (tests
 * use `app.inject`); `startAdmin` also listens.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { dashboardRoutes } from './dashboard.ts';
import { createMetrics } from './metrics/registry.ts';
import { actionRoutes } from './routes/actions.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { statsRoutes } from './routes/stats.ts';
import type { StatsSource } from './snapshot.ts';

export interface AdminOptions {
  source: StatsSource;
  /** The bearer token for POST routes; null or absent: actions are off (403). */
  token?: string | null;
  /** prom-client's Node.js process metrics on /metrics (default true). */
  defaultMetrics?: boolean;
  /** Where failures worth an operator's eye go (default: stderr). */
  log?: (line: string) => void;
}

export function buildAdminApp(options: AdminOptions): FastifyInstance {
  const { source } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const app = Fastify({ logger: false });
  const metrics = createMetrics(source, { defaultMetrics: options.defaultMetrics ?? true, log });
  app.register(healthRoutes, { source });
  app.register(statsRoutes, { source });
  app.register(metricsRoutes, { metrics });
  if (source.actions !== undefined) {
    app.register(actionRoutes, { actions: source.actions, token: options.token ?? null });
  }
  app.register(dashboardRoutes);
  return app;
}

export interface RunningAdmin {
  host: string;
  /** The port it listens on (the chosen one when asked for 0). */
  port: number;
  /** http://host:port/ with IPv6 hosts in brackets. */
  url: string;
  close(): Promise<void>;
}

export async function startAdmin(
  options: AdminOptions & { host: string; port: number },
): Promise<RunningAdmin> {
  const app = buildAdminApp(options);
  await app.listen({ host: options.host, port: options.port });
  const port = (app.server.address() as { port: number }).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { host: options.host, port, url: `http://${host}:${port}/`, close: () => app.close() };
}
