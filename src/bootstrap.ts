import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type AppDependencies, appClock, AppModule } from './app.module.js';
import { BrowserOrigins } from './browser/browser-origins.service.js';
import { DatabaseClock } from './common/database-clock.js';
import { registerBrowserCors } from './browser/cors.js';
import { securityHeaders } from './browser/security-headers.js';
import { fastifyTrustProxy, trustProxyWarning } from './config/trust-proxy.js';
import { earlyErrorHandlers } from './http/early-errors.js';
import { GracefulFastifyAdapter } from './http/graceful-adapter.js';
import { setupOpenApi } from './http/openapi.js';
import { observeRequests } from './http/request-observer.js';
import { createLogger, type TesseraLogger } from './logging/logger.js';
import { requestIdFor } from './logging/request-context.js';
import { Metrics } from './metrics/metrics.js';
import { OAuthError } from './oauth/errors/oauth-error.js';
import { FORM_CONTENT_TYPE, FormParams } from './oauth/form/form-params.js';

/** 64 KiB is far more than any OAuth request needs; larger bodies get 413. */
export const BODY_LIMIT = 64 * 1024;

export { createLogger } from './logging/logger.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function utf8(body: Buffer): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    throw OAuthError.invalidRequest('the body is not valid UTF-8');
  }
}

/** Composition only: the Nest application on Fastify, with Tessera's body parsing. */
export async function createApp(given: AppDependencies, logger?: TesseraLogger): Promise<NestFastifyApplication> {
  const clock = await appClock(given);
  // What /readyz would answer 503 for, the boot refuses before serving anything.
  const skew = clock instanceof DatabaseClock ? clock.skewRefusal(given.config.clockSkewMax) : undefined;
  if (skew) throw new Error(skew);
  const deps = { ...given, clock };
  const log = logger ?? createLogger(deps.config.logLevel, { format: deps.config.logFormat });
  const security = securityHeaders(deps.config);
  const proxyWarning = trustProxyWarning(deps.config.trustProxy);
  if (proxyWarning) log.warn(proxyWarning, 'config');
  const adapter = new GracefulFastifyAdapter({
    bodyLimit: BODY_LIMIT,
    trustProxy: fastifyTrustProxy(deps.config.trustProxy),
    genReqId: (request: IncomingMessage) => requestIdFor(request.headers['x-request-id']),
    ...earlyErrorHandlers(security),
    // Fastify's own drain answer is a bare framework 503; routed instead, a request that
    // arrives while closing gets the adapter's 503 temporarily_unavailable like any other.
    return503OnClosing: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(deps), adapter, { logger: log, bodyParser: false });
  observeRequests(app.getHttpAdapter().getInstance(), app.get(Metrics), log.pino);
  // Strict RFC 6749 form parsing: repeated or bracketed parameters are refused, never merged.
  // A hosted page's malformed form is refused the same way, as its error page (ExceptionRenderer).
  app.useBodyParser(FORM_CONTENT_TYPE, { bodyLimit: BODY_LIMIT }, async (_request: unknown, body: Buffer) =>
    FormParams.parse(utf8(body)),
  );
  app.useBodyParser('application/json', { bodyLimit: BODY_LIMIT });
  // Any other body is read (within the limit) and dropped: each endpoint then answers
  // 400 invalid_request for the missing form instead of a bare 415.
  app.useBodyParser('*', { bodyLimit: BODY_LIMIT }, async () => undefined);
  app.useSecurityHeaders(security);
  registerBrowserCors(app.getHttpAdapter().getInstance(), app.get(BrowserOrigins));
  setupOpenApi(app, deps.config);
  await app.init();
  return app;
}
