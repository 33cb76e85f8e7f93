import type { IncomingMessage, ServerResponse } from 'node:http';
import { BearerError } from './errors.js';
import type { Principal } from './principal.js';
import { publicRequestUrl } from './request-url.js';
import type { ResourceServer } from './resource-server.js';

export interface MiddlewareOptions {
  /** scopes every request through this middleware needs */
  readonly scopes?: readonly string[];
}

export type RequestWithPrincipal = IncomingMessage & { principal?: Principal; originalUrl?: string };

/**
 * Express middleware, `(req, res, next)`; works with any Node http server that calls it
 * that way. Sets `req.principal`, or answers the RFC 6750 / RFC 9449 error itself. A
 * DPoP proof's htu is checked against `publicUrl` + `req.originalUrl` (or the request's
 * own scheme and Host, see `trustProxy`).
 */
export function tesseraMiddleware(server: ResourceServer, options: MiddlewareOptions = {}) {
  return (request: RequestWithPrincipal, response: ServerResponse, next: (error?: unknown) => void): void => {
    const { authorization, dpop } = request.headers;
    const url = publicRequestUrl(request, server.options);
    server.authenticateRequest({ method: request.method ?? 'GET', url, authorization, dpop }, options.scopes).then(
      (principal) => {
        request.principal = principal;
        next();
      },
      (error: unknown) => {
        if (!(error instanceof BearerError)) return next(error);
        const answer = server.response(error);
        response.writeHead(answer.status, answer.headers);
        response.end(JSON.stringify(answer.body));
      },
    );
  };
}
