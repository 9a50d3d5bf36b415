/** GET /metrics: the Prometheus text format, from one snapshot per scrape. */
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../metrics/registry.ts';

export const metricsRoutes: FastifyPluginAsync<{ metrics: Metrics }> = async (app, { metrics }) => {
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.render();
    return reply.type(metrics.contentType).header('cache-control', 'no-store').send(text);
  });
};
