import * as oauth from 'oauth4webapi';
import simpleOauth2 from 'simple-oauth2';
import { PageAgent } from '../factories/authorization.js';
import { createClient, createUser, type TestClient, type TestUser } from '../factories/index.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';

const REDIRECT = 'http://127.0.0.1:8400/callback';

/**
 * The authorization code flow through two more client libraries' own main paths: the
 * browser's part (login page, consent page) is played over HTTP; everything the
 * application does is the library's.
 */
describe('client libraries through the authorization code flow', () => {
  let t: TestApp;
  let user: TestUser;
  let web: TestClient;
  let spa: TestClient;

  beforeAll(async () => {
    t = await startAtOwnIssuer({});
    web = await createClient(t, { grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT], scopes: ['read'] });
    spa = await createClient(t, { type: 'public', grantTypes: ['authorization_code'], redirectUris: [REDIRECT], scopes: ['read'], firstParty: true });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** What a person does with the URL the library built: log in, allow; the redirect back. */
  async function browse(url: string): Promise<URL> {
    const agent = new PageAgent(t);
    let page = await agent.authorize(new URL(url).search.slice(1));
    page = await agent.login(page, user);
    if (page.status === 200) page = await agent.submit(page, { decision: 'allow' });
    expect(page.status).toBe(303);
    return page.location!;
  }

  it('simple-oauth2 (confidential client, Basic authentication) with PKCE S256', async () => {
    const client = new simpleOauth2.AuthorizationCode({
      client: { id: web.id, secret: web.secret! },
      auth: { tokenHost: t.url, tokenPath: '/oauth/token', authorizeHost: t.url, authorizePath: '/oauth/authorize' },
      options: { authorizationMethod: 'header' },
    });
    const verifier = oauth.generateRandomCodeVerifier();
    // The library sends every parameter it is given; its types name only the classic three.
    const url = client.authorizeURL({
      redirect_uri: REDIRECT,
      scope: 'read',
      state: 'simple-state',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    } as Parameters<typeof client.authorizeURL>[0]);
    const back = await browse(url);
    expect(back.searchParams.get('state')).toBe('simple-state');
    const token = await client.getToken({ code: back.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier } as simpleOauth2.AuthorizationTokenConfig);
    expect(token.token).toMatchObject({ token_type: 'Bearer', scope: 'read', refresh_token: expect.any(String) });
    const refreshed = await token.refresh();
    expect(refreshed.token.access_token).not.toBe(token.token.access_token);
  });

  it('oauth4webapi (public client) validates the response, iss included, and exchanges the code', async () => {
    const issuer = new URL(t.url);
    const options = { [oauth.allowInsecureRequests]: true };
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...options }));
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
    const client: oauth.Client = { client_id: spa.id };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: spa.id,
      redirect_uri: REDIRECT,
      scope: 'read',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const back = await browse(url.href);
    const params = oauth.validateAuthResponse(as, client, back, state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT, verifier, options);
    const result = await oauth.processAuthorizationCodeResponse(as, client, response);
    expect(result).toMatchObject({ token_type: 'bearer', scope: 'read' });
    expect(result.refresh_token).toBeUndefined();

    // A response with another issuer's iss is refused by the library (RFC 9207 §2.4).
    const forged = new URL(back);
    forged.searchParams.set('iss', 'https://evil.example');
    expect(() => oauth.validateAuthResponse(as, client, forged, state)).toThrow();
  });
});
