import { readFileSync } from 'node:fs';
import { compileErrors, validate } from '@readme/openapi-parser';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startTestApp, type TestApp } from '../setup/app.js';

interface Schema { $ref?: string; additionalProperties?: unknown; allOf?: Schema[]; properties?: Record<string, Schema & { enum?: string[] }> }
interface Operation {
  summary?: string;
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Every route of every Nest controller, as "METHOD /path/{param}", read from the routing metadata. */
function registeredRoutes(app: NestFastifyApplication): string[] {
  const routes: string[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      const prototype = (metatype as { prototype: Record<string, unknown> }).prototype;
      const base = Reflect.getMetadata(PATH_METADATA, metatype as object) as string;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        // A handler may serve several paths (the JWKS at /oauth/jwks and /.well-known/jwks.json).
        for (const own of [Reflect.getMetadata(PATH_METADATA, handler) as string | string[]].flat()) {
          const path = `/${[base, own].join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
          routes.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
        }
      }
    }
  }
  return routes;
}

/** GET /docs serves Swagger UI; /docs/json describes every endpoint from the schemas that validate it. */
describe('OpenAPI', () => {
  let t: TestApp;
  let document: Document;
  let operations: Array<[string, Operation]>;

  beforeAll(async () => {
    t = await startTestApp();
    document = (await (await fetch(`${t.url}/docs/json`)).json()) as Document;
    operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]): [string, Operation] => [`${m.toUpperCase()} ${path}`, op]));
  });
  afterAll(async () => { await t.close(); });

  const resolve = (schema: Schema): Schema => (schema.$ref ? document.components.schemas[schema.$ref.replace('#/components/schemas/', '')] : schema);
  const errorCodes = (op: Operation, status: string): string[] => resolve(op.responses[status].content!['application/json'].schema).properties!.error.enum!;

  it('is a valid OpenAPI 3 document', async () => {
    expect(document.openapi).toMatch(/^3\./);
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
    expect(result.specification).toBe('OpenAPI');
    // The validator does refuse a broken document: a response without its required description.
    const broken = structuredClone(document);
    delete (broken.paths['/healthz'].get.responses['200'] as Partial<Operation['responses'][string]>).description;
    expect((await validate(broken as never)).valid).toBe(false);
  });

  it('names the package version and has named schemas', () => {
    expect(document.info).toMatchObject({ title: 'Tessera', version: packageVersion });
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['User', 'Client', 'Session', 'Event', 'TokenResponse', 'IntrospectionResponse', 'NewUser', 'NewClient', 'Error']),
    );
  });

  it('documents every route the application registers, each with a summary and a success response', () => {
    const routes = registeredRoutes(t.app);
    expect(routes.length).toBeGreaterThan(25);
    expect(operations.map(([name]) => name).sort()).toEqual([...routes].sort());
    for (const [name, op] of operations) {
      expect({ name, summary: op.summary }).toEqual({ name, summary: expect.stringMatching(/\w/) as string });
      expect({ name, success: Object.keys(op.responses).filter((status) => /^2\d\d$/.test(status)).length }).toEqual({ name, success: 1 });
    }
  });

  it('gives every JSON body a named schema that refuses unknown members', () => {
    const jsonBodies = operations.filter(([, op]) => op.requestBody && Object.keys(op.requestBody.content).join() === 'application/json');
    expect(jsonBodies.map(([name]) => name).sort()).toEqual([
      'PATCH /admin/clients/{clientId}',
      'PATCH /admin/users/{id}',
      'POST /admin/clients',
      'POST /admin/clients/{clientId}/secret',
      'POST /admin/users',
      'PATCH /ssf/stream',
      'POST /ssf/poll/{streamId}',
      'POST /ssf/status',
      'POST /ssf/stream',
      'POST /ssf/verify',
      'PUT /ssf/stream',
    ].sort());
    for (const [, op] of jsonBodies) {
      const schema = op.requestBody!.content['application/json'].schema;
      expect(schema.$ref).toMatch(/^#\/components\/schemas\//);
      expect(resolve(schema).additionalProperties).toBe(false);
    }
  });

  it('gives every JSON answer a schema', () => {
    for (const [name, op] of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        for (const [type, { schema }] of Object.entries(response.content ?? {})) {
          if (type !== 'text/plain') expect({ name, status, schema: resolve(schema) }).toEqual({ name, status, schema: expect.any(Object) as object });
        }
      }
    }
  });

  it('lists every endpoint of the contract', () => {
    expect(operations.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'POST /oauth/token', 'POST /oauth/introspect', 'POST /oauth/revoke', 'GET /oauth/jwks',
        'GET /.well-known/oauth-authorization-server', 'GET /healthz', 'GET /readyz', 'GET /metrics',
        'POST /admin/users', 'GET /admin/users', 'GET /admin/users/{id}', 'PATCH /admin/users/{id}',
        'GET /admin/users/{id}/sessions', 'DELETE /admin/users/{id}/sessions', 'DELETE /admin/sessions/{id}',
        'POST /admin/clients', 'GET /admin/clients', 'DELETE /admin/clients/{clientId}', 'GET /admin/events',
        'POST /admin/keys/rotate', 'POST /auth/login', 'POST /auth/refresh', 'POST /auth/logout',
        'GET /auth/sessions', 'DELETE /auth/sessions/{id}', 'DELETE /auth/sessions', 'GET /account',
      ]),
    );
  });

  it('describes GET /metrics as the Prometheus text format', () => {
    expect(Object.keys(document.paths['/metrics'].get.responses['200'].content ?? {})).toEqual(['text/plain']);
  });

  it('describes the OAuth endpoints as forms with their RFC error responses', () => {
    for (const path of ['/oauth/token', '/oauth/introspect', '/oauth/revoke']) {
      const post = document.paths[path].post;
      expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['400', '401', '429', '503']));
      expect(Object.keys(post.requestBody!.content)).toEqual(['application/x-www-form-urlencoded']);
      expect(resolve(post.requestBody!.content['application/x-www-form-urlencoded'].schema).properties).toHaveProperty('client_secret', expect.anything());
    }
    expect(Object.keys(document.paths['/admin/users'].post.responses)).toEqual(expect.arrayContaining(['400', '401', '403']));
  });

  it('documents only the errors an operation can answer with', () => {
    const token = document.paths['/oauth/token'].post;
    expect(errorCodes(token, '400').sort()).toEqual(['invalid_grant', 'invalid_request', 'invalid_scope', 'unauthorized_client', 'unsupported_grant_type']);
    expect(errorCodes(token, '401')).toEqual(['invalid_client']);
    const createUser = document.paths['/admin/users'].post;
    expect(errorCodes(createUser, '400')).toEqual(['invalid_request']);
    expect(errorCodes(createUser, '403')).toEqual(['insufficient_scope']);
    expect(Object.keys(createUser.responses).sort()).toEqual(['201', '400', '401', '403', '409', '413', '503']);
    expect(Object.keys(document.paths['/admin/events'].get.responses)).not.toContain('404');
    expect(Object.keys(document.paths['/admin/users/{id}'].get.responses)).toContain('404');
    expect(Object.keys(document.paths['/.well-known/oauth-authorization-server'].get.responses)).toEqual(['200']);
  });

  it('documents the 429 of throttled logins where a password is tried, and only there among browser endpoints', () => {
    expect(Object.keys(document.paths['/auth/login'].post.responses)).toEqual(expect.arrayContaining(['400', '403', '429']));
    expect(Object.keys(document.paths['/auth/refresh'].post.responses)).not.toContain('429');
  });

  it('documents query members from the schema that reads them', () => {
    const parameters = (document.paths['/admin/events'].get as unknown as { parameters: Array<{ name: string; in: string; schema: { type: string } }> }).parameters;
    expect(parameters.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(['type', 'user_id', 'since', 'until', 'limit', 'cursor']);
    expect(parameters.find((p) => p.name === 'limit')!.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 200 });
  });

  it('serves the UI with a CSP that lets only its own scripts run', async () => {
    const response = await fetch(`${t.url}/docs`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('swagger');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const api = await fetch(`${t.url}/healthz`);
    expect(api.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});
