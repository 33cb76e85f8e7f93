import { randomBytes } from 'node:crypto';
import { TokenHashers } from '../../src/common/token-hashers.js';
import { api } from '../factories/admin.js';
import { BrowserAgent } from '../factories/browser.js';
import { createClient, createUser, login, postForm, token, type TestClient, type TestUser } from '../factories/index.js';
import { introspect, revoke } from '../factories/resource-server.js';
import { startTestApp, TEST_SECRETS, type TestApp } from '../setup/app.js';
import { createTestDatabase, describeOnPostgres, type TestDatabase } from '../setup/database.js';
import { jsonLines, leakedSecrets } from '../setup/log-lines.js';
import { childEnv, type Child, runNode, startNode } from '../setup/processes.js';

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
const ORIGIN = 'http://app.example.test:8080';
const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * CONTRACT "Operations": structured JSON logs, and no token, secret, password or hash in
 * any line. A real server at LOG_LEVEL=trace runs every flow that handles a credential;
 * then everything it wrote is searched for each of them.
 */
describeOnPostgres('logs of a real server at LOG_LEVEL=trace', () => {
  let db: TestDatabase;
  let seed: TestApp;
  let server: Child;
  let url: string;
  const secrets = new Map<string, string>();
  const keep = (name: string, value: unknown): string => {
    if (typeof value !== 'string' || value === '') throw new Error(`no ${name} to keep: ${String(value)}`);
    secrets.set(name, value);
    return value;
  };

  beforeAll(async () => {
    expect((await runNode(['scripts/build-if-needed.js'], childEnv())).code).toBe(0);
    db = await createTestDatabase();
    // The in-process app seeds users and clients; the child is the server under test.
    seed = await startTestApp({}, { db });
    server = startNode(
      ['dist/src/main.js'],
      childEnv({ ...TEST_SECRETS, DATABASE_URL: db.url, PORT: '0', ISSUER: 'http://tessera.test', LOG_LEVEL: 'trace' }),
    );
    url = await server.waitFor((out) => LISTENING.exec(out)?.[1], 'the listening line');
  });

  afterAll(async () => {
    await server?.kill();
    await seed?.close();
    await db?.drop();
  });

  const password = () => `correct horse ${randomBytes(12).toString('base64url')}`;

  async function seedPrincipals() {
    const user = await createUser(seed, { password: password() });
    const admin = await createUser(seed, { password: password(), admin: true });
    const web = await createClient(seed);
    const resourceServer = await createClient(seed, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    const spa = await createClient(seed, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'], origins: [ORIGIN] });
    for (const [name, principal] of [['user', user], ['admin', admin]] as const) keep(`${name} password`, principal.password);
    // A secret is found inside its Basic header too (base64 at every alignment).
    for (const [name, client] of [['web', web], ['resource server', resourceServer]] as const) keep(`${name} secret`, client.secret);
    return { user, admin, web, resourceServer, spa };
  }

  async function tokenFlows(target: TestApp, web: TestClient, resourceServer: TestClient, user: TestUser) {
    const first = await login(target, web, user);
    keep('access token 1', first.access_token);
    const r1 = keep('refresh token 1', first.refresh_token);
    const second = await token(target, web, { grant_type: 'refresh_token', refresh_token: r1 });
    const r2 = keep('refresh token 2', second.body.refresh_token);
    keep('access token 2', second.body.access_token);
    const third = await token(target, web, { grant_type: 'refresh_token', refresh_token: r2 });
    keep('refresh token 3', third.body.refresh_token);
    keep('access token 3', third.body.access_token);
    // r1 is two generations old: reuse, the family is revoked.
    const reused = await token(target, web, { grant_type: 'refresh_token', refresh_token: r1 });
    expect(reused.status).toBe(400);

    const fourth = await login(target, web, user);
    const a4 = keep('access token 4', fourth.access_token);
    const r4 = keep('refresh token 4', fourth.refresh_token);
    expect((await introspect(target, resourceServer, a4)).body.active).toBe(true);
    expect((await introspect(target, resourceServer, r4)).body.active).toBe(true);
    expect((await revoke(target, web, a4)).status).toBe(200);
    expect((await revoke(target, web, r4, { token_type_hint: 'refresh_token' })).status).toBe(200);
    const machine = await token(target, resourceServer, { grant_type: 'client_credentials' });
    keep('client_credentials access token', machine.body.access_token);
    // A token in a query string: the URL is never logged.
    expect((await fetch(`${url}/oauth/jwks?access_token=${encodeURIComponent(a4)}`)).status).toBe(200);
    return { r1, r4 };
  }

  async function failures(target: TestApp, web: TestClient, user: TestUser) {
    for (let i = 0; i < 2; i++) {
      const wrong = keep(`wrong password ${i}`, password());
      expect((await token(target, web, { grant_type: 'password', username: user.username, password: wrong })).status).toBe(400);
    }
    const badSecret = keep('bad client secret', randomBytes(32).toString('base64url'));
    const badBasic = `Basic ${Buffer.from(`${web.id}:${badSecret}`).toString('base64')}`;
    // The search finds a secret inside its Basic header, whatever the client id's length.
    expect(leakedSecrets(`{"h":"${badBasic}"}`, new Map([['bad secret', badSecret]]))).toHaveLength(1);
    expect((await postForm(target, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: badBasic })).status).toBe(401);
    const post = { grant_type: 'client_credentials', client_id: web.id, client_secret: badSecret };
    expect((await postForm(target, '/oauth/token', post)).status).toBe(401);
  }

  async function browserFlow(spa: TestClient, user: TestUser) {
    const browser = new BrowserAgent({ url }, ORIGIN);
    const keepJar = (step: string) => {
      for (const [name, value] of browser.jar) keep(`${step} cookie ${name}`, value);
      keep(`${step} csrf token`, browser.csrf);
    };
    const loggedIn = await browser.login(spa, user);
    keep('browser access token', loggedIn.body.access_token);
    keepJar('login');
    const refreshed = await browser.refresh();
    expect(refreshed.status).toBe(200);
    keep('browser refreshed access token', refreshed.body.access_token);
    keepJar('refresh');
    expect((await browser.logout()).status).toBe(204);
  }

  async function adminCalls(target: TestApp, web: TestClient, admin: TestUser, user: TestUser) {
    const { access_token } = await login(target, web, admin, 'admin');
    keep('admin access token', access_token);
    const found = await api(target, 'GET', `/admin/users?username=${user.username}`, { token: access_token });
    expect(found.status).toBe(200);
    expect((await api(target, 'GET', `/admin/users/${user.user.id}/sessions`, { token: access_token })).status).toBe(200);
    expect((await api(target, 'GET', '/admin/events?limit=50', { token: access_token })).status).toBe(200);
    expect((await api(target, 'GET', '/admin/users', { token: `${access_token}x` })).status).toBe(401);
  }

  it('writes only JSON, with a request id on request lines, and none of the credentials it handled', async () => {
    const { user, admin, web, resourceServer, spa } = await seedPrincipals();
    const target = { ...seed, url };
    const { r1, r4 } = await tokenFlows(target, web, resourceServer, user);
    await failures(target, web, user);
    await browserFlow(spa, user);
    await adminCalls(target, web, admin, user);
    const echoed = await fetch(`${url}/healthz`, { headers: { 'x-request-id': 'trace.id-42_ok' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace.id-42_ok');
    const unsafe = await fetch(`${url}/healthz`, { headers: { 'x-request-id': 'evil\tid "quoted"' } });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // The stored hashes of refresh tokens must not leak either.
    const hashers = seed.app.get(TokenHashers);
    for (const [name, value] of [['refresh token 1', r1], ['refresh token 4', r4]]) {
      const hash = hashers.refreshToken.hash(value);
      keep(`hash of ${name} (hex)`, hash.toString('hex'));
      keep(`hash of ${name} (base64)`, hash.toString('base64'));
    }

    const finished = await server.stop('SIGTERM');
    expect(finished.code).toBe(0);
    const output = finished.stdout + finished.stderr;
    const entries = jsonLines(output);
    // Not vacuous: the server did log, and logged the requests.
    const requests = entries.filter((entry) => entry.message === 'request completed');
    expect(requests.length).toBeGreaterThanOrEqual(25);
    for (const entry of requests) {
      expect(entry).toEqual(expect.objectContaining({ request_id: expect.stringMatching(SAFE_ID), method: expect.any(String), status: expect.any(Number) }));
      expect(typeof entry.duration_ms).toBe('number');
    }
    expect(requests.some((entry) => entry.request_id === 'trace.id-42_ok')).toBe(true);
    expect(output).not.toContain('evil');
    // Lines logged inside a request carry its id: the reuse warning belongs to the 400 of the reuse.
    const reuse = entries.find((entry) => String(entry.message).startsWith('refresh token reuse (stale_ancestor)'));
    expect(reuse?.request_id).toEqual(expect.stringMatching(SAFE_ID));
    const reuseRequest = requests.find((entry) => entry.request_id === reuse?.request_id);
    expect(reuseRequest).toEqual(expect.objectContaining({ route: '/oauth/token', status: 400, level: 'info' }));
    // Every request line names a route pattern, never a URL with its query string.
    for (const entry of requests) expect(String(entry.route)).not.toContain('?');

    expect(secrets.size).toBeGreaterThanOrEqual(25);
    expect(leakedSecrets(output, secrets)).toEqual([]);
  });
});
