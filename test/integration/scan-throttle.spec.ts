import { randomBytes } from 'node:crypto';
import { ClientsService } from '../../src/clients/clients.service.js';
import { createClient, createUser, type HttpResult, login, postForm, type TestClient, type TestUser, token } from '../factories/index.js';
import { INACTIVE_BODY, introspect, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

// The test's requests come from 127.0.0.1, a trusted proxy: X-Forwarded-For names the client.
const SETTINGS = { TRUST_PROXY: 'loopback', INTROSPECTION_MAX_FAILURES: '5', INTROSPECTION_FAILURE_WINDOW: '60', CLIENT_AUTH_MAX_FAILURES: '3' };

function expectThrottled(result: HttpResult, retryAfter: number): void {
  expect(result.status).toBe(429);
  expect(result.body).toEqual({ error: 'temporarily_unavailable', error_description: 'too many failed attempts, retry later' });
  expect(result.headers.get('retry-after')).toBe(String(retryAfter));
  expect(result.headers.get('cache-control')).toBe('no-store');
  expect(result.text).not.toContain('active');
}

/** README "Brute force": token scanning through introspection, and client secret guessing. */
describe('scan throttles', () => {
  let t: TestApp;
  let app: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp(SETTINGS);
    app = await createClient(t);
    user = await createUser(t);
  });
  afterAll(async () => { await t.close(); });

  const resourceServer = () => createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });

  describe('introspection of unknown tokens, per client', () => {
    it('refuses a client that sent too many unknown tokens, live ones included, until its window ends; another client goes on', async () => {
      const scanner = await resourceServer();
      const other = await resourceServer();
      const { access_token } = await login(t, app, user);
      const forged = `${access_token.slice(0, -4)}AAAA`;
      const garbage = ['not-a-token', 'A'.repeat(43), 'B'.repeat(43), forged, 'x.y.z'];
      for (const token of garbage) expect((await introspect(t, scanner, token)).text).toBe(INACTIVE_BODY);
      expectThrottled(await introspect(t, scanner, access_token), 60);
      expect((await introspect(t, other, access_token)).body.active).toBe(true);
      t.clock.advance(30);
      expectThrottled(await introspect(t, scanner, access_token), 30);
      t.clock.advance(30);
      expect((await introspect(t, scanner, access_token)).body.active).toBe(true);
    });

    it('does not count tokens of this server that are merely expired, revoked or rotated', async () => {
      const rs = await resourceServer();
      const session = await login(t, app, user);
      const revokedSession = await login(t, app, user);
      expect((await revoke(t, app, revokedSession.refresh_token)).status).toBe(200);
      const rotated = await token(t, app, { grant_type: 'refresh_token', refresh_token: session.refresh_token });
      expect(rotated.status).toBe(200);
      t.clock.advance(301); // past ACCESS_TOKEN_TTL and the reuse grace
      for (let i = 0; i < 4; i++) {
        for (const presented of [session.access_token, session.refresh_token, revokedSession.refresh_token, revokedSession.access_token]) {
          const result = await introspect(t, rs, presented);
          expect(result.status).toBe(200);
          expect(result.text).toBe(INACTIVE_BODY);
        }
      }
      expect((await introspect(t, rs, String(rotated.body.refresh_token))).body.active).toBe(true);
    });
  });

  describe('client authentication failures, per client_id and IP', () => {
    const tokenFrom = (ip: string, params: Record<string, string>, authorization?: string) =>
      postForm(t, '/oauth/token', params, { 'x-forwarded-for': ip, ...(authorization ? { authorization } : {}) });
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

    it('refuses further wrong secrets for that client_id from that IP, and only there, until the minute is over', async () => {
      const target = await createClient(t);
      for (let i = 0; i < 3; i++) {
        expect((await tokenFrom('192.0.2.10', { grant_type: 'client_credentials' }, basic(target.id, `guess-${i}`))).status).toBe(401);
      }
      expectThrottled(await tokenFrom('192.0.2.10', { grant_type: 'client_credentials' }, basic(target.id, 'guess-3')), 60);
      // The same limit guards introspection and revocation: it is one client authentication.
      expectThrottled(await postForm(t, '/oauth/revoke', { token: 'x' }, { authorization: basic(target.id, 'guess-4'), 'x-forwarded-for': '192.0.2.10' }), 60);
      expect((await tokenFrom('192.0.2.11', { grant_type: 'client_credentials' }, basic(target.id, 'guess-5'))).status).toBe(401);
      t.clock.advance(60);
      expect((await tokenFrom('192.0.2.10', { grant_type: 'client_credentials' }, basic(target.id, 'guess-6'))).status).toBe(401);
    });

    // Issue 19: 21 wrong secrets from a shared IP locked the resource server out for the minute.
    it('never refuses the right secret because someone on the same IP failed', async () => {
      const rs = await resourceServer();
      const { access_token } = await login(t, app, user);
      for (let i = 0; i < 5; i++) {
        expect((await tokenFrom('192.0.2.30', { grant_type: 'client_credentials' }, basic(rs.id, `guess-${i}`))).status).toBe(i < 3 ? 401 : 429);
      }
      const introspected = await postForm(t, '/oauth/introspect', { token: access_token }, { authorization: rs.basic, 'x-forwarded-for': '192.0.2.30' });
      expect(introspected.status).toBe(200);
      expect(introspected.body.active).toBe(true);
      expect((await tokenFrom('192.0.2.30', { grant_type: 'client_credentials' }, rs.basic)).status).toBe(200);
      // The guesser is still refused, before and after the right secret was used.
      expectThrottled(await tokenFrom('192.0.2.30', { grant_type: 'client_credentials' }, basic(rs.id, 'guess-9')), 60);
    });

    it('refuses a hand-set secret that is easy to guess at registration (what bounds guessing now)', async () => {
      const register = (secret: string) =>
        t.app.get(ClientsService).create({ id: `weak-${secret.length}-${secret[0]}`, type: 'confidential', grantTypes: ['client_credentials'], secret }, 'test');
      for (const weak of ['short-secret', 'a'.repeat(40), 'password1234password1234password', 'abcdefghijklmnopqrstuvwxyz0123456789']) {
        await expect(register(weak)).rejects.toThrow(/^secret: /);
      }
      const chosen = await register(randomBytes(16).toString('hex'));
      expect(chosen.client.type).toBe('confidential');
    });

    it('treats a client_id that does not exist like one that does', async () => {
      for (let i = 0; i < 3; i++) {
        expect((await tokenFrom('192.0.2.20', { grant_type: 'client_credentials', client_id: 'no-such-client', client_secret: `s-${i}` })).status).toBe(401);
      }
      expectThrottled(await tokenFrom('192.0.2.20', { grant_type: 'client_credentials', client_id: 'no-such-client', client_secret: 's' }), 60);
    });
  });
});
