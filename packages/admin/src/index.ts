/**
 * @slabcache/admin: slabcache's admin HTTP service (fastify). JSON statistics, Prometheus
 * metrics named as memcached_exporter names them, health checks, a dashboard, and token-guarded
 * actions, all read from a StatsSource that the server implements.
 */
export { type AdminOptions, buildAdminApp, type RunningAdmin, startAdmin } from './app.ts';
export { type AdminError, Errors } from './errors.ts';
export type * from './snapshot.ts';
