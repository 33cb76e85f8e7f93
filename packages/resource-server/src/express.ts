import type { IncomingMessage, ServerResponse } from 'node:http';
import { BearerError, bearerResponse } from './errors.js';
import type { Principal } from './principal.js';
import type { ResourceServer } from './resource-server.js';

export interface MiddlewareOptions {
  /** scopes every request through this middleware needs */
  readonly scopes?: readonly string[];
}

export type RequestWithPrincipal = IncomingMessage & { principal?: Principal };

/**
 * Express middleware, `(req, res, next)`; works with any Node http server that calls it
 * that way. Sets `req.principal`, or answers the RFC 6750 error itself.
 */
export function tesseraMiddleware(server: ResourceServer, options: MiddlewareOptions = {}) {
  return (request: RequestWithPrincipal, response: ServerResponse, next: (error?: unknown) => void): void => {
    server.authenticate(request.headers.authorization, options.scopes).then(
      (principal) => {
        request.principal = principal;
        next();
      },
      (error: unknown) => {
        if (!(error instanceof BearerError)) return next(error);
        const answer = bearerResponse(error, server.realm);
        response.writeHead(answer.status, answer.headers);
        response.end(JSON.stringify(answer.body));
      },
    );
  };
}
