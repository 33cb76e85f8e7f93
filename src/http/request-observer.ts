import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as Pino } from 'pino';
import type { Metrics } from '../metrics/metrics.js';

/**
 * Every request: its id in the X-Request-Id response header (the lines logged while
 * handling it carry the same id: see inRequest), one latency observation, and one log
 * line when it completes. That line names the route pattern, never the URL (a query string may
 * carry a token), and nothing of bodies or headers. Successes are logged at debug, so the
 * default level stays cheap on the hot introspection path; 4xx at info, 5xx at error,
 * except 503: Tessera failing closed while its database is away is announced by one line
 * per outage (OutageLog) and counted by tessera_http_unavailable_total, so each refused
 * request is logged at debug, not as an error of its own.
 */
export function observeRequests(fastify: FastifyInstance, metrics: Metrics, log: Pino): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
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
  const level = status === 503 ? 'debug' : status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
  if (!log.isLevelEnabled(level)) return;
  log[level](
    { request_id: request.id, method: request.method, route: route ?? null, status, duration_ms: Math.round(ms * 100) / 100 },
    'request completed',
  );
}
