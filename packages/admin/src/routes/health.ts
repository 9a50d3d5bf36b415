/**
 * GET /healthz: the process is alive (its main thread answers). GET /readyz: the node should
 * get traffic: every listener is bound, it is not shutting down, and it is below -c
 * connections. 503 otherwise, so a load balancer or Kubernetes takes it out of rotation.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { StatsSource } from '../snapshot.ts';

export const healthRoutes: FastifyPluginAsync<{ source: StatsSource }> = async (
  app,
  { source },
) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const r = source.readiness();
    const ready = r.listening && r.accepting;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', ...r });
  });
};
