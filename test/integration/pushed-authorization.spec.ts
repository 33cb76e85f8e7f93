import { authorizationParams, formOf, PageAgent, type PageResult, pkce } from '../factories/authorization.js';
import { createClient, createUser, postForm, type TestClient, type TestUser, token } from '../factories/index.js';
import { JanitorService } from '../../src/janitor/janitor.service.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ISSUER = 'http://tessera.test';
const PREFIX = 'urn:ietf:params:oauth:request_uri:';

/** POST /oauth/par (RFC 9126) and its request_uri at /oauth/authorize. */
describe('pushed authorization requests', () => {
  let t: TestApp;
  let web: TestClient;
  let strict: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ ISSUER });
    const common = { grantTypes: ['authorization_code'], scopes: ['read'], firstParty: true };
    web = await createClient(t, { ...common, redirectUris: ['https://web.example.com/cb'] });
    strict = await createClient(t, { ...common, redirectUris: ['https://strict.example.com/cb'], requirePar: true });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const push = (client: TestClient, params: Record<string, string>) => postForm(t, '/oauth/par', params, { authorization: client.basic });

  async function pushed(client: TestClient, extra: Record<string, string> = {}) {
    const { verifier, challenge } = pkce();
    const { client_id: _, ...params } = authorizationParams(client, challenge, extra);
    const result = await push(client, params);
    expect(result.status).toBe(201);
    return { verifier, params, requestUri: result.body.request_uri as string, result };
  }

  function expectErrorPage(page: PageResult) {
    expect(page.status).toBe(400);
    expect(page.location).toBeUndefined();
    expect(page.text).toContain('invalid_request_uri');
  }

  it('answers a request_uri for one authorization; the browser carries only client_id and request_uri', async () => {
    const { verifier, params, requestUri, result } = await pushed(web, { scope: 'read' });
    expect(result.headers.get('cache-control')).toBe('no-store');
    expect(result.body).toEqual({ request_uri: expect.stringMatching(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/), expires_in: 60 });

    const agent = new PageAgent(t);
    const page = await agent.authorize({ client_id: web.id, request_uri: requestUri });
    expect(page.status).toBe(200);
    expect(Object.keys(formOf(page.text).fields).sort()).toEqual(['client_id', 'csrf_token', 'request_uri']);
    const done = await agent.login(page, user);
    expect(done.status).toBe(303);
    expect(Object.fromEntries(done.location!.searchParams)).toEqual({ code: expect.any(String), state: params.state, iss: ISSUER });
    const exchanged = await token(t, web, { grant_type: 'authorization_code', code: done.location!.searchParams.get('code')!, code_verifier: verifier, redirect_uri: params.redirect_uri });
    expect(exchanged.status).toBe(200);

    // Used: the same request_uri serves no second authorization, even with a session.
    expectErrorPage(await agent.authorize({ client_id: web.id, request_uri: requestUri }));
  });

  it('refuses a tampered, expired, or another client\'s request_uri with a page, never a redirect', async () => {
    const { requestUri } = await pushed(web);
    const agent = new PageAgent(t);
    expectErrorPage(await agent.authorize({ client_id: web.id, request_uri: `${requestUri.slice(0, -1)}${requestUri.endsWith('A') ? 'B' : 'A'}` }));
    expectErrorPage(await agent.authorize({ client_id: web.id, request_uri: `${PREFIX}not-one-of-ours` }));
    expectErrorPage(await agent.authorize({ client_id: strict.id, request_uri: requestUri }));
    t.clock.advance(61);
    expectErrorPage(await agent.authorize({ client_id: web.id, request_uri: requestUri }));
  });

  it('a client registered --require-par gets invalid_request for a plain request, and its pushed one works', async () => {
    const plain = authorizationParams(strict, pkce().challenge);
    const refused = await new PageAgent(t).authorize(plain);
    expect(refused.status).toBe(302);
    expect(refused.location!.searchParams.get('error')).toBe('invalid_request');
    expect(refused.location!.searchParams.get('state')).toBe(plain.state);

    const { requestUri } = await pushed(strict);
    expect((await new PageAgent(t).authorize({ client_id: strict.id, request_uri: requestUri })).status).toBe(200);
  });

  it.each<[string, Record<string, string>, string]>([
    ['plain PKCE', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['an unregistered redirect URI', { redirect_uri: 'https://evil.example/cb' }, 'invalid_request'],
    ['a request_uri', { request_uri: `${PREFIX}x` }, 'invalid_request'],
    ['another client\'s client_id', { client_id: 'someone-else' }, 'invalid_request'],
    ['an unregistered scope', { scope: 'admin' }, 'invalid_scope'],
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
  ])('refuses to push %s with a JSON error', async (_case, extra, error) => {
    const { client_id: _, ...params } = authorizationParams(web, pkce().challenge, extra);
    const result = await push(web, { ...params, ...(extra.client_id ? { client_id: extra.client_id } : {}) });
    expect(result.status).toBe(400);
    expect(result.body.error).toBe(error);
  });

  it('the janitor deletes expired pushed requests and keeps live ones', async () => {
    const [{ n }] = await t.db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM pushed_authorization_requests`);
    expect(n).toBeGreaterThan(0);
    t.clock.advance(3_600);
    const { requestUri } = await pushed(web);
    expect(await t.app.get(JanitorService).runOnce({ wait: true })).toMatchObject({ pushed_authorization_requests: n });
    expect((await new PageAgent(t).authorize({ client_id: web.id, request_uri: requestUri })).status).toBe(200);
  });

  it('authenticates the client', async () => {
    const { client_id: _, ...params } = authorizationParams(web, pkce().challenge);
    const result = await postForm(t, '/oauth/par', params, { authorization: `Basic ${Buffer.from(`${web.id}:wrong`).toString('base64')}` });
    expect(result.status).toBe(401);
    expect(result.body.error).toBe('invalid_client');
  });
});

describe('REQUIRE_PAR=true', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ISSUER, REQUIRE_PAR: 'true' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('says so in the metadata, and every client must push its requests', async () => {
    const metadata = await (await fetch(`${t.url}/.well-known/oauth-authorization-server`)).json();
    expect(metadata).toMatchObject({ require_pushed_authorization_requests: true, pushed_authorization_request_endpoint: `${ISSUER}/oauth/par` });
    const client = await createClient(t, { grantTypes: ['authorization_code'], redirectUris: ['https://any.example.com/cb'], scopes: ['read'] });
    const plain = await new PageAgent(t).authorize(authorizationParams(client, pkce().challenge));
    expect(plain.location!.searchParams.get('error')).toBe('invalid_request');
    const { client_id: _, ...params } = authorizationParams(client, pkce().challenge);
    const pushed = await postForm(t, '/oauth/par', params, { authorization: client.basic });
    expect((await new PageAgent(t).authorize({ client_id: client.id, request_uri: pushed.body.request_uri as string })).status).toBe(200);
  });
});
