import { AsyncResource } from 'node:async_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as Pino } from 'pino';
import { runInRequest } from '../logging/request-context.js';
import type { Metrics } from '../metrics/metrics.js';

const RESOURCE = Symbol('tessera.requestResource');

type WithResource = FastifyRequest & { [RESOURCE]?: AsyncResource };

/**
 * Every request: its id in the X-Request-Id response header and on every log line written
 * while it is handled (AsyncLocalStorage), one latency observation, and one log line when
 * it completes. That line names the route pattern, never the URL (a query string may
 * carry a token), and nothing of bodies or headers. Successes are logged at debug, so the
 * default level stays cheap on the hot introspection path; 4xx at info, 5xx at error.
 */
export function observeRequests(fastify: FastifyInstance, metrics: Metrics, log: Pino): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    runInRequest(request.id, () => {
      (request as WithResource)[RESOURCE] = new AsyncResource('tessera.request');
      done();
    });
  });
  // The body is read by stream events that run outside the request's async context, and
  // the hooks after parsing (and the handler) run from them: re-enter the context there.
  fastify.addHook('preValidation', (request, _reply, done) => {
    const resource = (request as WithResource)[RESOURCE];
    if (resource) resource.runInAsyncScope(done, request.raw);
    else done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    completed(request, reply, metrics, log);
    done();
  });
}

function completed(request: FastifyRequest, reply: FastifyReply, metrics: Metrics, log: Pino): void {
  const route = request.routeOptions.url;
  const status = reply.statusCode;
  const ms = reply.elapsedTime;
  metrics.requestCompleted({ method: request.method, route, status, seconds: ms / 1000 });
  const level = status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
  if (!log.isLevelEnabled(level)) return;
  log[level](
    { request_id: request.id, method: request.method, route: route ?? null, status, duration_ms: Math.round(ms * 100) / 100 },
    'request completed',
  );
}
