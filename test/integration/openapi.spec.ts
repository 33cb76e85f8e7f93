import { startTestApp, type TestApp } from '../setup/app.js';

/** GET /docs serves Swagger UI; /docs/json describes every endpoint with its error responses. */
describe('OpenAPI', () => {
  let t: TestApp;
  let document: { paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>> };

  beforeAll(async () => {
    t = await startTestApp();
    document = (await (await fetch(`${t.url}/docs/json`)).json()) as typeof document;
  });
  afterAll(async () => { await t.close(); });

  it('lists every endpoint of the contract', () => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations).toEqual(
      expect.arrayContaining([
        'POST /oauth/token', 'POST /oauth/introspect', 'POST /oauth/revoke', 'GET /oauth/jwks',
        'GET /.well-known/oauth-authorization-server', 'GET /healthz', 'GET /readyz', 'GET /metrics',
        'POST /admin/users', 'GET /admin/users', 'GET /admin/users/{id}', 'PATCH /admin/users/{id}',
        'GET /admin/users/{id}/sessions', 'DELETE /admin/users/{id}/sessions', 'DELETE /admin/sessions/{id}',
        'POST /admin/clients', 'GET /admin/clients', 'DELETE /admin/clients/{clientId}', 'GET /admin/events',
        'POST /admin/keys/rotate', 'POST /auth/login', 'POST /auth/refresh', 'POST /auth/logout',
        'GET /auth/sessions', 'DELETE /auth/sessions/{id}', 'DELETE /auth/sessions',
      ]),
    );
  });

  it('describes GET /metrics as the Prometheus text format', () => {
    const metrics = document.paths['/metrics'] as unknown as { get: { responses: Record<string, { content?: Record<string, unknown> }> } };
    expect(Object.keys(metrics.get.responses['200'].content ?? {})).toEqual(['text/plain']);
  });

  it('describes the OAuth endpoints as forms with their RFC error responses', () => {
    for (const path of ['/oauth/token', '/oauth/introspect', '/oauth/revoke']) {
      const post = document.paths[path].post;
      expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['400', '401', '429', '503']));
      expect(JSON.stringify(post.requestBody)).toContain('application/x-www-form-urlencoded');
    }
    expect(Object.keys(document.paths['/admin/users'].post.responses)).toEqual(expect.arrayContaining(['400', '401', '403']));
  });

  it('documents the 429 of throttled logins where a password is tried, and only there among browser endpoints', () => {
    expect(Object.keys(document.paths['/auth/login'].post.responses)).toEqual(expect.arrayContaining(['400', '403', '429']));
    expect(Object.keys(document.paths['/auth/refresh'].post.responses)).not.toContain('429');
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
