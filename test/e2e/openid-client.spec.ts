import * as client from 'openid-client';
import { UsersService } from '../../src/users/users.service.js';
import { PageAgent } from '../factories/authorization.js';
import { createClient, createUser, login, type TestClient } from '../factories/index.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';

/**
 * Tessera as openid-client (the most used Node OAuth/OIDC client) sees it: discovery
 * through the RFC 8414 document, then the grants, introspection and revocation through the
 * library's own calls, each of which validates the server's answers itself.
 */
describe('openid-client against Tessera', () => {
  let t: TestApp;
  let rs: TestClient;
  let app: TestClient;
  let config: client.Configuration;
  let asResourceServer: client.Configuration;

  beforeAll(async () => {
    t = await startAtOwnIssuer({});
    app = await createClient(t, { grantTypes: ['password', 'refresh_token', 'client_credentials'], scopes: ['read', 'write'] });
    rs = await createClient(t, { grantTypes: ['client_credentials'], introspect: true });
    const discover = (who: TestClient) =>
      client.discovery(new URL(t.url), who.id, who.secret, client.ClientSecretBasic(who.secret), {
        algorithm: 'oauth2',
        execute: [client.allowInsecureRequests],
      });
    config = await discover(app);
    asResourceServer = await discover(rs);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('accepts the metadata: issuer, endpoints and the scopes clients are registered with', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(t.url);
    expect(metadata.token_endpoint).toBe(`${t.url}/oauth/token`);
    expect(metadata.introspection_endpoint).toBe(`${t.url}/oauth/introspect`);
    expect(metadata.revocation_endpoint).toBe(`${t.url}/oauth/revoke`);
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['read', 'write']));
  });

  it('gets a client_credentials token that introspects as active, then revokes it', async () => {
    const tokens = await client.clientCredentialsGrant(config, { scope: 'read' });
    expect(tokens.token_type).toBe('bearer'); // openid-client lower-cases it
    expect(tokens.scope).toBe('read');

    const active = await client.tokenIntrospection(asResourceServer, tokens.access_token);
    expect(active).toMatchObject({ active: true, client_id: app.id, scope: 'read', token_type: 'Bearer' });

    await client.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' });
    expect(await client.tokenIntrospection(asResourceServer, tokens.access_token)).toEqual({ active: false });
  });

  it('discovers OpenID Connect by default, runs the code flow, validates the ID token with its nonce, and reads userinfo', async () => {
    const redirectUri = 'http://127.0.0.1:5173/cb';
    const rp = await createClient(t, { type: 'public', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [redirectUri], scopes: ['read'], firstParty: true });
    const user = await createUser(t);
    await t.app.get(UsersService).update(user.user.id, { email: 'grace@example.com', email_verified: true, name: 'Grace Hopper' }, 'test');
    // openid-client's default discovery: /.well-known/openid-configuration, nothing else configured.
    const rpConfig = await client.discovery(new URL(t.url), rp.id, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    expect(rpConfig.serverMetadata().userinfo_endpoint).toBe(`${t.url}/oauth/userinfo`);

    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(rpConfig, {
      nonce,
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const agent = new PageAgent(t);
    const back = await agent.login(await agent.authorize(url.search.slice(1)), user);
    expect(back.status).toBe(303);
    // The library validates the ID token itself: signature against the JWKS, iss, aud, exp, iat, nonce.
    const tokens = await client.authorizationCodeGrant(rpConfig, back.location!, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    expect(tokens.scope).toBe('openid profile email');
    expect(tokens.claims()).toMatchObject({ iss: t.url, sub: user.user.id, aud: rp.id, azp: rp.id, nonce, amr: ['pwd'] });
    expect(tokens.claims()).toHaveProperty('auth_time');
    expect(tokens.claims()).toHaveProperty('sid');
    expect(JSON.parse(Buffer.from(tokens.id_token!.split('.')[0], 'base64url').toString())).toMatchObject({ typ: 'JWT' });

    const info = await client.fetchUserInfo(rpConfig, tokens.access_token, user.user.id);
    expect(info).toEqual({
      sub: user.user.id,
      preferred_username: user.username,
      name: 'Grace Hopper',
      email: 'grace@example.com',
      email_verified: true,
    });
    await expect(client.fetchUserInfo(rpConfig, tokens.access_token, 'someone-else')).rejects.toThrow();

    // OIDC Core §12.2: a refresh brings a new ID token of the same session and authentication.
    const refreshed = await client.refreshTokenGrant(rpConfig, tokens.refresh_token!);
    const first = tokens.claims()!;
    expect(refreshed.claims()).toMatchObject({ sub: first.sub, sid: first.sid, auth_time: first.auth_time, aud: rp.id });
    expect(refreshed.claims()).not.toHaveProperty('nonce');
  });

  it('rotates a refresh token, and revoking the new one ends the family', async () => {
    const user = await createUser(t);
    const first = await login(t, app, user);
    const rotated = await client.refreshTokenGrant(config, first.refresh_token);
    expect(rotated.refresh_token).toBeDefined();
    expect(rotated.refresh_token).not.toBe(first.refresh_token);

    await client.tokenRevocation(config, rotated.refresh_token as string);
    expect(await client.tokenIntrospection(asResourceServer, rotated.access_token)).toEqual({ active: false });
    await expect(client.refreshTokenGrant(config, rotated.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
