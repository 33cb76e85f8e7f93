import { spawn } from 'node:child_process';
import { createClient, createUser, login, type TestClient } from '../../../test/factories/index.js';
import { revoke } from '../../../test/factories/resource-server.js';
import { freePort, startAtOwnIssuer, type TestApp } from '../../../test/setup/app.js';
import { Child, childEnv, ROOT } from '../../../test/setup/processes.js';
import { DEFAULT_DPOP_ALGORITHMS } from '../src/options.js';

const AUDIENCE = 'https://orders.example';

/** examples/nestjs-resource-server, started with the one command its README gives. */
describe('the NestJS example API, run with `npm run example:nestjs`', () => {
  let t: TestApp;
  let api: Child;
  let base: string;
  let app: TestClient;

  beforeAll(async () => {
    t = await startAtOwnIssuer({});
    app = await createClient(t, { audience: AUDIENCE, scopes: ['read', 'write'] });
    const own = await createClient(t, { grantTypes: ['client_credentials'], scopes: ['ssf'], introspect: true });
    const port = await freePort();
    // Its own process group: npm, the shell it runs and node stop together.
    const child = spawn('npm', ['run', '--silent', 'example:nestjs'], {
      cwd: ROOT,
      env: childEnv({ PORT: String(port), TESSERA_ISSUER: t.url, API_AUDIENCE: AUDIENCE, API_CLIENT_ID: own.id, API_CLIENT_SECRET: own.secret }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    api = new Child(child);
    await api.waitFor((out) => (out.includes('orders API on') ? true : undefined), 'the example to listen', 90_000);
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    if (api?.child.pid && api.running) process.kill(-api.child.pid, 'SIGTERM');
    await api?.finish(30_000).catch(() => undefined);
    await t.close();
  });

  it('serves its public route, refuses a request without a token and honours a Tessera token with its scopes', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const bare = await fetch(`${base}/orders`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe(`Bearer realm="orders", DPoP realm="orders", algs="${DEFAULT_DPOP_ALGORITHMS.join(' ')}"`);
    const user = await createUser(t);
    const { access_token } = await login(t, app, user, 'read');
    const orders = await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(orders.status).toBe(200);
    expect(await orders.json()).toEqual({ orders: [], for: user.user.id, client: app.id });
    const create = await fetch(`${base}/orders`, { method: 'POST', headers: { authorization: `Bearer ${access_token}` } });
    expect(create.status).toBe(403);
    expect(create.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="write"/);
  });

  // How soon is revocation-feed.spec's to judge, from the feed's polls; a wall clock cannot here.
  it('refuses a session revoked at Tessera (JWTs verified offline, revocations by Shared Signals)', async () => {
    const user = await createUser(t);
    const session = await login(t, app, user, 'read');
    const ask = async () => (await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${session.access_token}` } })).status;
    // The feed's first poll may still be under way: wait until the API answers at all.
    for (let i = 0; i < 100 && (await ask()) !== 200; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await ask()).toBe(200);
    expect((await revoke(t, app, session.refresh_token)).status).toBe(200);
    const revokedAt = Date.now();
    while ((await ask()) === 200 && Date.now() - revokedAt < 20_000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await ask()).toBe(401);
  });
});
