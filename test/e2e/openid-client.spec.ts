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

  it('runs the code flow for scope openid profile email and reads the user with fetchUserInfo', async () => {
    const redirectUri = 'http://127.0.0.1:5173/cb';
    const rp = await createClient(t, { type: 'public', grantTypes: ['authorization_code'], redirectUris: [redirectUri], scopes: ['read'], firstParty: true });
    const user = await createUser(t);
    await t.app.get(UsersService).update(user.user.id, { email: 'grace@example.com', email_verified: true, name: 'Grace Hopper' }, 'test');
    // OpenID Connect discovery is not served yet: the RFC 8414 document plus the userinfo endpoint.
    const oauthMetadata = (await (await fetch(`${t.url}/.well-known/oauth-authorization-server`)).json()) as client.ServerMetadata;
    const metadata: client.ServerMetadata = { ...oauthMetadata, userinfo_endpoint: `${t.url}/oauth/userinfo` };
    const rpConfig = new client.Configuration(metadata, rp.id, undefined, client.None());
    client.allowInsecureRequests(rpConfig);

    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(rpConfig, {
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const agent = new PageAgent(t);
    const back = await agent.login(await agent.authorize(url.search.slice(1)), user);
    expect(back.status).toBe(303);
    const tokens = await client.authorizationCodeGrant(rpConfig, back.location!, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.scope).toBe('openid profile email');

    const info = await client.fetchUserInfo(rpConfig, tokens.access_token, user.user.id);
    expect(info).toEqual({
      sub: user.user.id,
      preferred_username: user.username,
      name: 'Grace Hopper',
      email: 'grace@example.com',
      email_verified: true,
    });
    await expect(client.fetchUserInfo(rpConfig, tokens.access_token, 'someone-else')).rejects.toThrow();
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
