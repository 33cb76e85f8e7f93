import { applyDecorators } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiResponse, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../config/config.js';

/** RFC 6749 §5.2: the one error body every endpoint answers with. */
const ERROR_BODY = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: {
    error: { type: 'string', example: 'invalid_request' },
    error_description: { type: 'string', example: 'missing parameter: token' },
  },
};

const MEANING: Record<number, string> = {
  400: 'invalid_request, invalid_grant, invalid_scope, unauthorized_client or unsupported_grant_type',
  401: 'invalid_client (with WWW-Authenticate: Basic when Basic was tried) or invalid_token',
  403: 'access_denied or insufficient_scope',
  404: 'not_found',
  409: 'invalid_request: the name is taken',
  413: 'invalid_request: the body is over 64 KiB',
  429: 'temporarily_unavailable, with Retry-After (seconds): too many failed logins, client authentications or introspections of unknown tokens',
  503: 'temporarily_unavailable, with Retry-After: the database cannot be reached',
};

/** Documents the RFC-style error responses an endpoint can give. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: MEANING[status], schema: ERROR_BODY })),
  );
}

/** A form body of the given string parameters (RFC 6749 §3.2). */
export function formSchema(required: string[], optional: string[] = []): Record<string, unknown> {
  const properties = Object.fromEntries([...required, ...optional].map((name) => [name, { type: 'string' }]));
  return { type: 'object', required, properties };
}

// Swagger UI is the one HTML page Tessera serves: it needs its own scripts, styles and
// the JSON document from this origin, and nothing else.
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** OpenAPI at /docs (UI) and /docs/json (document). */
export function setupOpenApi(app: NestFastifyApplication, config: Pick<AppConfig, 'issuer'>): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tessera')
      .setDescription('OAuth 2 token server: JWT access tokens, rotating refresh tokens, RFC 7662 introspection, RFC 7009 revocation.')
      .addServer(config.issuer)
      .addBasicAuth({ type: 'http', scheme: 'basic', description: 'client_secret_basic' }, 'client')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an access token (scope admin for /admin)' }, 'bearer')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json', customSiteTitle: 'Tessera API' });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', async (request, reply, payload) => {
      if (request.url === '/docs' || request.url.startsWith('/docs/')) reply.header('content-security-policy', DOCS_CSP);
      return payload;
    });
}
