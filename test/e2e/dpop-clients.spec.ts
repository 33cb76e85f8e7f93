import { calculateJwkThumbprint, exportJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { PageAgent } from '../factories/authorization.js';
import { createClient, createUser, type TestClient } from '../factories/index.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';

/** RFC 7638, computed by jose rather than by Tessera's own code. */
async function thumbprint(publicKey: Parameters<typeof exportJWK>[0]): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(publicKey));
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
}

/**
 * DPoP (RFC 9449) as client libraries do it: openid-client and oauth4webapi make the key
 * pair, the proofs and the nonce retry themselves; Tessera binds what it issues.
 */
describe('DPoP clients against Tessera', () => {
  let t: TestApp;
  let app: TestClient;
  let rs: TestClient;
  let config: client.Configuration;
  let asResourceServer: client.Configuration;

  beforeAll(async () => {
    t = await startAtOwnIssuer({});
    app = await createClient(t, { grantTypes: ['password', 'refresh_token', 'client_credentials'], scopes: ['read', 'openid'] });
    rs = await createClient(t, { grantTypes: ['client_credentials'], introspect: true });
    const discover = (who: TestClient) =>
      client.discovery(new URL(t.url), who.id, who.secret, client.ClientSecretBasic(who.secret), { execute: [client.allowInsecureRequests] });
    config = await discover(app);
    asResourceServer = await discover(rs);
  });
  afterAll(async () => { await t?.close(); });

  it('openid-client: client_credentials with a DPoP key gets a bound token, nonce retry included', async () => {
    const keyPair = await client.randomDPoPKeyPair();
    const DPoP = client.getDPoPHandle(config, keyPair);
    const tokens = await client.clientCredentialsGrant(config, { scope: 'read' }, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    const jkt = await thumbprint(keyPair.publicKey);
    expect(claimsOf(tokens.access_token).cnf).toEqual({ jkt });
    expect(await client.tokenIntrospection(asResourceServer, tokens.access_token)).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });
  });

  it('openid-client: password and refresh stay bound to one key, userinfo takes the bound token, another key is refused', async () => {
    const user = await createUser(t);
    const keyPair = await client.randomDPoPKeyPair('EdDSA');
    const DPoP = client.getDPoPHandle(config, keyPair);
    const tokens = await client.genericGrantRequest(config, 'password', { username: user.username, password: user.password, scope: 'openid read' }, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    const info = await client.fetchUserInfo(config, tokens.access_token, user.user.id, { DPoP });
    expect(info.sub).toBe(user.user.id);

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
    expect(refreshed.token_type).toBe('dpop');
    expect(claimsOf(refreshed.access_token).cnf).toEqual({ jkt: await thumbprint(keyPair.publicKey) });

    // A thief with the refresh token and a key of its own gets nothing; the owner carries on.
    const thief = client.getDPoPHandle(config, await client.randomDPoPKeyPair());
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!, undefined, { DPoP: thief })).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const owner = await client.refreshTokenGrant(config, refreshed.refresh_token!, undefined, { DPoP });
    expect(owner.token_type).toBe('dpop');
  });

  it('openid-client: the code flow of a public client, with dpop_jkt, binds its tokens and refreshes them with the same key', async () => {
    const redirectUri = 'http://127.0.0.1:5173/cb';
    const rp = await createClient(t, { type: 'public', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [redirectUri], scopes: ['read'], firstParty: true });
    const user = await createUser(t);
    const rpConfig = await client.discovery(new URL(t.url), rp.id, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    const DPoP = client.getDPoPHandle(rpConfig, await client.randomDPoPKeyPair());
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(rpConfig, {
      redirect_uri: redirectUri,
      scope: 'openid read',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce: 'n-0S6_WzA2Mj',
      // RFC 9449 §10: the code is redeemable only with a proof of this key.
      dpop_jkt: await DPoP.calculateThumbprint(),
    });
    const agent = new PageAgent(t);
    const back = await agent.login(await agent.authorize(url.search.slice(1)), user);
    const tokens = await client.authorizationCodeGrant(
      rpConfig, back.location!, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: 'n-0S6_WzA2Mj' }, undefined, { DPoP },
    );
    expect(tokens.token_type).toBe('dpop');
    expect((await client.fetchUserInfo(rpConfig, tokens.access_token, user.user.id, { DPoP })).sub).toBe(user.user.id);
    const refreshed = await client.refreshTokenGrant(rpConfig, tokens.refresh_token!, undefined, { DPoP });
    expect(refreshed.token_type).toBe('dpop');
    const other = client.getDPoPHandle(rpConfig, await client.randomDPoPKeyPair());
    await expect(client.refreshTokenGrant(rpConfig, refreshed.refresh_token!, undefined, { DPoP: other })).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('oauth4webapi: client_credentials with DPoP, retrying once with the server nonce', async () => {
    const as = await oauth.processDiscoveryResponse(
      new URL(t.url),
      await oauth.discoveryRequest(new URL(t.url), { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }),
    );
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP({}, keyPair);
    const request = () =>
      oauth.clientCredentialsGrantRequest(as, { client_id: app.id }, oauth.ClientSecretBasic(app.secret!), new URLSearchParams({ scope: 'read' }), {
        DPoP, [oauth.allowInsecureRequests]: true,
      });
    // RFC 9449 §8: the first proof has no nonce; the handle learns it from DPoP-Nonce.
    const refused: unknown = await oauth.processClientCredentialsResponse(as, { client_id: app.id }, await request()).catch((error: unknown) => error);
    expect(oauth.isDPoPNonceError(refused)).toBe(true);
    const result = await oauth.processClientCredentialsResponse(as, { client_id: app.id }, await request());
    expect(result.token_type).toBe('dpop');
    expect(claimsOf(result.access_token).cnf).toEqual({ jkt: await thumbprint(keyPair.publicKey) });
  });
});
