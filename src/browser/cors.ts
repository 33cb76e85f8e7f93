import type { FastifyRequest } from 'fastify';
import type { BrowserOrigins } from './browser-origins.service.js';
import { CSRF_HEADER } from './request-checks.js';

/** The subset of @fastify/cors options this delegate answers with. */
export interface CorsOptions {
  readonly origin: string | false;
  readonly credentials?: boolean;
  readonly methods?: string[];
  readonly allowedHeaders?: string[];
  readonly exposedHeaders?: string[];
  readonly maxAge?: number;
  readonly preflightContinue?: boolean;
  readonly strictPreflight?: boolean;
}

export type CorsDelegate = (request: FastifyRequest, callback: (error: Error | null, options: CorsOptions) => void) => void;

const CLOSED: CorsOptions = { origin: false };

function isAuthPath(url: string): boolean {
  const path = url.split('?', 1)[0];
  return path === '/auth' || path.startsWith('/auth/');
}

/**
 * CORS for the cookie endpoints only, with credentials, for exactly the origins
 * registered for browser clients: the request's own Origin echoed, never `*` (Fetch
 * §3.2.5 forbids it with credentials anyway). Everything else, the OAuth endpoints
 * included, gets no CORS headers, so a page elsewhere cannot read their answers, and a
 * preflight there is not answered.
 */
export function browserCors(origins: BrowserOrigins): CorsDelegate {
  return (request, callback) => {
    const origin = request.headers.origin;
    if (typeof origin !== 'string' || !isAuthPath(request.url)) return callback(null, CLOSED);
    origins.isBrowserOrigin(origin).then(
      (allowed) => callback(null, allowed ? open(origin) : CLOSED),
      // Fail closed: the endpoint itself answers 503 when the database is gone.
      () => callback(null, CLOSED),
    );
  };
}

function open(origin: string): CorsOptions {
  return {
    origin,
    credentials: true,
    // DELETE: the user's own sessions under /auth/sessions (Bearer, CONTRACT "Browser sessions").
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['Content-Type', CSRF_HEADER, 'Authorization'],
    // Retry-After is not CORS-safelisted: a page reads a throttled login's wait only if exposed.
    exposedHeaders: [CSRF_HEADER, 'Retry-After'],
    maxAge: 600,
    // Answered by the plugin's OPTIONS route rather than inside its hook (which would
    // also answer a malformed preflight there), so that every preflight response gets
    // the security headers too.
    preflightContinue: true,
    strictPreflight: false,
  };
}
