import { UsersService } from '../../src/users/users.service.js';
import { createClient, createUser, login, postForm, type TestClient, token, type TestUser } from '../factories/index.js';
import { INACTIVE_BODY, introspect, isActive, jwtClaims, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ACTIVE_ACCESS_MEMBERS = ['active', 'aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sid', 'sub', 'token_type', 'username'];

describe('POST /oauth/introspect (RFC 7662)', () => {
  let t: TestApp;
  let app: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    app = await createClient(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('caller authentication (§2.1: the endpoint MUST require authorization)', () => {
    it('answers 401 invalid_client to a caller without credentials, and says nothing about the token', async () => {
      const { access_token } = await login(t, app, user);
      const result = await postForm(t, '/oauth/introspect', { token: access_token });
      expect(result.status).toBe(401);
      expect(result.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
      expect(result.text).not.toContain('active');
      expect(result.headers.get('cache-control')).toBe('no-store');
    });

    it('answers 401 with WWW-Authenticate: Basic to a wrong secret', async () => {
      const { access_token } = await login(t, app, user);
      const wrong = `Basic ${Buffer.from(`${resourceServer.id}:not-the-secret-0123456789abcdefghijkl`).toString('base64')}`;
      const result = await postForm(t, '/oauth/introspect', { token: access_token }, { authorization: wrong });
      expect(result.status).toBe(401);
      expect(result.body.error).toBe('invalid_client');
      expect(result.headers.get('www-authenticate')).toMatch(/^Basic /);
    });

    it('answers 401 to an unknown client and to a public client (introspection is for confidential clients)', async () => {
      const { access_token } = await login(t, app, user);
      const unknown = await postForm(t, '/oauth/introspect', { token: access_token, client_id: 'no-such-client', client_secret: 'x'.repeat(40) });
      expect(unknown.status).toBe(401);
      const spa = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'] });
      const own = await login(t, spa, user);
      const result = await introspect(t, spa, own.access_token);
      expect(result.status).toBe(401);
      expect(result.body.error).toBe('invalid_client');
    });

    it('accepts client_secret_post as well as client_secret_basic', async () => {
      const { access_token } = await login(t, app, user);
      const result = await postForm(t, '/oauth/introspect', {
        token: access_token,
        client_id: resourceServer.id,
        client_secret: resourceServer.secret!,
      });
      expect(result.status).toBe(200);
      expect(result.body.active).toBe(true);
    });
  });

  describe('bad requests (400 invalid_request, nothing looked up)', () => {
    it.each([
      ['no token parameter', { token_type_hint: 'access_token' }],
      ['an empty token parameter', { token: '' }],
    ])('refuses %s', async (_, params) => {
      const result = await postForm(t, '/oauth/introspect', params, { authorization: resourceServer.basic });
      expect(result.status).toBe(400);
      expect(result.body).toEqual({ error: 'invalid_request', error_description: 'missing parameter: token' });
    });

    it('refuses a JSON body and a repeated parameter', async () => {
      const { access_token } = await login(t, app, user);
      const json = await fetch(`${t.url}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: resourceServer.basic },
        body: JSON.stringify({ token: access_token }),
      });
      expect(json.status).toBe(400);
      expect(((await json.json()) as { error: string }).error).toBe('invalid_request');
      const repeated = await postForm(t, '/oauth/introspect', `token=${access_token}&token=${access_token}`, {
        authorization: resourceServer.basic,
      });
      expect(repeated.status).toBe(400);
      expect(repeated.body.error).toBe('invalid_request');
    });
  });

  describe('active tokens (§2.2)', () => {
    it('describes a live JWT access token with every member, uncached', async () => {
      const { access_token } = await login(t, app, user, 'read write');
      const claims = jwtClaims(access_token);
      const result = await introspect(t, resourceServer, access_token);
      expect(result.status).toBe(200);
      expect(result.headers.get('cache-control')).toBe('no-store');
      expect(result.headers.get('pragma')).toBe('no-cache');
      expect(result.headers.get('content-type')).toMatch(/^application\/json/);
      expect(result.body).toEqual({
        active: true,
        token_type: 'Bearer',
        scope: 'read write',
        client_id: app.id,
        username: user.username,
        sub: user.user.id,
        aud: 'http://tessera.test',
        iss: 'http://tessera.test',
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        sid: claims.sid,
      });
      expect(Object.keys(result.body).sort()).toEqual(ACTIVE_ACCESS_MEMBERS);
    });

    it('describes a client_credentials token without a user', async () => {
      const issued = await token(t, app, { grant_type: 'client_credentials', scope: 'read' });
      const result = await introspect(t, resourceServer, issued.body.access_token as string);
      expect(result.body).toMatchObject({ active: true, token_type: 'Bearer', client_id: app.id, sub: app.id, scope: 'read' });
      expect(result.body).not.toHaveProperty('username');
      expect(result.body).not.toHaveProperty('sid');
    });

    it('describes a live refresh token without a token_type: RFC 6749 §7.1 types are access token types', async () => {
      const { refresh_token } = await login(t, app, user, 'read');
      const result = await introspect(t, resourceServer, refresh_token);
      expect(result.status).toBe(200);
      expect(result.body).not.toHaveProperty('token_type');
      expect(result.body).toMatchObject({
        active: true,
        scope: 'read',
        client_id: app.id,
        username: user.username,
        sub: user.user.id,
        iss: 'http://tessera.test',
      });
      const now = t.clock.now() / 1000;
      expect(result.body.iat).toBe(Math.floor(now));
      expect(result.body.exp).toBe(Math.floor(now) + 1_209_600);
      expect(typeof result.body.sid).toBe('string');
    });

    it('uses the audience registered for the client', async () => {
      const api = await createClient(t, { audience: 'https://api.example.com' });
      const { access_token } = await login(t, api, user);
      expect((await introspect(t, resourceServer, access_token)).body.aud).toBe('https://api.example.com');
    });
  });

  describe('anything not proven active is {"active":false} and nothing more', () => {
    it.each([
      ['a malformed string', 'not a token'],
      ['an unknown random token', 'A'.repeat(43)],
      ['three dots of garbage', 'a.b.c'],
      ['a very long string', 'x'.repeat(20_000)],
    ])('for %s', async (_, value) => {
      const result = await introspect(t, resourceServer, value);
      expect(result.status).toBe(200);
      expect(result.text).toBe(INACTIVE_BODY);
      expect(result.headers.get('cache-control')).toBe('no-store');
    });

    it('for an access token at and after its exp, and for an expired refresh token', async () => {
      const { access_token } = await login(t, app, user);
      const { exp } = jwtClaims(access_token) as { exp: number };
      t.clock.advance(exp - t.clock.now() / 1000 - 1);
      expect(await isActive(t, resourceServer, access_token)).toBe(true);
      t.clock.advance(1);
      expect((await introspect(t, resourceServer, access_token)).text).toBe(INACTIVE_BODY);
      const { refresh_token } = await login(t, app, user);
      t.clock.advance(1_209_600);
      expect((await introspect(t, resourceServer, refresh_token)).text).toBe(INACTIVE_BODY);
    });

    it('for a rotated refresh token, while its successor is active', async () => {
      const first = await login(t, app, user);
      const second = await token(t, app, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
      expect(second.status).toBe(200);
      expect((await introspect(t, resourceServer, first.refresh_token)).text).toBe(INACTIVE_BODY);
      expect(await isActive(t, resourceServer, second.body.refresh_token as string)).toBe(true);
    });

    it('for the access tokens of a revoked family, while other sessions stay active', async () => {
      const doomed = await login(t, app, user);
      const other = await login(t, app, user);
      expect((await revoke(t, app, doomed.refresh_token)).status).toBe(200);
      expect((await introspect(t, resourceServer, doomed.access_token)).text).toBe(INACTIVE_BODY);
      expect((await introspect(t, resourceServer, doomed.refresh_token)).text).toBe(INACTIVE_BODY);
      expect(await isActive(t, resourceServer, other.access_token)).toBe(true);
    });

    it('for every token of a disabled user', async () => {
      const victim = await createUser(t);
      const session = await login(t, app, victim);
      const issued = await login(t, app, user);
      expect(await isActive(t, resourceServer, session.access_token)).toBe(true);
      expect(await t.app.get(UsersService).disable(victim.user.id, 'test')).toBe(true);
      expect((await introspect(t, resourceServer, session.access_token)).text).toBe(INACTIVE_BODY);
      expect((await introspect(t, resourceServer, session.refresh_token)).text).toBe(INACTIVE_BODY);
      expect(await isActive(t, resourceServer, issued.access_token)).toBe(true);
    });
  });

  describe('who may learn what', () => {
    it('shows a client without the introspect permission its own tokens only', async () => {
      const other = await createClient(t);
      const own = await login(t, app, user);
      const foreign = await login(t, other, user);
      expect((await introspect(t, app, own.access_token)).body.active).toBe(true);
      expect((await introspect(t, app, own.refresh_token)).body.active).toBe(true);
      expect((await introspect(t, app, foreign.access_token)).text).toBe(INACTIVE_BODY);
      expect((await introspect(t, app, foreign.refresh_token)).text).toBe(INACTIVE_BODY);
      // …and the foreign token is live all the same.
      expect(await isActive(t, resourceServer, foreign.access_token)).toBe(true);
    });
  });

  describe('token_type_hint is only a hint (§2.1)', () => {
    it.each(['access_token', 'refresh_token', 'id_token', 'nonsense'])('finds both token types with hint %s', async (hint) => {
      const { access_token, refresh_token } = await login(t, app, user);
      const access = await introspect(t, resourceServer, access_token, { token_type_hint: hint });
      const refresh = await introspect(t, resourceServer, refresh_token, { token_type_hint: hint });
      expect(access.body).toMatchObject({ active: true, token_type: 'Bearer' });
      expect(refresh.body).toMatchObject({ active: true, sid: expect.any(String) });
      expect(refresh.body).not.toHaveProperty('token_type');
    });
  });
});
