import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { methodNotAllowed } from './method-not-allowed.js';

const UNAVAILABLE = JSON.stringify({ error: 'temporarily_unavailable', error_description: 'the server is shutting down, retry later' });

/**
 * Fastify under Nest, answering 405 for a known path asked with the wrong method (see
 * method-not-allowed.ts) and stopping gracefully. From the moment the process starts to
 * drain (SIGTERM, see main.ts; the listener stays open for SHUTDOWN_DRAIN_MS) or the
 * application to close, a request that arrives is answered 503 temporarily_unavailable,
 * and every answer, those of the requests already in flight included, carries
 * `Connection: close`. Without that, a keep-alive connection whose request was in flight
 * stays open after its answer, and the server waits for the client to close it
 * (Fastify's keepAliveTimeout, 72 s) before the process can exit.
 */
export class GracefulFastifyAdapter extends FastifyAdapter {
  private closing = false;

  constructor(options?: FastifyServerOptions) {
    super(options);
    const fastify = this.getInstance();
    fastify.addHook('onRequest', (_request, reply, done) => {
      if (!this.closing) return done();
      void reply
        .status(503)
        .headers({ 'Cache-Control': 'no-store', Pragma: 'no-cache', 'Retry-After': '1' })
        .type('application/json; charset=utf-8')
        .send(UNAVAILABLE);
    });
    // A callback, not an async hook: this runs for every response, and a promise per
    // response was a measurable part of a cached introspection.
    fastify.addHook('onSend', (request, reply, payload, done) => {
      if (this.closing && request.raw.httpVersionMajor < 2) void reply.header('Connection', 'close');
      done(null, payload);
    });
  }

  /** Nest's 404 for unknown routes, preceded by the 405 of a known path asked with another method. */
  override setNotFoundHandler(handler: (request: FastifyRequest, reply: FastifyReply) => unknown) {
    return super.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
      // Thrown, so that the one exception filter renders it like every other error.
      const refusal = methodNotAllowed(this.getInstance(), request);
      if (refusal) throw refusal;
      return handler(request, reply);
    });
  }

  /** From now on new requests are answered 503 and every connection closes after its answer; the listener stays open. */
  drain(): void {
    this.closing = true;
  }

  override beforeClose(): void {
    this.closing = true;
    super.beforeClose();
  }
}
