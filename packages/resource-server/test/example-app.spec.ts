import { spawn } from 'node:child_process';
import { createClient, createUser, login } from '../../../test/factories/index.js';
import { freePort, startAtOwnIssuer, type TestApp } from '../../../test/setup/app.js';
import { Child, childEnv, ROOT } from '../../../test/setup/processes.js';

const AUDIENCE = 'https://orders.example';

/** examples/nestjs-resource-server, started with the one command its README gives. */
describe('the NestJS example API, run with `npm run example:nestjs`', () => {
  let t: TestApp;
  let api: Child;
  let base: string;

  beforeAll(async () => {
    t = await startAtOwnIssuer({});
    const port = await freePort();
    // Its own process group: npm, the shell it runs and node stop together.
    const child = spawn('npm', ['run', '--silent', 'example:nestjs'], {
      cwd: ROOT,
      env: childEnv({ PORT: String(port), TESSERA_ISSUER: t.url, API_AUDIENCE: AUDIENCE }),
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
    expect(bare.headers.get('www-authenticate')).toBe('Bearer realm="orders"');
    const app = await createClient(t, { audience: AUDIENCE, scopes: ['read', 'write'] });
    const user = await createUser(t);
    const { access_token } = await login(t, app, user, 'read');
    const orders = await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(orders.status).toBe(200);
    expect(await orders.json()).toEqual({ orders: [], for: user.user.id, client: app.id });
    const create = await fetch(`${base}/orders`, { method: 'POST', headers: { authorization: `Bearer ${access_token}` } });
    expect(create.status).toBe(403);
    expect(create.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="write"/);
  });
});
