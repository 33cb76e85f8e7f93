import { BrowserAgent, REFRESH_COOKIE } from '../factories/browser.js';
import { createClient, createUser, postForm, type TestClient } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ORIGIN = 'http://app.example.test:8080';
const NON_BROWSER_ORIGIN = 'http://confidential.example.test';
const CSP = "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'";

/** Sends a CORS preflight the way a browser does before a credentialed POST with X-CSRF-Token. */
function preflight(t: { url: string }, path: string, origin: string): Promise<Response> {
  return fetch(`${t.url}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-csrf-token' },
  });
}

function expectSecurityHeaders(headers: Headers): void {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('content-security-policy')).toBe(CSP);
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
}

describe('browser sessions over HTTP: CORS and security headers', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'], origins: [ORIGIN] });
    // Registered origins alone do not make a browser client: this one keeps a secret.
    await createClient(t, { type: 'confidential', grantTypes: ['password', 'refresh_token'], origins: [NON_BROWSER_ORIGIN] });
  });
  afterAll(async () => { await t.close(); });

  describe('CORS', () => {
    it('answers the preflight of a registered browser origin: that exact origin, with credentials and X-CSRF-Token', async () => {
      for (const path of ['/auth/login', '/auth/refresh', '/auth/logout']) {
        const response = await preflight(t, path, ORIGIN);
        expect(response.status).toBeGreaterThanOrEqual(200);
        expect(response.status).toBeLessThan(300);
        expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
        expect(response.headers.get('access-control-allow-credentials')).toBe('true');
        expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST, DELETE');
        expect(response.headers.get('access-control-allow-headers')?.toLowerCase().split(', ')).toEqual(
          expect.arrayContaining(['content-type', 'x-csrf-token']),
        );
        expect(response.headers.get('vary')).toContain('Origin');
        expectSecurityHeaders(response.headers);
      }
    });

    it('does not answer it for any other origin, nor for a client that is not a browser client', async () => {
      for (const origin of ['http://evil.example', 'http://app.example.test:8081', 'https://app.example.test:8080', NON_BROWSER_ORIGIN, 'null']) {
        const response = await preflight(t, '/auth/refresh', origin);
        expect(response.headers.get('access-control-allow-origin')).toBeNull();
        expect(response.headers.get('access-control-allow-credentials')).toBeNull();
        expect(response.status).toBe(404);
      }
    });

    it('opens only the /auth endpoints and the token endpoint: the other OAuth endpoints get no CORS headers, even for a browser origin', async () => {
      for (const path of ['/oauth/introspect', '/oauth/revoke', '/oauth/par', '/oauth/jwks', '/.well-known/oauth-authorization-server', '/healthz']) {
        const response = await preflight(t, path, ORIGIN);
        expect(response.headers.get('access-control-allow-origin')).toBeNull();
        const get = await fetch(`${t.url}${path}`, { headers: { origin: ORIGIN } });
        expect(get.headers.get('access-control-allow-origin')).toBeNull();
      }
    });

    it('opens the token endpoint to the origins of public clients: DPoP allowed, DPoP-Nonce readable, no credentials', async () => {
      const response = await fetch(`${t.url}/oauth/token`, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,dpop' },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(response.headers.get('access-control-allow-methods')).toBe('POST');
      expect(response.headers.get('access-control-allow-headers')).toBe('Content-Type, DPoP');
      expect(response.headers.get('vary')).toContain('Origin');
      expectSecurityHeaders(response.headers);
      const answer = await postForm(t, '/oauth/token', { grant_type: 'refresh_token', refresh_token: 'unknown', client_id: 'nobody' }, { origin: ORIGIN });
      expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(answer.headers.get('access-control-expose-headers')).toBe('DPoP-Nonce, WWW-Authenticate, Retry-After');
      for (const origin of ['http://evil.example', NON_BROWSER_ORIGIN]) {
        const refused = await fetch(`${t.url}/oauth/token`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
        expect(refused.status).toBe(405);
        expect(refused.headers.get('allow')).toBe('POST');
        expect(refused.headers.get('access-control-allow-origin')).toBeNull();
        const post = await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, { origin });
        expect(post.headers.get('access-control-allow-origin')).toBeNull();
      }
    });

    it('lets the page read answers and the X-CSRF-Token header, never with a wildcard', async () => {
      const b = new BrowserAgent(t, ORIGIN);
      const csrf = await b.fetchCsrf();
      expect(csrf.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(csrf.headers.get('access-control-allow-credentials')).toBe('true');
      expect(csrf.headers.get('access-control-expose-headers')).toBe('X-CSRF-Token, Retry-After');
      const refused = await new BrowserAgent(t, 'http://evil.example').fetchCsrf();
      expect(refused.status).toBe(403);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('security headers', () => {
    it('are on every response: success, 204, 400, 401, 403, 404, 413 and the preflight', async () => {
      const responses: Array<[string, Response]> = [
        ['200', await fetch(`${t.url}/healthz`)],
        ['200 jwks', await fetch(`${t.url}/oauth/jwks`)],
        ['204', await fetch(`${t.url}/auth/csrf`, { headers: { origin: ORIGIN } })],
        ['400', await fetch(`${t.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })],
        ['401', await fetch(`${t.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=nobody&client_secret=x' })],
        ['403', await fetch(`${t.url}/auth/refresh`, { method: 'POST', headers: { origin: 'http://evil.example' } })],
        ['404', await fetch(`${t.url}/no/such/path`)],
        ['413', await fetch(`${t.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a='.padEnd(70_000, 'b') })],
        ['preflight', await preflight(t, '/auth/login', ORIGIN)],
      ];
      expect(responses.map(([label, response]) => `${label} ${response.status}`)).toEqual([
        '200 200', '200 jwks 200', '204 204', '400 400', '401 401', '403 403', '404 404', '413 413', 'preflight 204',
      ]);
      for (const [, response] of responses) {
        expectSecurityHeaders(response.headers);
        // Tessera's issuer here is http: no HSTS.
        expect(response.headers.get('strict-transport-security')).toBeNull();
      }
    });
  });

  describe('with an https issuer below a path', () => {
    let secure: TestApp;
    let client: TestClient;
    const origin = 'https://app.example.com';

    beforeAll(async () => {
      secure = await startTestApp({ ISSUER: 'https://login.example.com/tessera' });
      client = await createClient(secure, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'], origins: [origin] });
    });
    afterAll(async () => { await secure.close(); });

    it('sends HSTS on every response', async () => {
      for (const response of [await fetch(`${secure.url}/healthz`), await fetch(`${secure.url}/nope`), await postForm(secure, '/oauth/token', {})]) {
        expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000');
      }
    });

    it('scopes the refresh cookie to /auth below the issuer path, where the browser sees it', async () => {
      const user = await createUser(secure);
      const b = new BrowserAgent(secure, origin);
      const login = await b.login(client, user);
      const refresh = login.setCookies.find((cookie) => cookie.name === REFRESH_COOKIE);
      expect(refresh?.attributes.get('path')).toBe('/tessera/auth');
    });
  });
});
