import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';

const UNAVAILABLE = JSON.stringify({ error: 'temporarily_unavailable', error_description: 'the server is shutting down, retry later' });

/**
 * Fastify under Nest, stopping gracefully. From the moment the application starts to
 * close (SIGTERM), a request that arrives is answered 503 temporarily_unavailable, and
 * every answer, those of the requests already in flight included, carries
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

  override beforeClose(): void {
    this.closing = true;
    super.beforeClose();
  }
}
