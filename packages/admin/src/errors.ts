/**
 * The admin service's error replies, one registry of stable codes (as fastify and undici do),
 * so scripts can branch on `code` and people can read `message`. The body has fastify's own
 * error shape: { statusCode, code, error, message }.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';

export interface AdminError {
  statusCode: number;
  code: string;
  message: string;
}

function error(statusCode: number, code: string, message: string): AdminError {
  return { statusCode, code: `SLAB_ADMIN_${code}`, message };
}

export const Errors = {
  ACTIONS_OFF: error(
    403,
    'ACTIONS_OFF',
    'admin actions are off: start slabcached with --admin-token or SLABCACHE_ADMIN_TOKEN',
  ),
  NO_TOKEN: error(401, 'NO_TOKEN', 'this action needs an "Authorization: Bearer <token>" header'),
  BAD_TOKEN: error(403, 'BAD_TOKEN', 'the bearer token is not the admin token'),
  // The wording of memcached's own replies to flush_all under -F and to slabs reassign.
  FLUSH_DISABLED: error(403, 'FLUSH_DISABLED', 'flush_all not allowed (slabcached -F)'),
  REASSIGN_DISABLED: error(403, 'REASSIGN_DISABLED', 'slab reassignment disabled'),
  REASSIGN_BUSY: error(409, 'REASSIGN_BUSY', 'currently processing reassign request'),
  REASSIGN_BADCLASS: error(400, 'REASSIGN_BADCLASS', 'invalid src or dst class id'),
  REASSIGN_NOSPARE: error(409, 'REASSIGN_NOSPARE', 'source class has no spare pages'),
  REASSIGN_SAME: error(400, 'REASSIGN_SAME', 'src and dst class are identical'),
} as const;

export function sendError(reply: FastifyReply, e: AdminError): FastifyReply {
  return reply.code(e.statusCode).send({
    statusCode: e.statusCode,
    code: e.code,
    error: STATUS_CODES[e.statusCode],
    message: e.message,
  });
}
