import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

interface GuideOptions {
  issuer: string;
  audience: string;
  jwksUri?: string;
  introspectionEndpoint?: string;
  clientId?: string;
  clientSecret?: string;
}

/** The exports of examples/resource-server.mjs, the code the README's resource-server guide shows. */
interface Guide {
  tesseraTokens(options: GuideOptions): {
    verify(token: string): Promise<Record<string, unknown>>;
    introspect(token: string): Promise<Record<string, unknown> | undefined>;
  };
  createResourceServer(options: GuideOptions): Server;
}

const ISSUER = 'http://tessera.test';
const AUDIENCE = 'https://api.example.com';

describe('the resource-server guide, run against a live Tessera', () => {
  let t: TestApp;
  let guide: Guide;
  let options: GuideOptions;
  let app: TestClient;
  let user: TestUser;
  let api: Server;
  let apiUrl: string;

  const call = async (method: string, path: string, token?: string) => {
    const response = await fetch(`${apiUrl}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    t = await startTestApp({ ISSUER });
    // jose checks exp against the real time: run Tessera's injected clock from now.
    t.clock.advance((Date.now() - t.clock.now()) / 1000);
    guide = (await import(fileURLToPath(new URL('../../examples/resource-server.mjs', import.meta.url)))) as Guide;
    app = await createClient(t, { audience: AUDIENCE, scopes: ['read', 'write'] });
    const resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(t);
    options = {
      issuer: ISSUER,
      audience: AUDIENCE,
      // The test server listens on a port, not on its issuer's host name.
      jwksUri: `${t.url}/oauth/jwks`,
      introspectionEndpoint: `${t.url}/oauth/introspect`,
      clientId: resourceServer.id,
      clientSecret: resourceServer.secret,
    };
    api = guide.createResourceServer(options);
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => api.close(resolve));
    await t.close();
  });

  it('verifies a token offline with jose: signature, typ at+jwt, issuer, audience', async () => {
    const { access_token } = await login(t, app, user, 'read write');
    const claims = await guide.tesseraTokens(options).verify(access_token);
    expect(claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: user.user.id, client_id: app.id, scope: 'read write' });
  });

  it('refuses offline a token for another audience, another issuer, a tampered one and an expired one', async () => {
    const tokens = guide.tesseraTokens(options);
    const otherApi = await createClient(t);
    const foreign = await login(t, otherApi, user);
    await expect(tokens.verify(foreign.access_token)).rejects.toThrow(/aud/);
    const { access_token } = await login(t, app, user);
    await expect(guide.tesseraTokens({ ...options, issuer: 'https://elsewhere.example' }).verify(access_token)).rejects.toThrow(/iss/);
    const [header, payload, signature] = access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url')}.${signature}`;
    await expect(tokens.verify(tampered)).rejects.toThrow(/signature/);
    t.clock.advance(-400);
    const old = await login(t, app, user);
    t.clock.advance(400);
    await expect(tokens.verify(old.access_token)).rejects.toThrow(/exp/);
  });

  it('protects routes: 401 with WWW-Authenticate without a token, 200 with one', async () => {
    const bare = await call('GET', '/profile');
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    const { access_token } = await login(t, app, user, 'read');
    const profile = await call('GET', '/profile', access_token);
    expect(profile).toMatchObject({ status: 200, body: { sub: user.user.id, scope: 'read' } });
    expect((await call('POST', '/transfer', access_token)).status).toBe(403);
  });

  it('calls introspection where a revocation must count at once, while the offline check cannot know', async () => {
    const session = await login(t, app, user, 'read write');
    expect(await call('POST', '/transfer', session.access_token)).toMatchObject({ status: 200, body: { ok: true, by: user.username } });
    expect((await revoke(t, app, session.access_token)).status).toBe(200);
    expect((await call('POST', '/transfer', session.access_token)).status).toBe(401);
    expect(await guide.tesseraTokens(options).introspect(session.access_token)).toBeUndefined();
    // Offline verification still accepts it until exp: the trade-off the guide explains.
    expect((await call('GET', '/profile', session.access_token)).status).toBe(200);
  });
});
