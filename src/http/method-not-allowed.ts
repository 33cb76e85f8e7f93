import type { FastifyInstance, FastifyRequest } from 'fastify';
import { OAuthError } from '../oauth/errors/oauth-error.js';

// OPTIONS is left out: only the CORS preflights of /auth and of the token endpoint
// answer it; a refused one stays a 404 under /auth, a 405 at the token endpoint (see
// browser/cors.ts).
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * RFC 9110 §15.5.6: a path that exists, asked with a method it does not take, is 405
 * with `Allow` listing the methods it does take; anything else stays a 404. Runs on
 * the not-found path only, so a routed request pays nothing.
 */
export function methodNotAllowed(fastify: FastifyInstance, request: FastifyRequest): OAuthError | undefined {
  const raw = request.raw.url ?? '/';
  const query = raw.indexOf('?');
  const url = query === -1 ? raw : raw.slice(0, query);
  if (fastify.findRoute({ method: request.method, url })) return undefined;
  const allowed = METHODS.filter((method) => fastify.findRoute({ method, url }));
  if (allowed.length === 0) return undefined;
  const list = allowed.join(', ');
  return new OAuthError('invalid_request', `this endpoint accepts ${list} only`, { Allow: list }, 405);
}
