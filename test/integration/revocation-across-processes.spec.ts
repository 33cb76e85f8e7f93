import { UsersService } from '../../src/users/users.service.js';
import { api } from '../factories/admin.js';
import { createClient, createUser, type TestClient, type TestUser, token } from '../factories/index.js';
import { introspect, revoke } from '../factories/resource-server.js';
import type { TestApp } from '../setup/app.js';
import { type ServerPair, startServerPair } from '../setup/server-pair.js';
import type { TesseraServer } from '../setup/tessera-server.js';

// On real Postgres the poll is made too slow to matter: only LISTEN/NOTIFY can deliver a
// revocation in time. The embedded PGlite delivers a NOTIFY to the connection that sent
// it (every socket shares one backend), so there the poll is what keeps processes in step.
const REAL_POSTGRES = Boolean(process.env.DATABASE_URL);
const FEED_SETTINGS = REAL_POSTGRES
  ? { REVOCATION_POLL_INTERVAL_MS: '30000', REVOCATION_MAX_STALENESS_MS: '60000' }
  : { REVOCATION_POLL_INTERVAL_MS: '200', REVOCATION_MAX_STALENESS_MS: '5000' };

/** Polls `server`'s introspection until the token is inactive; the elapsed milliseconds. */
async function msUntilInactive(server: TesseraServer, caller: TestClient, token: string, since: number): Promise<number> {
  for (;;) {
    const result = await introspect(server, caller, token);
    if (result.status !== 200) throw new Error(`introspection failed: ${result.status} ${result.text}`);
    if (result.body.active === false) return performance.now() - since;
    if (performance.now() - since > 5_000) throw new Error('still active after 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function login(server: TesseraServer, client: TestClient, user: TestUser): Promise<Record<string, string>> {
  const result = await token(server, client, { grant_type: 'password', username: user.username, password: user.password });
  if (result.status !== 200) throw new Error(`login failed: ${result.status} ${result.text}`);
  return result.body as Record<string, string>;
}

describe('a revocation through one Tessera process is seen by another within one second', () => {
  let pair: ServerPair;
  let setup: TestApp;
  let a: TesseraServer;
  let b: TesseraServer;
  let app: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    pair = await startServerPair(FEED_SETTINGS);
    ({ setup, a, b } = pair);
    app = await createClient(setup);
    resourceServer = await createClient(setup, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(setup);
  });
  afterAll(async () => {
    await pair?.close();
  });

  it('an access token revoked on A is inactive on B', async () => {
    const session = await login(a, app, user);
    expect((await introspect(b, resourceServer, session.access_token)).body.active).toBe(true);
    const started = performance.now();
    expect((await revoke(a, app, session.access_token)).status).toBe(200);
    const elapsed = await msUntilInactive(b, resourceServer, session.access_token, started);
    expect(elapsed).toBeLessThan(1_000);
    expect((await introspect(b, resourceServer, session.refresh_token)).body.active).toBe(true);
  });

  it("a refresh token revoked on A ends the family's access tokens on B", async () => {
    const session = await login(a, app, user);
    expect((await introspect(b, resourceServer, session.access_token)).body.active).toBe(true);
    const started = performance.now();
    expect((await revoke(a, app, session.refresh_token)).status).toBe(200);
    expect(await msUntilInactive(b, resourceServer, session.access_token, started)).toBeLessThan(1_000);
  });

  it("a user disabled by a third process ends the user's access tokens on A and B", async () => {
    const victim = await createUser(setup);
    const session = await login(a, app, victim);
    for (const server of [a, b]) expect((await introspect(server, resourceServer, session.access_token)).body.active).toBe(true);
    const started = performance.now();
    expect(await setup.app.get(UsersService).disable(victim.user.id, 'test')).toBe(true);
    for (const server of [a, b]) expect(await msUntilInactive(server, resourceServer, session.access_token, started)).toBeLessThan(1_000);
  });

  it('a client deleted through the admin API on A: its client_credentials token is inactive on A at once and on B within a second', async () => {
    const doomed = await createClient(setup, { grantTypes: ['client_credentials'], scopes: ['read'] });
    const issued = await token(b, doomed, { grant_type: 'client_credentials', scope: 'read' });
    expect(issued.status).toBe(200);
    const accessToken = issued.body.access_token as string;
    for (const server of [a, b]) expect((await introspect(server, resourceServer, accessToken)).body.active).toBe(true);
    const admin = await createUser(setup, { admin: true });
    const adminToken = (await token(a, app, { grant_type: 'password', username: admin.username, password: admin.password, scope: 'admin' })).body
      .access_token as string;

    const started = performance.now();
    expect((await api(a, 'DELETE', `/admin/clients/${doomed.id}`, { token: adminToken })).status).toBe(204);
    expect((await introspect(a, resourceServer, accessToken)).body).toEqual({ active: false });
    expect(await msUntilInactive(b, resourceServer, accessToken, started)).toBeLessThan(1_000);
  });

  it('logs no token', () => {
    expect(a.log).toContain('listening on');
    for (const log of [a.log, b.log]) {
      expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
      expect(log).not.toContain(resourceServer.secret!);
    }
  });
});
