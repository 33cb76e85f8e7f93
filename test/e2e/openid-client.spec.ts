import * as client from 'openid-client';
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
