import * as oauth from 'oauth4webapi';
import { SIGNING_ALGS, type SigningAlg } from '../../src/config/config.js';
import { createClient, createUser, type TestClient, type TestUser } from '../factories/index.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';

/**
 * Tessera as a standard OAuth client library sees it: oauth4webapi discovers it (RFC 8414),
 * runs the password, refresh_token and client_credentials grants against it, and, acting
 * as a resource server, validates every access token per RFC 9068 against the JWKS.
 * Once per signing algorithm, each with its own server.
 */

/** the resource server's audience, set explicitly instead of the issuer default */
const AUDIENCE = 'https://api.example';

/** The test server speaks plain http on 127.0.0.1; oauth4webapi refuses that unless told. */
const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** The rejection of `promise`; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  let settled: unknown;
  try {
    settled = await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(settled)}`);
}

function joseHeader(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe.each(SIGNING_ALGS)('oauth4webapi against Tessera signing with %s', (alg: SigningAlg) => {
  let t: TestApp;
  let issuer: URL;
  let as: oauth.AuthorizationServer;
  const discoveryUrls: string[] = [];
  let confidential: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startAtOwnIssuer({ SIGNING_ALG: alg, ACCESS_TOKEN_AUDIENCE: AUDIENCE, REFRESH_REUSE_GRACE: '10' });
    issuer = new URL(t.url);
    const response = await oauth.discoveryRequest(issuer, {
      algorithm: 'oauth2',
      ...insecure,
      [oauth.customFetch]: (url: string, init: RequestInit) => {
        discoveryUrls.push(url);
        return fetch(url, init);
      },
    });
    as = await oauth.processDiscoveryResponse(issuer, response);
    confidential = await createClient(t, { grantTypes: ['password', 'refresh_token', 'client_credentials'], scopes: ['read', 'write'] });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  function clientOf(client: TestClient): { client: oauth.Client; auth: oauth.ClientAuth } {
    if (client.secret === undefined) throw new Error('a confidential client was expected');
    return { client: { client_id: client.id }, auth: oauth.ClientSecretBasic(client.secret) };
  }

  /**
   * A resource server validating a Bearer token with oauth4webapi (RFC 6750, RFC 9068):
   * typ at+jwt, signature against the discovered JWKS, iss, aud, exp, and the presence and
   * types of iat, jti, client_id and sub. Its clock is the server's clock (the skew is what
   * the test has moved the injected clock by), with no tolerance at all on exp.
   */
  function validateAt(accessToken: string, audience = AUDIENCE): Promise<oauth.JWTAccessTokenClaims> {
    const request = new Request(`${AUDIENCE}/resource`, { headers: { authorization: `Bearer ${accessToken}` } });
    return oauth.validateJwtAccessToken(as, request, audience, {
      ...insecure,
      signingAlgorithms: [alg],
      [oauth.clockSkew]: (t.clock.now() - Date.now()) / 1000,
      [oauth.clockTolerance]: 0,
    });
  }

  async function passwordGrant(client: TestClient, who: TestUser, scope?: string): Promise<oauth.TokenEndpointResponse> {
    const { client: c, auth } = clientOf(client);
    const parameters: Record<string, string> = { username: who.username, password: who.password, ...(scope ? { scope } : {}) };
    const response = await oauth.genericTokenEndpointRequest(as, c, auth, 'password', parameters, insecure);
    return oauth.processGenericTokenEndpointResponse(as, c, response);
  }

  async function refreshGrant(client: TestClient, refreshToken: string): Promise<oauth.TokenEndpointResponse> {
    const { client: c, auth } = clientOf(client);
    const response = await oauth.refreshTokenGrantRequest(as, c, auth, refreshToken, insecure);
    return oauth.processRefreshTokenResponse(as, c, response);
  }

  it('is discovered through RFC 8414 metadata whose issuer is the URL it was fetched from', () => {
    expect(t.url).toBe(`http://127.0.0.1:${issuer.port}`);
    expect(discoveryUrls).toEqual([`${t.url}/.well-known/oauth-authorization-server`]);
    expect(as.issuer).toBe(t.url);
    expect(as.token_endpoint).toBe(`${t.url}/oauth/token`);
    expect(as.jwks_uri).toBe(`${t.url}/oauth/jwks`);
    expect(as.introspection_endpoint).toBe(`${t.url}/oauth/introspect`);
    expect(as.revocation_endpoint).toBe(`${t.url}/oauth/revoke`);
    expect(as.grant_types_supported).toEqual(expect.arrayContaining(['password', 'refresh_token', 'client_credentials']));
    expect(as.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post']));
  });

  it('refuses metadata for another issuer (the library really compares it)', async () => {
    const other = new URL('http://127.0.0.1:1');
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure });
    const error = await rejectionOf(oauth.processDiscoveryResponse(other, response));
    expect(error).toBeInstanceOf(oauth.OperationProcessingError);
    expect((error as oauth.OperationProcessingError).code).toBe(oauth.JSON_ATTRIBUTE_COMPARISON);
  });

  it('password grant, then two refreshes: each response and each access token pass the library', async () => {
    const login = await passwordGrant(confidential, user, 'read write');
    expect(login.token_type).toBe('bearer'); // the library lower-cases "Bearer"
    expect(login.expires_in).toBe(t.config.accessTokenTtl);
    expect(login.scope).toBe('read write');
    expect(typeof login.refresh_token).toBe('string');

    const second = await refreshGrant(confidential, login.refresh_token!);
    const third = await refreshGrant(confidential, second.refresh_token!);
    for (const response of [second, third]) {
      expect(response.token_type).toBe('bearer');
      expect(response.expires_in).toBe(t.config.accessTokenTtl);
      expect(response.scope).toBe('read write');
    }
    // rotation: every refresh returns a new refresh token
    const refreshTokens = [login.refresh_token, second.refresh_token, third.refresh_token];
    expect(refreshTokens.every((token) => typeof token === 'string')).toBe(true);
    expect(new Set(refreshTokens).size).toBe(3);

    const jwks = (await (await fetch(as.jwks_uri!)).json()) as { keys: Array<{ kid: string; alg: string; use: string }> };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys.every((key) => key.alg === alg && key.use === 'sig')).toBe(true);

    const claims: oauth.JWTAccessTokenClaims[] = [];
    for (const response of [login, second, third]) {
      const header = joseHeader(response.access_token);
      expect(header).toMatchObject({ typ: 'at+jwt', alg });
      expect(jwks.keys.map((key) => key.kid)).toContain(header.kid);
      const validated = await validateAt(response.access_token);
      expect(validated).toMatchObject({
        iss: t.url,
        aud: AUDIENCE,
        sub: user.user.id,
        client_id: confidential.id,
        scope: 'read write',
      });
      expect(validated.exp - validated.iat).toBe(t.config.accessTokenTtl);
      expect(typeof validated.sid).toBe('string');
      claims.push(validated);
    }
    // one login session: the same sid across the whole refresh chain, a new jti each time
    expect(new Set(claims.map((c) => c.sid)).size).toBe(1);
    expect(new Set(claims.map((c) => c.jti)).size).toBe(3);
  });

  it('reuse of a rotated refresh token after the grace window is invalid_grant and kills the family', async () => {
    const login = await passwordGrant(confidential, user);
    const second = await refreshGrant(confidential, login.refresh_token!);
    const third = await refreshGrant(confidential, second.refresh_token!);
    expect(third.refresh_token).not.toBe(second.refresh_token);

    t.clock.advance(t.config.refreshReuseGrace + 1);
    const reuse = await rejectionOf(refreshGrant(confidential, second.refresh_token!));
    expect(reuse).toBeInstanceOf(oauth.ResponseBodyError);
    expect((reuse as oauth.ResponseBodyError).status).toBe(400);
    expect((reuse as oauth.ResponseBodyError).error).toBe('invalid_grant');

    // the family was revoked on reuse: even the newest refresh token is dead now
    const newest = await rejectionOf(refreshGrant(confidential, third.refresh_token!));
    expect(newest).toBeInstanceOf(oauth.ResponseBodyError);
    expect((newest as oauth.ResponseBodyError).error).toBe('invalid_grant');
  });

  it('the resource server really checks audience and expiry', async () => {
    const login = await passwordGrant(confidential, user, 'read');
    const claims = await validateAt(login.access_token);
    // default audience would be the issuer; ACCESS_TOKEN_AUDIENCE replaced it
    const wrongAudience = await rejectionOf(validateAt(login.access_token, t.url));
    expect(wrongAudience).toBeInstanceOf(oauth.OperationProcessingError);
    expect((wrongAudience as oauth.OperationProcessingError).code).toBe(oauth.JWT_CLAIM_COMPARISON);

    // still valid a moment before exp, refused once the server's clock has passed it
    t.clock.advance(claims.exp - Math.floor(t.clock.now() / 1000) - 2);
    await expect(validateAt(login.access_token)).resolves.toMatchObject({ jti: claims.jti });
    t.clock.advance(3);
    const expired = await rejectionOf(validateAt(login.access_token));
    expect(expired).toBeInstanceOf(oauth.OperationProcessingError);
    expect((expired as oauth.OperationProcessingError).code).toBe(oauth.JWT_TIMESTAMP_CHECK);
  });

  it('client_credentials: a valid access token about the client itself, no refresh token, no sid', async () => {
    const { client, auth } = clientOf(confidential);
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'read' }, insecure);
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    expect(result.token_type).toBe('bearer');
    expect(result.scope).toBe('read');
    expect(result.refresh_token).toBeUndefined();

    const claims = await validateAt(result.access_token);
    expect(claims).toMatchObject({ iss: t.url, aud: AUDIENCE, sub: confidential.id, client_id: confidential.id, scope: 'read' });
    expect(claims).not.toHaveProperty('sid');
  });

  it('a wrong secret over Basic: 401 with a Basic challenge, and invalid_client in the body', async () => {
    const client: oauth.Client = { client_id: confidential.id };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic('not-the-secret'), {}, insecure);
    const error = await rejectionOf(oauth.processClientCredentialsResponse(as, client, response));
    expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = error as oauth.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause.map((c) => c.scheme)).toEqual(['basic']);
    expect(challenge.response.bodyUsed).toBe(false);
    expect(await challenge.response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('a wrong secret in the body: the library surfaces invalid_client from the 401', async () => {
    const client: oauth.Client = { client_id: confidential.id };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost('not-the-secret'), {}, insecure);
    const error = await rejectionOf(oauth.processClientCredentialsResponse(as, client, response));
    expect(error).toBeInstanceOf(oauth.ResponseBodyError);
    expect((error as oauth.ResponseBodyError).status).toBe(401);
    expect((error as oauth.ResponseBodyError).error).toBe('invalid_client');
  });

  it('an unknown grant type is unsupported_grant_type', async () => {
    const { client, auth } = clientOf(confidential);
    const response = await oauth.genericTokenEndpointRequest(
      as,
      client,
      auth,
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      { assertion: 'e30.e30.' },
      insecure,
    );
    const error = await rejectionOf(oauth.processGenericTokenEndpointResponse(as, client, response));
    expect(error).toBeInstanceOf(oauth.ResponseBodyError);
    expect((error as oauth.ResponseBodyError).status).toBe(400);
    expect((error as oauth.ResponseBodyError).error).toBe('unsupported_grant_type');
  });
});
