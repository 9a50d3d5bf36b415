/**
 * The bearer token that guards state-changing routes. Checked in onRequest, before the body is
 * read, so an anonymous client cannot make the server parse anything. Tokens are compared as
 * SHA-256 digests with timingSafeEqual: constant time, and the length of the real token does
 * not leak either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { onRequestAsyncHookHandler } from 'fastify';
import { Errors, sendError } from './errors.ts';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** A hook that lets a request through only with `Authorization: Bearer <token>`. Without a
 * configured token (null) every request is refused: actions are off. */
export function requireToken(token: string | null): onRequestAsyncHookHandler {
  const expected = token === null ? null : digest(token);
  return async (request, reply) => {
    if (expected === null) return sendError(reply, Errors.ACTIONS_OFF);
    const given = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (given === undefined) {
      reply.header('www-authenticate', 'Bearer realm="slabcache-admin"');
      return sendError(reply, Errors.NO_TOKEN);
    }
    if (!timingSafeEqual(digest(given), expected)) return sendError(reply, Errors.BAD_TOKEN);
  };
}
