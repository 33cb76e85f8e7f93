import * as oauth from 'oauth4webapi';
import simpleOauth2 from 'simple-oauth2';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { introspect, isActive } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

/**
 * RFC 7009 revocation as client libraries call it. simple-oauth2 parses every answer as
 * JSON: on an empty, content-type-less 200 its revokeAll() threw after the access token
 * and never revoked the refresh token.
 */
describe('client libraries revoking tokens at Tessera', () => {
  let t: TestApp;
  let app: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    app = await createClient(t, { grantTypes: ['password', 'refresh_token'], scopes: ['read'] });
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], introspect: true });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it("simple-oauth2's revokeAll() ends the access token and the refresh token", async () => {
    const client = new simpleOauth2.ResourceOwnerPassword({
      client: { id: app.id, secret: app.secret ?? '' },
      auth: { tokenHost: t.url, tokenPath: '/oauth/token', revokePath: '/oauth/revoke' },
      options: { authorizationMethod: 'header' },
    });
    const accessToken = await client.getToken({ username: user.username, password: user.password, scope: 'read' });
    const { access_token, refresh_token } = accessToken.token as { access_token: string; refresh_token: string };
    expect(await isActive(t, resourceServer, access_token)).toBe(true);

    await accessToken.revokeAll();

    // Revoking the access token alone leaves the refresh token live: both dead proves both calls.
    expect(await isActive(t, resourceServer, access_token)).toBe(false);
    expect(await isActive(t, resourceServer, refresh_token)).toBe(false);
    await expect(accessToken.refresh()).rejects.toMatchObject({ output: { statusCode: 400 } });
  });

  it("oauth4webapi's revocation request is processed as a success", async () => {
    const session = await login(t, app, user);
    const as: oauth.AuthorizationServer = { issuer: t.url, revocation_endpoint: `${t.url}/oauth/revoke` };
    const response = await oauth.revocationRequest(as, { client_id: app.id }, oauth.ClientSecretBasic(app.secret ?? ''), session.refresh_token, {
      [oauth.allowInsecureRequests]: true,
    });
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    await expect(oauth.processRevocationResponse(response)).resolves.toBeUndefined();
    expect((await introspect(t, resourceServer, session.access_token)).body).toEqual({ active: false });
  });
});
