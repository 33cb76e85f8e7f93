import { createLocalJWKSet, jwtVerify } from 'jose';
import { createClient, createUser, login, type HttpResult, readResult, type TestClient, token, type TestUser } from '../factories/index.js';
import { jwtClaims, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

/** Tessera as an SSF transmitter over HTTP: what an independent RFC 8936 receiver sees. */
describe('the Shared Signals endpoints', () => {
  let t: TestApp;
  let app: TestClient;
  let user: TestUser;
  let receiver: TestClient;
  let receiverToken: string;

  const call = async (method: string, path: string, bearer?: string, body?: unknown): Promise<HttpResult> =>
    readResult(
      await fetch(`${t.url}${path}`, {
        method,
        headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  const clientToken = async (client: TestClient, scope = 'ssf') => {
    const result = await token(t, client, { grant_type: 'client_credentials', scope });
    expect(result.status).toBe(200);
    return result.body.access_token as string;
  };
  const newReceiver = () => createClient(t, { grantTypes: ['client_credentials'], scopes: ['ssf', 'read'], introspect: true });

  beforeAll(async () => {
    t = await startTestApp();
    app = await createClient(t, { scopes: ['read', 'ssf'] });
    user = await createUser(t);
    receiver = await newReceiver();
    receiverToken = await clientToken(receiver);
  });
  afterAll(() => t.close());

  it('publishes the transmitter metadata (SSF 1.0 §7)', async () => {
    const result = await call('GET', '/.well-known/ssf-configuration');
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({
      spec_version: '1_0',
      issuer: t.config.issuer,
      jwks_uri: `${t.config.issuer}/oauth/jwks`,
      configuration_endpoint: `${t.config.issuer}/ssf/stream`,
      delivery_methods_supported: ['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936'],
    });
  });

  it('lets only client tokens with scope ssf, of clients with the introspect permission, manage streams', async () => {
    const bare = await call('POST', '/ssf/stream', undefined, {});
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const userToken = (await login(t, app, user, 'ssf')).access_token;
    const noIntrospect = await createClient(t, { grantTypes: ['client_credentials'], scopes: ['ssf'] });
    for (const bearer of [userToken, await clientToken(noIntrospect), await clientToken(receiver, 'read')]) {
      const refused = await call('POST', '/ssf/stream', bearer, {});
      expect(refused).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
      expect(refused.headers.get('www-authenticate')).toContain('scope="ssf"');
    }
  });

  it("refuses malformed configurations with 400 naming the member, and another client's stream with 404", async () => {
    expect(await call('POST', '/ssf/stream', receiverToken, { delivery: 'push' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', error_description: 'invalid body: delivery: must be an object with method (and endpoint_url for push)' },
    });
    expect((await call('POST', '/ssf/stream', receiverToken, { description: 'x'.repeat(300) })).status).toBe(400);
    expect((await call('POST', '/ssf/stream', receiverToken, { stream_id: 'chosen' })).status).toBe(400);
    const created = await call('POST', '/ssf/stream', receiverToken, {});
    expect(created.status).toBe(201);
    const other = await clientToken(await newReceiver());
    const id = created.body.stream_id as string;
    expect(await call('GET', `/ssf/stream?stream_id=${id}`, other)).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect((await call('POST', `/ssf/poll/${id}`, other, {})).status).toBe(404);
    expect((await call('DELETE', `/ssf/stream?stream_id=${id}`, other)).status).toBe(404);
  });

  it('delivers a revoked session as a verifiable session-revoked SET by poll, until acknowledged', async () => {
    const created = await call('POST', '/ssf/stream', receiverToken, { events_requested: [SESSION_REVOKED, VERIFICATION] });
    expect(created).toMatchObject({ status: 201, body: { iss: t.config.issuer, aud: receiver.id, events_delivered: [SESSION_REVOKED] } });
    const id = created.body.stream_id as string;
    const endpoint = (created.body.delivery as { endpoint_url: string }).endpoint_url.replace(t.config.issuer, '');
    const backlog = await call('POST', endpoint, receiverToken, { returnImmediately: true, maxEvents: 1000 });
    await call('POST', endpoint, receiverToken, { maxEvents: 0, ack: Object.keys(backlog.body.sets as object) });

    const tokens = await login(t, app, user);
    expect((await revoke(t, app, tokens.refresh_token)).status).toBe(200);
    const polled = await call('POST', endpoint, receiverToken, { returnImmediately: true });
    expect(polled.status).toBe(200);
    expect(polled.headers.get('cache-control')).toBe('no-store');
    const sets = Object.entries(polled.body.sets as Record<string, string>);
    expect(sets).toHaveLength(1);
    const jwks = createLocalJWKSet((await (await fetch(`${t.url}/oauth/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0]);
    const { payload } = await jwtVerify(sets[0][1], jwks, { typ: 'secevent+jwt', issuer: t.config.issuer, audience: receiver.id });
    expect(payload).toMatchObject({ jti: sets[0][0], sub_id: { session: { id: jwtClaims(tokens.access_token).sid } }, events: { [SESSION_REVOKED]: {} } });

    await call('POST', endpoint, receiverToken, { maxEvents: 0, ack: [sets[0][0]] });
    expect((await call('POST', endpoint, receiverToken, { returnImmediately: true })).body).toEqual({ sets: {} });
    expect((await call('GET', `/ssf/status?stream_id=${id}`, receiverToken)).body).toEqual({ stream_id: id, status: 'enabled' });
  });

  it('lets a held long poll go when the server shuts down, instead of holding the shutdown', async () => {
    const own = await startTestApp();
    const client = await createClient(own, { grantTypes: ['client_credentials'], scopes: ['ssf'], introspect: true });
    const bearer = (await token(own, client, { grant_type: 'client_credentials', scope: 'ssf' })).body.access_token as string;
    const headers = { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' };
    const created = (await (await fetch(`${own.url}/ssf/stream`, { method: 'POST', headers, body: '{}' })).json()) as { stream_id: string };
    const drain = async () => (await (await fetch(`${own.url}/ssf/poll/${created.stream_id}`, { method: 'POST', headers, body: '{"returnImmediately":true,"maxEvents":1000}' })).json()) as { sets: object };
    await fetch(`${own.url}/ssf/poll/${created.stream_id}`, { method: 'POST', headers, body: JSON.stringify({ maxEvents: 0, ack: Object.keys((await drain()).sets) }) });
    const held = fetch(`${own.url}/ssf/poll/${created.stream_id}`, { method: 'POST', headers, body: '{}' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await (await held).json()).toEqual({ sets: {} });
  });

  it('answers a verification request on the stream, and deletes a stream', async () => {
    const id = (await call('POST', '/ssf/stream', receiverToken, {})).body.stream_id as string;
    const backlog = await call('POST', `/ssf/poll/${id}`, receiverToken, { returnImmediately: true, maxEvents: 1000 });
    await call('POST', `/ssf/poll/${id}`, receiverToken, { maxEvents: 0, ack: Object.keys(backlog.body.sets as object) });
    expect((await call('POST', '/ssf/verify', receiverToken, { stream_id: id, state: 'are-you-there' })).status).toBe(204);
    const polled = await call('POST', `/ssf/poll/${id}`, receiverToken, { returnImmediately: true });
    const [set] = Object.values(polled.body.sets as Record<string, string>);
    expect(jwtClaims(set).events).toEqual({ [VERIFICATION]: { state: 'are-you-there' } });
    expect((await call('POST', '/ssf/status', receiverToken, { stream_id: id, status: 'paused', reason: 'deploy' })).body).toEqual({
      stream_id: id,
      status: 'paused',
      reason: 'deploy',
    });
    expect((await call('DELETE', `/ssf/stream?stream_id=${id}`, receiverToken)).status).toBe(204);
    expect((await call('GET', `/ssf/stream?stream_id=${id}`, receiverToken)).status).toBe(404);
  });
});
