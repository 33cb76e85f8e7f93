import { randomBytes } from 'node:crypto';
import { authorizationParams, PageAgent, pkce } from '../factories/authorization.js';
import { createClient, createUser, login, type TestClient, type TestUser, token } from '../factories/index.js';
import { AuthorizationCodesService } from '../../src/oauth/authorization/authorization-codes.service.js';
import { s256 } from '../../src/oauth/authorization/pkce.js';
import { FamilyAuthenticationStore } from '../../src/oauth/oidc/id-token.js';
import { UsersService } from '../../src/users/users.service.js';
import { rows } from '../factories/admin.js';
import { jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const REDIRECT = 'https://rp.example.com/cb';

/** The UserInfo endpoint (OIDC Core 1.0 §5.3) with RFC 6750 errors. */
describe('GET|POST /oauth/userinfo', () => {
  let t: TestApp;
  let rp: TestClient;
  let passwordApp: TestClient;
  let service: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    rp = await createClient(t, { grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT], scopes: ['read'] });
    passwordApp = await createClient(t, { scopes: ['read'] });
    service = await createClient(t, { grantTypes: ['client_credentials'], scopes: ['openid'] });
    user = await createUser(t);
    await t.app.get(UsersService).update(user.user.id, { email: 'ada@example.com', name: 'Ada Lovelace' }, 'test');
  });
  afterAll(async () => {
    await t.close();
  });

  /** An access token from the code flow, the way /authorize mints its codes. */
  async function accessToken(scope: string[], forUser: TestUser = user): Promise<string> {
    const verifier = randomBytes(32).toString('base64url');
    const code = await t.app.get(AuthorizationCodesService).issue({
      client: rp.client,
      userId: forUser.user.id,
      redirectUri: REDIRECT,
      redirectUriSent: true,
      codeChallenge: s256(verifier),
      scope,
      authTime: new Date(t.clock.now()),
    });
    const result = await token(t, rp, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT });
    expect(result.status).toBe(200);
    return result.body.access_token as string;
  }

  const userinfo = (bearer: string | undefined, method = 'GET') =>
    fetch(`${t.url}/oauth/userinfo`, { method, headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` } });

  it('answers sub and the claims of the granted scopes, by GET and by POST, never cached', async () => {
    const all = await accessToken(['openid', 'profile', 'email']);
    for (const method of ['GET', 'POST']) {
      const response = await userinfo(all, method);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({
        sub: user.user.id,
        preferred_username: user.username,
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        email_verified: false,
      });
    }
    expect(await (await userinfo(await accessToken(['openid']))).json()).toEqual({ sub: user.user.id });
    expect(await (await userinfo(await accessToken(['openid', 'email', 'read']))).json()).toEqual({
      sub: user.user.id,
      email: 'ada@example.com',
      email_verified: false,
    });
  });

  it('serves a third-party client that asked /authorize for openid profile email without registering them', async () => {
    const shop = await createClient(t, { type: 'public', grantTypes: ['authorization_code'], redirectUris: ['https://shop.example.com/cb'], scopes: ['read'] });
    const agent = new PageAgent(t);
    const { verifier, challenge } = pkce();
    const params = authorizationParams(shop, challenge, { scope: 'openid profile email read', nonce: 'n-0S6_WzA2Mj' });
    const consent = await agent.login(await agent.authorize(params), user);
    expect(consent.location?.toString()).toBeUndefined();
    expect(consent.status).toBe(200);
    for (const scope of ['openid', 'profile', 'email', 'read']) expect(consent.text).toContain(`<code>${scope}</code>`);
    const allowed = await agent.submit(consent, { decision: 'allow' });
    expect(allowed.status).toBe(303);
    const code = allowed.location!.searchParams.get('code')!;
    const tokens = await token(t, shop, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: params.redirect_uri });
    expect(tokens.body.scope).toBe('openid profile email read');
    // What ID tokens on refresh will repeat (OIDC Core §12.2): this login session and its auth_time.
    const familyId = jwtClaims(tokens.body.access_token as string).sid as string;
    const [family] = await rows<{ login_session_id: string; auth_time: Date }>(t, `SELECT login_session_id, auth_time FROM families WHERE id = $1`, [familyId]);
    expect(family.login_session_id).toEqual(expect.any(String));
    expect(family.auth_time).toBeInstanceOf(Date);
    expect(await t.app.get(FamilyAuthenticationStore).find(familyId)).toEqual({ authTime: family.auth_time, amr: ['pwd'], sid: family.login_session_id });
    await rows(t, `DELETE FROM login_sessions WHERE id = $1`, [family.login_session_id]);
    expect(await t.app.get(FamilyAuthenticationStore).find(familyId)).toEqual({ authTime: family.auth_time, amr: ['pwd'], sid: family.login_session_id });

    const response = await userinfo(tokens.body.access_token as string);
    expect(await response.json()).toEqual({
      sub: user.user.id,
      preferred_username: user.username,
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      email_verified: false,
    });
  });

  it('a family started outside a login session is its own sid for ID tokens', async () => {
    const familyId = jwtClaims(await accessToken(['openid'])).sid as string;
    const found = await t.app.get(FamilyAuthenticationStore).find(familyId);
    expect(found).toEqual({ authTime: new Date(t.clock.now()), amr: ['pwd'], sid: familyId });
  });

  it('leaves out claims the user has no value for', async () => {
    const plain = await createUser(t);
    expect(await (await userinfo(await accessToken(['openid', 'profile', 'email'], plain))).json()).toEqual({
      sub: plain.user.id,
      preferred_username: plain.username,
    });
  });

  it('answers 401 invalid_token with a Bearer challenge for no token, a bad one, a refresh token, or one of no user', async () => {
    const missing = await userinfo(undefined);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="tessera"');

    const session = await login(t, passwordApp, user);
    const clientToken = (await token(t, service, { grant_type: 'client_credentials', scope: 'openid' })).body.access_token as string;
    for (const bad of ['not-a-token', session.refresh_token, clientToken]) {
      const response = await userinfo(bad);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="tessera", error="invalid_token"');
      expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
    }
  });

  it('answers 403 insufficient_scope naming openid for a token without it', async () => {
    const session = await login(t, passwordApp, user, 'read');
    const response = await userinfo(session.access_token);
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="tessera", error="insufficient_scope", scope="openid"');
    expect(((await response.json()) as { error: string }).error).toBe('insufficient_scope');
  });

  it('stops answering once the user is disabled', async () => {
    const other = await createUser(t);
    const bearer = await accessToken(['openid', 'profile'], other);
    expect((await userinfo(bearer)).status).toBe(200);
    await t.app.get(UsersService).disable(other.user.id, 'test');
    expect((await userinfo(bearer)).status).toBe(401);
  });
});
