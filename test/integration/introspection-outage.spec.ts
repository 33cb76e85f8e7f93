import { createClient, createUser, login, type TestClient, type TestUser, token } from '../factories/index.js';
import { INACTIVE_BODY, introspect, isActive, revoke } from '../factories/resource-server.js';
import { anotherPool } from '../setup/another-pool.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';
import { TcpProxy } from '../setup/tcp-proxy.js';
import { buildOnce, TesseraServer } from '../setup/tessera-server.js';

const ISSUER = 'http://tessera.test';

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('introspection while the database is away', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let proxied: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    // The database reached through a proxy that the test can cut: "the database stops".
    proxied = await anotherPool(db, TcpProxy.through(db.url, proxy));
  });
  afterAll(async () => {
    await proxied?.drop();
    await proxy?.close();
    await db?.drop();
  });

  describe('in process, on the injected clock', () => {
    let t: TestApp;
    let direct: TestApp;
    let directPool: TestDatabase;
    let app: TestClient;
    let resourceServer: TestClient;
    let user: TestUser;

    beforeAll(async () => {
      t = await startTestApp({ REVOCATION_POLL_INTERVAL_MS: '200', REVOCATION_MAX_STALENESS_MS: '2000' }, { db: proxied });
      // A second process that still reaches the database while the first one cannot.
      directPool = await anotherPool(db);
      direct = await startTestApp({}, { db: directPool });
      app = await createClient(t);
      resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
      user = await createUser(t);
    });
    afterAll(async () => {
      proxy.restore();
      await direct?.close();
      await directPool?.drop();
      await t?.close();
    });

    it('answers from memory within the staleness bound, then 503, then recovers and catches up by itself', async () => {
      const survivor = await login(t, app, user);
      const doomed = await login(t, app, user);
      for (const session of [survivor, doomed]) expect(await isActive(t, resourceServer, session.access_token)).toBe(true);

      proxy.cutOff();
      // No database round trip for a live JWT: the answer comes from the view and the caches.
      expect(await isActive(t, resourceServer, survivor.access_token)).toBe(true);
      // A refresh token is only ever checked in the database.
      const refresh = await introspect(t, resourceServer, survivor.refresh_token);
      expect(refresh.status).toBe(503);
      expect(refresh.body.error).toBe('temporarily_unavailable');

      // Revoked elsewhere while this process cannot hear: its NOTIFY is lost.
      expect((await revoke(direct, app, doomed.refresh_token)).status).toBe(200);

      // Past the bound the view is not trusted: 503 with Retry-After, never active:true.
      t.clock.advance(2.001);
      for (const session of [survivor, doomed]) {
        const result = await introspect(t, resourceServer, session.access_token);
        expect(result.status).toBe(503);
        expect(result.headers.get('retry-after')).toBe('1');
        expect(result.headers.get('cache-control')).toBe('no-store');
        expect(result.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
      }
      // The token endpoint says the same, and nothing is half-done.
      const refused = await token(t, app, { grant_type: 'refresh_token', refresh_token: survivor.refresh_token });
      expect(refused.status).toBe(503);

      proxy.restore();
      // Nobody restarts anything: the next answers are right again, the lost revocation included.
      const back = await eventually('recovery', async () => {
        const result = await introspect(t, resourceServer, survivor.access_token);
        return result.status === 200 ? result : undefined;
      });
      expect(back.body.active).toBe(true);
      expect((await introspect(t, resourceServer, doomed.access_token)).text).toBe(INACTIVE_BODY);
      expect(await isActive(t, resourceServer, survivor.refresh_token)).toBe(true);
    });
  });

  describe('a real server, on the real clock, with introspection running throughout', () => {
    const BOUND_MS = 1_500;
    let server: TesseraServer;
    let setup: TestApp;
    let setupPool: TestDatabase;
    let app: TestClient;
    let resourceServer: TestClient;
    let user: TestUser;

    beforeAll(async () => {
      buildOnce();
      setupPool = await anotherPool(db);
      setup = await startTestApp({ ISSUER }, { db: setupPool });
      app = await createClient(setup);
      resourceServer = await createClient(setup, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
      user = await createUser(setup);
      server = await TesseraServer.start({
        DATABASE_URL: proxied.url,
        ISSUER,
        REVOCATION_POLL_INTERVAL_MS: '250',
        REVOCATION_MAX_STALENESS_MS: String(BOUND_MS),
      });
    });
    afterAll(async () => {
      proxy.restore();
      await server?.stop();
      await setup?.close();
      await setupPool?.drop();
    });

    it('turns to 503 within the bound after the database stops, and back to active after it returns', async () => {
      const issued = await token(server, app, { grant_type: 'password', username: user.username, password: user.password });
      const accessToken = issued.body.access_token as string;
      expect(await isActive(server, resourceServer, accessToken)).toBe(true);

      const answers: Array<{ at: number; status: number; active: unknown }> = [];
      let running = true;
      const loop = (async () => {
        while (running) {
          const result = await introspect(server, resourceServer, accessToken);
          answers.push({ at: performance.now(), status: result.status, active: result.body.active });
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();

      await new Promise((resolve) => setTimeout(resolve, 300));
      const cutAt = performance.now();
      proxy.cutOff();
      await eventually('503', async () => (answers.some((a) => a.at > cutAt && a.status === 503) ? true : undefined), 10_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const restoredAt = performance.now();
      proxy.restore();
      await eventually('recovery', async () =>
        answers.some((a) => a.at > restoredAt && a.status === 200 && a.active === true) ? true : undefined,
      );
      running = false;
      await loop;

      const during = answers.filter((a) => a.at > cutAt && a.at < restoredAt);
      expect(during.length).toBeGreaterThan(5);
      // Only 200 active (inside the bound) or 503: never an error, never a guess.
      expect(during.every((a) => (a.status === 200 && a.active === true) || a.status === 503)).toBe(true);
      const firstUnavailable = during.find((a) => a.status === 503)!;
      const lastActive = [...during].reverse().find((a) => a.status === 200);
      // The view was fresh at most one poll before the cut; it is trusted for BOUND_MS after.
      expect(firstUnavailable.at - cutAt).toBeLessThan(BOUND_MS + 1_000);
      if (lastActive) expect(lastActive.at - cutAt).toBeLessThan(BOUND_MS + 250);
      expect(during.filter((a) => a.at > firstUnavailable.at).every((a) => a.status === 503)).toBe(true);
      expect(server.log).toMatch(/revocation/);
    });
  });
});
