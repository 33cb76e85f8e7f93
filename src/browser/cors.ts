import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import type { BrowserOrigins } from './browser-origins.service.js';
import { CSRF_HEADER } from './request-checks.js';

// DELETE: the user's own sessions under /auth/sessions (Bearer, CONTRACT "Browser sessions").
const ALLOW_METHODS = 'GET, POST, DELETE';
const ALLOW_HEADERS = ['Content-Type', CSRF_HEADER, 'Authorization'].join(', ');
const MAX_AGE = '600';
const EXPOSE_HEADERS = [CSRF_HEADER, 'Retry-After'].join(', ');
const TOKEN_PATH = '/oauth/token';
// RFC 9449: a page sends its proof in DPoP and must read the server's next nonce; it
// authenticates as a public client in the body, so no Authorization and no cookies.
const TOKEN_ALLOW_HEADERS = ['Content-Type', 'DPoP'].join(', ');
const TOKEN_EXPOSE_HEADERS = ['DPoP-Nonce', 'WWW-Authenticate', 'Retry-After'].join(', ');

declare module 'fastify' {
  interface FastifyRequest {
    /** set by the CORS hook on a preflight from a registered browser origin */
    corsPreflight?: boolean;
  }
}

function isAuthPath(url: string): boolean {
  if (!url.startsWith('/auth')) return false;
  const next = url.charCodeAt(5);
  return Number.isNaN(next) || next === 0x2f /* / */ || next === 0x3f; /* ? */
}

function isTokenPath(url: string): boolean {
  return url.startsWith(TOKEN_PATH) && (url.length === TOKEN_PATH.length || url.charCodeAt(TOKEN_PATH.length) === 0x3f); /* ? */
}

function open(request: FastifyRequest, reply: FastifyReply, origin: string): void {
  reply.header('Access-Control-Allow-Origin', origin);
  reply.header('Access-Control-Allow-Credentials', 'true');
  // Retry-After is not CORS-safelisted: a page reads a throttled login's wait only if exposed.
  reply.header('Access-Control-Expose-Headers', EXPOSE_HEADERS);
  if (request.method === 'OPTIONS') {
    request.corsPreflight = true;
    reply.header('Access-Control-Allow-Methods', ALLOW_METHODS);
    reply.header('Access-Control-Allow-Headers', ALLOW_HEADERS);
    reply.header('Access-Control-Max-Age', MAX_AGE);
  }
}

function answerPreflight(reply: FastifyReply) {
  return reply.code(204).header('Content-Length', '0').send();
}

/** The token endpoint, for a page's code flow and refreshes: no credentials, DPoP allowed. */
function openToken(request: FastifyRequest, reply: FastifyReply, origin: string): void {
  reply.header('Access-Control-Allow-Origin', origin);
  reply.header('Access-Control-Expose-Headers', TOKEN_EXPOSE_HEADERS);
  if (request.method === 'OPTIONS') {
    request.corsPreflight = true;
    reply.header('Access-Control-Allow-Methods', 'POST');
    reply.header('Access-Control-Allow-Headers', TOKEN_ALLOW_HEADERS);
    reply.header('Access-Control-Max-Age', MAX_AGE);
  }
}

/**
 * CORS for the cookie endpoints, with credentials, for exactly the origins registered
 * for browser clients: the request's own Origin echoed, never `*` (Fetch §3.2.5 forbids
 * it with credentials anyway); and for the token endpoint, without credentials, for the
 * origins registered for any public client (a SPA redeeming its code with DPoP).
 * Everything else, the other OAuth endpoints included, gets no CORS headers, so a page
 * elsewhere cannot read their answers, and a preflight there is not answered (404).
 *
 * A hook of its own rather than @fastify/cors: that plugin resolves its options for
 * every request, which cost about 5% of the CPU of an introspection; here a request
 * outside /auth costs one string comparison.
 */
export function registerBrowserCors(fastify: FastifyInstance, origins: BrowserOrigins): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (typeof origin !== 'string') return done();
    const cookies = isAuthPath(request.url);
    if (!cookies && !isTokenPath(request.url)) return done();
    // The answer depends on Origin: caches must key on it (Fetch §3.2.5).
    reply.header('Vary', 'Origin');
    (cookies ? origins.isBrowserOrigin(origin) : origins.isTokenEndpointOrigin(origin)).then(
      (allowed) => {
        if (allowed) (cookies ? open : openToken)(request, reply, origin);
        done();
      },
      // Fail closed: the endpoint itself answers 503 when the database is gone.
      () => done(),
    );
  });
  // Answered here rather than inside the hook, so that every preflight response goes
  // through the same onSend hooks (security headers) as any other.
  fastify.options('/auth/*', (request, reply) => {
    if (!request.corsPreflight) return reply.callNotFound();
    return answerPreflight(reply);
  });
  fastify.options(TOKEN_PATH, (request, reply) => {
    // Anything but a registered page's preflight: the 405 the endpoint answered before it
    // had CORS (RFC 9110 §15.5.6), thrown to the one exception filter.
    if (!request.corsPreflight) throw new OAuthError('invalid_request', 'this endpoint accepts POST only', { Allow: 'POST' }, 405);
    return answerPreflight(reply);
  });
}
