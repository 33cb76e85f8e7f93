import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BearerError } from './errors.js';
import type { Principal } from './principal.js';
import { publicRequestUrl } from './request-url.js';
import type { ResourceServer } from './resource-server.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface PreHandlerOptions {
  /** scopes every request through this hook needs */
  readonly scopes?: readonly string[];
}

/**
 * A preHandler hook: sets `request.principal`, or answers the RFC 6750 / RFC 9449 error.
 * The URL a DPoP proof must name is built from the raw request (see `publicUrl` and
 * `trustProxy`), not from Fastify's own trustProxy setting.
 */
export function tesseraPreHandler(server: ResourceServer, options: PreHandlerOptions = {}) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      const { authorization, dpop } = request.headers;
      const url = publicRequestUrl(request.raw, server.options);
      request.principal = await server.authenticateRequest({ method: request.method, url, authorization, dpop }, options.scopes);
    } catch (error) {
      if (!(error instanceof BearerError)) throw error;
      const answer = server.response(error);
      await reply.code(answer.status).headers(answer.headers).send(answer.body);
    }
  };
}

export interface TesseraPluginOptions extends PreHandlerOptions {
  readonly server: ResourceServer;
}

/**
 * The hook for every route of the instance it is registered on, its parent included
 * (`skip-override`, what fastify-plugin does, without the dependency).
 */
export const tesseraPlugin = Object.assign(
  async (app: FastifyInstance, options: TesseraPluginOptions): Promise<void> => {
    app.decorateRequest('principal', undefined);
    app.addHook('preHandler', tesseraPreHandler(options.server, options));
  },
  { [Symbol.for('skip-override')]: true },
);
