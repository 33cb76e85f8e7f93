import { randomBytes } from 'node:crypto';
import { rows } from '../factories/admin.js';
import { createClient, createUser, type TestClient, type TestUser, token } from '../factories/index.js';
import { isActive, jwtClaims } from '../factories/resource-server.js';
import { AuthorizationCodesService, type CodeGrant } from '../../src/oauth/authorization/authorization-codes.service.js';
import { s256 } from '../../src/oauth/authorization/pkce.js';
import { UsersService } from '../../src/users/users.service.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const REDIRECT = 'https://app.example.com/callback';

/**
 * The authorization_code grant at the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.6),
 * with codes minted the way /authorize mints them: single use, 60 s, bound to client,
 * redirect URI and PKCE challenge, and a replay ending the session the code started.
 */
describe('grant_type=authorization_code', () => {
  let t: TestApp;
  let web: TestClient;
  let spa: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    web = await createClient(t, { grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT, 'https://app.example.com/other'] });
    spa = await createClient(t, { type: 'public', grantTypes: ['authorization_code'], redirectUris: ['http://127.0.0.1:5173/cb'], scopes: ['read'] });
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  /** A code as /authorize would issue it, with its verifier. */
  async function mint(client: TestClient, overrides: Partial<CodeGrant> = {}, forUser: TestUser = user) {
    const verifier = randomBytes(32).toString('base64url');
    const code = await t.app.get(AuthorizationCodesService).issue({
      client: client.client,
      userId: forUser.user.id,
      redirectUri: client.client.redirectUris[0],
      redirectUriSent: true,
      codeChallenge: s256(verifier),
      scope: ['read'],
      authTime: new Date(t.clock.now()),
      ...overrides,
    });
    return { code, verifier };
  }

  const exchange = (client: TestClient, params: Record<string, string>) =>
    token(t, client, { grant_type: 'authorization_code', redirect_uri: client.client.redirectUris[0], ...params });

  it('exchanges a code once for an access token and a refresh token of a new session; only its keyed hash is stored', async () => {
    const { code, verifier } = await mint(web);
    const stored = JSON.stringify(await rows(t, `SELECT * FROM authorization_codes`));
    expect(stored).not.toContain(code);
    expect(Buffer.from(code, 'base64url')).toHaveLength(32);

    const result = await exchange(web, { code, code_verifier: verifier });
    expect(result.status).toBe(200);
    expect(result.headers.get('cache-control')).toBe('no-store');
    expect(result.body).toMatchObject({ token_type: 'Bearer', scope: 'read', expires_in: expect.any(Number), refresh_token: expect.any(String) });
    const claims = jwtClaims(result.body.access_token as string);
    expect(claims).toMatchObject({ sub: user.user.id, client_id: web.id, scope: 'read' });
    const [family] = await rows<{ id: string; user_id: string; client_id: string }>(t, `SELECT f.id, f.user_id, f.client_id FROM families f JOIN authorization_codes c ON c.family_id = f.id`);
    expect(family).toEqual({ id: claims.sid, user_id: user.user.id, client_id: web.id });

    const refreshed = await token(t, web, { grant_type: 'refresh_token', refresh_token: result.body.refresh_token as string });
    expect(refreshed.status).toBe(200);
  });

  it('a second presentation is invalid_grant and ends the session the first one started, with an audit event', async () => {
    const { code, verifier } = await mint(web);
    const first = await exchange(web, { code, code_verifier: verifier });
    expect(first.status).toBe(200);
    const access = first.body.access_token as string;
    expect(await isActive(t, resourceServer, access)).toBe(true);

    const replay = await exchange(web, { code, code_verifier: verifier });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect(await isActive(t, resourceServer, access)).toBe(false);
    const refresh = await token(t, web, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string });
    expect(refresh.body.error).toBe('invalid_grant');
    const sid = jwtClaims(access).sid as string;
    expect(await rows(t, `SELECT revoked_reason FROM families WHERE id = $1`, [sid])).toEqual([{ revoked_reason: 'code_reuse' }]);
    expect(await rows(t, `SELECT client_id, family_id, details FROM audit_events WHERE type = 'authorization_code_reuse_detected'`)).toEqual([
      { client_id: web.id, family_id: sid, details: { code_client_id: web.id, sessions_revoked: 1 } },
    ]);
  });

  it.each<[string, (code: { code: string; verifier: string }) => Record<string, string>]>([
    ['a wrong code_verifier', ({ code }) => ({ code, code_verifier: randomBytes(32).toString('base64url'), redirect_uri: REDIRECT })],
    ['another redirect_uri', ({ code, verifier }) => ({ code, code_verifier: verifier, redirect_uri: 'https://app.example.com/other' })],
    ['no redirect_uri though /authorize had one', ({ code, verifier }) => ({ code, code_verifier: verifier })],
    ['a tampered code', ({ code, verifier }) => ({ code: `${code.slice(0, -2)}AA`, code_verifier: verifier, redirect_uri: REDIRECT })],
  ])('refuses %s with invalid_grant, issues nothing, and leaves the code usable', async (_case, params) => {
    const minted = await mint(web);
    const families = await rows(t, `SELECT count(*) AS n FROM families`);
    const refused = await token(t, web, { grant_type: 'authorization_code', ...params(minted) });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    expect(refused.body.access_token).toBeUndefined();
    expect(await rows(t, `SELECT count(*) AS n FROM families`)).toEqual(families);
    expect((await exchange(web, { code: minted.code, code_verifier: minted.verifier })).status).toBe(200);
  });

  it('refuses a code issued to another client, and it stays usable by its own', async () => {
    const minted = await mint(spa);
    const stolen = await token(t, web, { grant_type: 'authorization_code', code: minted.code, code_verifier: minted.verifier, redirect_uri: 'http://127.0.0.1:5173/cb' });
    expect(stolen.body.error).toBe('invalid_grant');
    expect((await exchange(spa, { code: minted.code, code_verifier: minted.verifier })).status).toBe(200);
  });

  it('answers invalid_request for a missing or malformed code_verifier (RFC 7636 §4.1) and a missing code', async () => {
    const { code } = await mint(web);
    for (const params of <Array<Record<string, string>>>[{ code }, { code, code_verifier: 'short' }, { code, code_verifier: `${'a'.repeat(42)}+` }, { code_verifier: 'a'.repeat(43) }]) {
      const result = await exchange(web, params);
      expect(result.status).toBe(400);
      expect(result.body.error).toBe('invalid_request');
    }
  });

  it('a code is dead 60 seconds after it was issued', async () => {
    const { code, verifier } = await mint(web);
    t.clock.advance(61);
    const late = await exchange(web, { code, code_verifier: verifier });
    expect(late.body.error).toBe('invalid_grant');
  });

  it('a public client sends client_id; no refresh token without the refresh_token grant; redirect_uri optional when /authorize had none', async () => {
    const { code, verifier } = await mint(spa, { redirectUriSent: false });
    const result = await token(t, spa, { grant_type: 'authorization_code', code, code_verifier: verifier });
    expect(result.status).toBe(200);
    expect(result.body.refresh_token).toBeUndefined();
    expect(result.body.scope).toBe('read');
  });

  it('a user disabled after the code was issued gets nothing', async () => {
    const victim = await createUser(t);
    const { code, verifier } = await mint(web, {}, victim);
    await t.app.get(UsersService).disable(victim.user.id, 'test');
    const result = await exchange(web, { code, code_verifier: verifier });
    expect(result.body.error).toBe('invalid_grant');
    expect(await rows(t, `SELECT count(*) AS n FROM families WHERE user_id = $1`, [victim.user.id])).toEqual([{ n: '0' }]);
  });

  it('parallel redemptions of one code: exactly one wins, and the losers end its session', async () => {
    const { code, verifier } = await mint(web);
    const results = await Promise.all(Array.from({ length: 6 }, () => exchange(web, { code, code_verifier: verifier })));
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.body.error === 'invalid_grant')).toHaveLength(5);
    expect(await isActive(t, resourceServer, winners[0].body.access_token as string)).toBe(false);
  });
});
