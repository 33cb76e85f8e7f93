import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BrowserOrigins } from './browser-origins.service.js';
import { CSRF_HEADER } from './request-checks.js';

// DELETE: the user's own sessions under /auth/sessions (Bearer, CONTRACT "Browser sessions").
const ALLOW_METHODS = 'GET, POST, DELETE';
const ALLOW_HEADERS = ['Content-Type', CSRF_HEADER, 'Authorization'].join(', ');
const MAX_AGE = '600';
const EXPOSE_HEADERS = [CSRF_HEADER, 'Retry-After'].join(', ');

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

/**
 * CORS for the cookie endpoints only, with credentials, for exactly the origins
 * registered for browser clients: the request's own Origin echoed, never `*` (Fetch
 * §3.2.5 forbids it with credentials anyway). Everything else, the OAuth endpoints
 * included, gets no CORS headers, so a page elsewhere cannot read their answers, and a
 * preflight there is not answered (404).
 *
 * A hook of its own rather than @fastify/cors: that plugin resolves its options for
 * every request, which cost about 5% of the CPU of an introspection; here a request
 * outside /auth costs one string comparison.
 */
export function registerBrowserCors(fastify: FastifyInstance, origins: BrowserOrigins): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (typeof origin !== 'string' || !isAuthPath(request.url)) return done();
    // The answer depends on Origin: caches must key on it (Fetch §3.2.5).
    reply.header('Vary', 'Origin');
    origins.isBrowserOrigin(origin).then(
      (allowed) => {
        if (allowed) open(request, reply, origin);
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
    return reply.code(204).header('Content-Length', '0').send();
  });
}
