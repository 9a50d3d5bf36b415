/**
 * POST /flush[?delay=N] and POST /slabs/reassign {"src": a, "dst": b}: memcached's flush_all
 * and slabs reassign, behind the admin token (auth.ts). Each answers memcached's outcome
 * word as `result`, or an error from errors.ts with memcached's wording.
 */
import type { FastifyPluginAsync } from 'fastify';
import { requireToken } from '../auth.ts';
import { type AdminError, Errors, sendError } from '../errors.ts';
import type { ReassignResult, StatsActions } from '../snapshot.ts';

/** memcached's exptime is a signed 32-bit number of seconds. */
const MAX_DELAY = 2 ** 31 - 1;
/** Any integer: the store answers BADCLASS for ids it does not have, as memcached does
 * (-1 as the source means "any class with a page to spare"). */
const CLASS_ID = { type: 'integer' } as const;

const REASSIGN_ERRORS: Record<Exclude<ReassignResult, 'OK'>, AdminError> = {
  BUSY: Errors.REASSIGN_BUSY,
  BADCLASS: Errors.REASSIGN_BADCLASS,
  NOSPARE: Errors.REASSIGN_NOSPARE,
  SAME: Errors.REASSIGN_SAME,
  DISABLED: Errors.REASSIGN_DISABLED,
};

export const actionRoutes: FastifyPluginAsync<{
  actions: StatsActions;
  token: string | null;
}> = async (app, { actions, token }) => {
  // Scoped to this plugin: the read-only routes stay open.
  app.addHook('onRequest', requireToken(token));

  app.post<{ Querystring: { delay?: number } }>(
    '/flush',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { delay: { type: 'integer', minimum: 0, maximum: MAX_DELAY } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const delay = request.query.delay ?? 0;
      if (actions.flush(delay) === 'DISABLED') return sendError(reply, Errors.FLUSH_DISABLED);
      return { result: 'OK', delay };
    },
  );

  const reassign = actions.reassign?.bind(actions);
  if (reassign === undefined) return;
  app.post<{ Body: { src: number; dst: number } }>(
    '/slabs/reassign',
    {
      schema: {
        body: {
          type: 'object',
          properties: { src: CLASS_ID, dst: CLASS_ID },
          required: ['src', 'dst'],
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { src, dst } = request.body;
      const result = reassign(src, dst);
      if (result !== 'OK') return sendError(reply, REASSIGN_ERRORS[result]);
      return { result, src, dst };
    },
  );
};
