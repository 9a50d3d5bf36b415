/**
 * GET /stats, /stats/settings, /stats/slabs, /stats/items, /stats/conns: memcached's `stats`
 * groups as JSON, with memcached's field names and numbers as numbers. Each request reads the
 * source once; nothing is cached, so two requests a second apart see two moments.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { StatsSource } from '../snapshot.ts';

export const statsRoutes: FastifyPluginAsync<{ source: StatsSource }> = async (app, { source }) => {
  // Statistics change every moment: no proxy or browser should answer from a cache.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });
  app.get('/stats', async () => source.stats());
  app.get('/stats/settings', async () => source.settings());
  app.get('/stats/slabs', async () => source.slabs());
  app.get('/stats/items', async () => source.items());
  app.get('/stats/conns', async () => source.conns());
};
