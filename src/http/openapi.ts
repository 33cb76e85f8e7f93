import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyDecorators } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiBody, ApiConsumes, ApiOperation, ApiResponse, DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { z } from 'zod';
import type { AppConfig } from '../config/config.js';
import { ApiFailures, type Failure } from './api-errors.js';

const FORM = 'application/x-www-form-urlencoded';

/** RFC 6749 §5.2: the one error body every endpoint answers with. */
const ErrorBody = z
  .object({
    error: z.string().meta({ example: 'invalid_request' }),
    error_description: z.string().meta({ example: 'invalid body: username: must be a string' }),
  })
  .meta({ id: 'Error', description: 'RFC 6749 §5.2 error response' });

export interface OperationDoc {
  readonly summary: string;
  readonly description?: string;
  /** The success status: 200 unless said. */
  readonly status?: number;
  /** The success body; none for an empty answer. */
  readonly returns?: z.ZodType;
  /** Its media type when not application/json (errors stay JSON). */
  readonly returnsAs?: string;
  /**
   * A form body, documented only: the OAuth endpoints read forms strictly with FormParams
   * on their hot path, not through a schema. `accepts` adds content types read the same way.
   */
  readonly form?: z.ZodType;
  readonly accepts?: readonly string[];
  /** Only the failures this operation can answer with. */
  readonly fails: readonly Failure[];
}

/** Schemas documented outside Swagger's own reading of @Body/@Query/standardSchema, by name. */
const extraComponents: Record<string, unknown> = {};

/** One operation of the document: summary, body, success and failure responses. */
export function Operation(doc: OperationDoc): MethodDecorator {
  const status = doc.status ?? 200;
  return applyDecorators(
    ApiOperation({ summary: doc.summary, description: doc.description }),
    ...(doc.form ? [ApiConsumes(FORM, ...(doc.accepts ?? [])), ApiBody({ required: true, schema: component(doc.form, 'input') })] : []),
    success(status, doc),
    ApiFailures(doc.fails),
  );
}

function success(status: number, { returns, returnsAs }: OperationDoc): MethodDecorator {
  if (!returns) return ApiResponse({ status, description: status === 204 ? 'no content' : 'an empty body' });
  const description = idOf(returns) ?? 'success';
  if (returnsAs) return ApiResponse({ status, description, content: { [returnsAs]: { schema: component(returns, 'output') } } });
  return ApiResponse({ status, description, standardSchema: returns });
}

function idOf(schema: z.ZodType): string | undefined {
  return z.globalRegistry.get(schema)?.id;
}

function component(schema: z.ZodType, io: 'input' | 'output'): { $ref: string } {
  const id = idOf(schema);
  if (!id) throw new Error('a component needs a schema with an id');
  // zod names registered schemas in `definitions`; OpenAPI 3.0 keeps them in components.
  const json = JSON.stringify(z.toJSONSchema(schema, { target: 'openapi-3.0', io }));
  const { definitions } = JSON.parse(json.replaceAll('#/definitions/', '#/components/schemas/')) as { definitions: Record<string, unknown> };
  Object.assign(extraComponents, definitions);
  return { $ref: `#/components/schemas/${id}` };
}

/** The version in package.json, the nearest one above this file (in src/ or in dist/src/). */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  throw new Error('package.json not found');
}

// Swagger UI is the one HTML page Tessera serves: it needs its own scripts, styles and
// the JSON document from this origin, and nothing else.
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function openApiDocument(app: NestFastifyApplication, config: Pick<AppConfig, 'issuer'>): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tessera')
      .setDescription(
        'OAuth 2.1 authorization server: JWT or opaque access tokens, rotating refresh tokens with reuse detection, RFC 7662 introspection, RFC 7009 revocation, browser sessions and an admin API. Every error is an RFC 6749 §5.2 body.',
      )
      .setVersion(packageVersion())
      .addServer(config.issuer)
      .addBasicAuth({ type: 'http', scheme: 'basic', description: 'client_secret_basic' }, 'client')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an access token (scope admin for /admin)' }, 'bearer')
      .build(),
  );
  component(ErrorBody, 'output');
  Object.assign(((document.components ??= {}).schemas ??= {}), extraComponents);
  return document;
}

/** OpenAPI at /docs (UI) and /docs/json (document). */
export function setupOpenApi(app: NestFastifyApplication, config: Pick<AppConfig, 'issuer'>): void {
  SwaggerModule.setup('docs', app, openApiDocument(app, config), { jsonDocumentUrl: 'docs/json', customSiteTitle: 'Tessera API' });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', async (request, reply, payload) => {
      if (request.url === '/docs' || request.url.startsWith('/docs/')) reply.header('content-security-policy', DOCS_CSP);
      return payload;
    });
}
