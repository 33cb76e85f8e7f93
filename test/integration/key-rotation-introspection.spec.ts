import { KeysService } from '../../src/oauth/keys/keys.service.js';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { introspect, isActive, jwtHeader } from '../factories/resource-server.js';
import { anotherPool } from '../setup/another-pool.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';

/** Two processes on one database; the signing key is rotated in the other one (or by the CLI). */
describe('signing keys rotated by another process', () => {
  let db: TestDatabase;
  let poolB: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let app: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await startTestApp({}, { db });
    poolB = await anotherPool(db);
    b = await startTestApp({}, { db: poolB });
    app = await createClient(a);
    resourceServer = await createClient(a, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(a);
  });
  afterAll(async () => {
    await b?.close();
    await poolB?.drop();
    await a?.close();
    await db?.drop();
  });

  it('are found on an unknown kid, old tokens stay valid, and this process signs with the new key', async () => {
    const before = await login(a, app, user);
    const oldKid = jwtHeader(before.access_token).kid;
    const { kid: newKid } = await b.app.get(KeysService).rotate('test');
    expect(newKid).not.toBe(oldKid);
    // The new key signs once KEY_PUBLISH_DELAY (60 s by default) has passed, on each process's clock.
    expect(jwtHeader((await login(b, app, user)).access_token).kid).toBe(oldKid);
    a.clock.advance(60);
    b.clock.advance(60);

    const fromB = await login(b, app, user);
    expect(jwtHeader(fromB.access_token).kid).toBe(newKid);
    // A has never seen this kid: it reloads the keys instead of calling the token forged.
    expect(await isActive(a, resourceServer, fromB.access_token)).toBe(true);
    // Tokens of the retired key stay valid until they expire.
    expect(await isActive(a, resourceServer, before.access_token)).toBe(true);
    expect((await introspect(b, resourceServer, before.access_token)).body.active).toBe(true);
    // …and A signs with the active key from now on, not with the retired one.
    const fromA = await login(a, app, user);
    expect(jwtHeader(fromA.access_token).kid).toBe(newKid);
  });
});
