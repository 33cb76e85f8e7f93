import { api, createAdmin, rows } from '../factories/admin.js';
import { authorizationParams, PageAgent, type PageResult, pkce } from '../factories/authorization.js';
import { createClient, createUser, type TestClient, type TestUser, token } from '../factories/index.js';
import { jwtClaims } from '../factories/resource-server.js';
import { JanitorService } from '../../src/janitor/janitor.service.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ISSUER = 'http://tessera.test';
const SESSION_COOKIE = '__Host-tessera-session';

/**
 * GET|POST /oauth/authorize and the hosted login and consent pages over HTTP, as a
 * browser drives them: which errors are a page and which go back to the client, the
 * login session, remembered consent, prompt and max_age.
 */
describe('the authorization endpoint and its pages', () => {
  let t: TestApp;
  let firstParty: TestClient;
  let shop: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ ISSUER });
    firstParty = await createClient(t, {
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: ['https://portal.example.com/cb', 'https://portal.example.com/other'],
      scopes: ['read', 'write'],
      firstParty: true,
    });
    shop = await createClient(t, { type: 'public', grantTypes: ['authorization_code'], redirectUris: ['https://shop.example.com/cb'], scopes: ['read', 'write'] });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  function expectPage(result: PageResult, status: number) {
    expect(result.status).toBe(status);
    expect(result.location).toBeUndefined();
    expect(result.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(result.headers.get('cache-control')).toBe('no-store');
    const csp = result.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    // Scripts (the login page's passkey scripts) from Tessera itself only, never inline.
    expect(csp).not.toMatch(/unsafe-|script-src (?!'self';)/);
    expect(result.headers.get('x-frame-options')).toBe('DENY');
    expect(result.headers.get('referrer-policy')).toBe('same-origin');
  }

  function expectErrorRedirect(result: PageResult, redirectUri: string, error: string, state: string) {
    expect(result.status).toBe(302);
    expect(`${result.location!.origin}${result.location!.pathname}`).toBe(redirectUri);
    expect(Object.fromEntries(result.location!.searchParams)).toEqual({ error, error_description: expect.any(String), state, iss: ISSUER });
  }

  async function exchange(client: TestClient, location: URL, verifier: string) {
    return token(t, client, { grant_type: 'authorization_code', code: location.searchParams.get('code')!, code_verifier: verifier, redirect_uri: `${location.origin}${location.pathname}` });
  }

  describe('errors before the client and redirect URI are proven: a page, never a redirect', () => {
    it.each<[string, (p: Record<string, string>) => Record<string, string> | string]>([
      ['an unknown client', (p) => ({ ...p, client_id: 'nobody' })],
      ['no client_id', ({ client_id: _, ...p }) => p],
      ['an unregistered redirect URI', (p) => ({ ...p, redirect_uri: 'https://evil.example/cb' })],
      ['a path traversal', (p) => ({ ...p, redirect_uri: 'https://portal.example.com/cb/../../evil' })],
      ['another port', (p) => ({ ...p, redirect_uri: 'https://portal.example.com:8443/cb' })],
      ['userinfo', (p) => ({ ...p, redirect_uri: 'https://portal.example.com@evil.example/cb' })],
      ['no redirect URI though the client has two', ({ redirect_uri: _, ...p }) => p],
      ['a repeated parameter', (p) => `${new URLSearchParams(p).toString()}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb`],
      ['a repeated scope', (p) => `${new URLSearchParams(p).toString()}&scope=read&scope=write`],
    ])('%s', async (_case, change) => {
      const before = await rows(t, `SELECT count(*) AS n FROM authorization_codes`);
      const result = await new PageAgent(t).authorize(change(authorizationParams(firstParty, pkce().challenge)));
      expectPage(result, 400);
      expect(result.text).not.toContain('evil.example');
      expect(await rows(t, `SELECT count(*) AS n FROM authorization_codes`)).toEqual(before);
    });
  });

  it('a parameter repeated in a posted form is an error page too, for the endpoint and for the login form', async () => {
    const query = `${new URLSearchParams(authorizationParams(firstParty, pkce().challenge)).toString()}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb`;
    const before = await rows(t, `SELECT count(*) AS n FROM authorization_codes`);
    for (const path of ['/oauth/authorize', '/interaction/login']) {
      const repeated = await fetch(`${t.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(t.config.issuer).origin, 'sec-fetch-site': 'same-origin' },
        body: query,
        redirect: 'manual',
      });
      expect(repeated.status).toBe(400);
      expect(repeated.headers.get('location')).toBeNull();
      expect(repeated.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await repeated.text()).toContain('is repeated');
    }
    expect(await rows(t, `SELECT count(*) AS n FROM authorization_codes`)).toEqual(before);
  });

  describe('errors once the redirect URI is proven: a redirect with error, state and iss', () => {
    it.each<[string, Record<string, string>, string]>([
      ['code_challenge_method=plain', { code_challenge_method: 'plain' }, 'invalid_request'],
      ['no code_challenge', { code_challenge: '' }, 'invalid_request'],
      ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
      ['an unregistered scope', { scope: 'read admin' }, 'invalid_scope'],
      ['prompt=none without a session', { prompt: 'none' }, 'login_required'],
    ])('%s', async (_case, extra, error) => {
      const params = Object.fromEntries(Object.entries(authorizationParams(firstParty, pkce().challenge, extra)).filter(([, v]) => v !== ''));
      const result = await new PageAgent(t).authorize(params);
      expectErrorRedirect(result, params.redirect_uri, error, params.state);
    });
  });

  it('shows the login page; a wrong password shows it again with one message and sets no session; the right one redirects with a code', async () => {
    const agent = new PageAgent(t);
    const { verifier, challenge } = pkce();
    const params = authorizationParams(firstParty, challenge, { scope: 'read' });
    const page = await agent.authorize(params);
    expectPage(page, 200);
    expect(page.text).toContain('<form method="post" action="/interaction/login">');
    expect(page.text).toMatch(/<label for="username">[^<]+<\/label>\s*<input id="username" name="username"/);
    expect(page.text).toMatch(/<label for="password">[^<]+<\/label>\s*<input id="password" name="password" type="password"/);
    expect(page.text).toContain('<button type="submit">');

    const wrong = await agent.submit(page, { username: user.username, password: 'not the password' });
    expectPage(wrong, 400);
    expect(wrong.text.match(/role="alert"/g)).toHaveLength(1);
    expect(wrong.text).toContain('Wrong username or password.');
    expect(agent.jar.has(SESSION_COOKIE)).toBe(false);

    const right = await agent.login(wrong, user);
    expect(right.status).toBe(303);
    expect(`${right.location!.origin}${right.location!.pathname}`).toBe(params.redirect_uri);
    expect(right.location!.searchParams.get('state')).toBe(params.state);
    expect(right.location!.searchParams.get('iss')).toBe(ISSUER);
    const session = right.setCookies.find((c) => c.name === SESSION_COOKIE)!;
    expect(session.raw).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; Max-Age=\\d+; HttpOnly; Secure; SameSite=Lax$`));
    expect(JSON.stringify(await rows(t, `SELECT * FROM login_sessions`))).not.toContain(session.value);

    const tokens = await exchange(firstParty, right.location!, verifier);
    expect(tokens.status).toBe(200);
    expect(jwtClaims(tokens.body.access_token as string)).toMatchObject({ sub: user.user.id, scope: 'read' });
    const [family] = await rows<{ login_session_id: string }>(t, `SELECT login_session_id FROM families WHERE id = $1`, [jwtClaims(tokens.body.access_token as string).sid]);
    expect(family.login_session_id).toEqual(expect.any(String));

    // The session spares the password: at once a code, even under prompt=none.
    const again = await agent.authorize(authorizationParams(firstParty, pkce().challenge, { prompt: 'none' }));
    expect(again.status).toBe(302);
    expect(again.location!.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a login post without its CSRF token, from another origin, or cross-site, and logs no one in', async () => {
    const agent = new PageAgent(t);
    const page = await agent.authorize(authorizationParams(firstParty, pkce().challenge));
    const credentials = { username: user.username, password: user.password };
    for (const [fields, headers] of [
      [{ ...credentials, csrf_token: '' }, {}],
      [{ ...credentials, csrf_token: 'forged.token' }, {}],
      [credentials, { origin: 'https://evil.example' }],
      [credentials, { origin: undefined }],
      [credentials, { 'sec-fetch-site': 'cross-site' }],
    ] as Array<[Record<string, string>, Record<string, string | undefined>]>) {
      const refused = await agent.submit(page, fields, headers);
      expectPage(refused, 403);
      expect(agent.jar.has(SESSION_COOKIE)).toBe(false);
    }
    const withoutCookie = new PageAgent(t);
    expectPage(await withoutCookie.submit(page, credentials), 403);
  });

  it('the login throttle applies to the login page: past the limit, the form comes back as 429 with Retry-After', async () => {
    const agent = new PageAgent(t);
    const victim = await createUser(t);
    let page = await agent.authorize(authorizationParams(firstParty, pkce().challenge));
    let status = 0;
    for (let attempt = 0; attempt < 8 && status !== 429; attempt++) {
      page = await agent.submit(page, { username: victim.username, password: 'guess' });
      status = page.status;
    }
    expectPage(page, 429);
    expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(page.text).toContain('name="password"');
    expect((await agent.login(page, victim)).status).toBe(429);
    expect(agent.jar.has(SESSION_COOKIE)).toBe(false);
  });

  it('two tabs\' login forms both work: the browser\'s form token is kept', async () => {
    const agent = new PageAgent(t);
    const first = await agent.authorize(authorizationParams(firstParty, pkce().challenge));
    const second = await agent.authorize(authorizationParams(firstParty, pkce().challenge));
    expect(second.setCookies.some((c) => c.name === '__Host-tessera-form')).toBe(false);
    expect((await agent.login(first, user)).status).toBe(303);
    expect((await agent.login(second, user)).status).toBe(303);
  });

  it('asks a third-party client\'s consent once per scope set; deny is access_denied; prompt=none without consent is consent_required', async () => {
    const agent = new PageAgent(t);
    const consenting = await createUser(t);
    const first = await agent.authorize(authorizationParams(shop, pkce().challenge, { scope: 'read' }));
    const consent = await agent.login(first, consenting);
    expectPage(consent, 200);
    expect(consent.text).toContain(shop.id);
    expect(consent.text).toContain('<code>read</code>');

    const denyParams = authorizationParams(shop, pkce().challenge, { scope: 'read' });
    const denyPage = await agent.authorize(denyParams);
    const denied = await agent.submit(denyPage, { decision: 'deny' });
    expect(denied.status).toBe(303);
    expect(Object.fromEntries(denied.location!.searchParams)).toMatchObject({ error: 'access_denied', state: denyParams.state, iss: ISSUER });

    const none = await agent.authorize(authorizationParams(shop, pkce().challenge, { scope: 'read', prompt: 'none' }));
    expectErrorRedirect(none, 'https://shop.example.com/cb', 'consent_required', none.location!.searchParams.get('state')!);

    const { verifier, challenge } = pkce();
    const allowed = await agent.submit(await agent.authorize(authorizationParams(shop, challenge, { scope: 'read' })), { decision: 'allow' });
    expect(allowed.status).toBe(303);
    expect((await exchange(shop, allowed.location!, verifier)).status).toBe(200);
    expect(await rows(t, `SELECT scopes FROM consents WHERE user_id = $1`, [consenting.user.id])).toEqual([{ scopes: ['read'] }]);

    // Remembered: no page. A wider request asks again.
    expect((await agent.authorize(authorizationParams(shop, pkce().challenge, { scope: 'read' }))).status).toBe(302);
    const wider = await agent.authorize(authorizationParams(shop, pkce().challenge, { scope: 'read write' }));
    expectPage(wider, 200);
    expect(wider.text).toContain('value="allow"');
  });

  it('refuses a consent post without the session\'s CSRF token', async () => {
    const agent = new PageAgent(t);
    const consent = await agent.login(await agent.authorize(authorizationParams(shop, pkce().challenge, { scope: 'write' })), await createUser(t));
    expectPage(await agent.submit(consent, { decision: 'allow', csrf_token: 'x' }), 403);
    expectPage(await agent.submit(consent, { decision: 'allow' }, { 'sec-fetch-site': 'cross-site' }), 403);
  });

  it('prompt=login and an exceeded max_age ask for the password again', async () => {
    const agent = new PageAgent(t);
    await agent.login(await agent.authorize(authorizationParams(firstParty, pkce().challenge)), user);
    expect((await agent.authorize(authorizationParams(firstParty, pkce().challenge))).status).toBe(302);
    const forced = await agent.authorize(authorizationParams(firstParty, pkce().challenge, { prompt: 'login' }));
    expectPage(forced, 200);
    expect(forced.text).toContain('name="password"');
    const relogged = await agent.login(forced, user);
    expect(relogged.status).toBe(303);
    expect(relogged.location!.searchParams.has('code')).toBe(true);

    t.clock.advance(120);
    expectPage(await agent.authorize(authorizationParams(firstParty, pkce().challenge, { max_age: '60' })), 200);
    expect((await agent.authorize(authorizationParams(firstParty, pkce().challenge, { max_age: '600' }))).status).toBe(302);
  });

  it('a remembered consent is listed and withdrawn by its user and by an admin; the client then asks again', async () => {
    const agent = new PageAgent(t);
    const owner = await createUser(t);
    const { verifier, challenge } = pkce();
    const consent = await agent.login(await agent.authorize(authorizationParams(shop, challenge, { scope: 'read' })), owner);
    const allowed = await agent.submit(consent, { decision: 'allow' });
    const access = (await exchange(shop, allowed.location!, verifier)).body.access_token as string;
    expect(await rows(t, `SELECT type, actor FROM audit_events WHERE type = 'consent_granted' AND user_id = $1`, [owner.user.id])).toEqual([{ type: 'consent_granted', actor: null }]);

    const listed = await api(t, 'GET', '/auth/consents', { token: access });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([{ client_id: shop.id, scopes: ['read'], granted_at: expect.any(String) }]);
    expect((await api(t, 'DELETE', `/auth/consents/${shop.id}`, { token: access })).status).toBe(204);
    expect((await api(t, 'DELETE', `/auth/consents/${shop.id}`, { token: access })).status).toBe(404);
    expectPage(await agent.authorize(authorizationParams(shop, pkce().challenge, { scope: 'read' })), 200);

    await agent.submit(await agent.authorize(authorizationParams(shop, pkce().challenge, { scope: 'read' })), { decision: 'allow' });
    const admin = await createAdmin(t);
    const seen = await api(t, 'GET', `/admin/users/${owner.user.id}/consents`, { token: admin.token });
    expect(seen.body).toEqual([{ client_id: shop.id, scopes: ['read'], granted_at: expect.any(String) }]);
    expect((await api(t, 'DELETE', `/admin/users/${owner.user.id}/consents/${shop.id}`, { token: admin.token })).status).toBe(204);
    expect(await rows(t, `SELECT count(*) AS n FROM consents WHERE user_id = $1`, [owner.user.id])).toEqual([{ n: '0' }]);
    expect(await rows(t, `SELECT actor FROM audit_events WHERE type = 'consent_revoked' AND user_id = $1 ORDER BY id`, [owner.user.id])).toEqual([
      { actor: `user:${owner.user.id}` },
      { actor: `user:${admin.user.id}` },
    ]);
  });

  it('the janitor deletes codes a day past their expiry and login sessions past theirs, and keeps live ones', async () => {
    const agent = new PageAgent(t);
    await agent.login(await agent.authorize(authorizationParams(firstParty, pkce().challenge)), user);
    const [{ codes }] = await rows<{ codes: number }>(t, `SELECT count(*)::int AS codes FROM authorization_codes`);
    expect(codes).toBeGreaterThan(1);
    const [{ sessions }] = await rows<{ sessions: number }>(t, `SELECT count(*)::int AS sessions FROM login_sessions`);
    t.clock.advance(86_400 + 120);
    const counts = await t.app.get(JanitorService).runOnce({ wait: true });
    expect(counts).toMatchObject({ authorization_codes: codes, login_sessions: sessions });
    expect(await rows(t, `SELECT count(*) AS n FROM login_sessions`)).toEqual([{ n: '0' }]);
    expect(await rows(t, `SELECT count(*) AS n FROM families WHERE login_session_id IS NOT NULL`)).toEqual([{ n: '0' }]);

    const fresh = await agent.login(await agent.authorize(authorizationParams(firstParty, pkce().challenge)), user);
    expect(fresh.status).toBe(303);
    expect(await t.app.get(JanitorService).runOnce({ wait: true })).toMatchObject({ authorization_codes: 0, login_sessions: 0 });
  });

  it('serves the stylesheet the pages link to', async () => {
    const response = await fetch(`${t.url}/assets/tessera.css`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await response.text()).toContain('.card');
  });
});
