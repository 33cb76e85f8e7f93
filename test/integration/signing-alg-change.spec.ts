import { KeysService } from '../../src/oauth/keys/keys.service.js';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { jwtHeader } from '../factories/resource-server.js';
import { anotherPool } from '../setup/another-pool.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';

/** A process booting with another SIGNING_ALG joins a running server: only keys rotate changes the key. */
describe('a boot with another SIGNING_ALG', () => {
  let db: TestDatabase;
  let poolB: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let app: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await startTestApp({}, { db });
    poolB = await anotherPool(db);
    b = await startTestApp({ SIGNING_ALG: 'RS256' }, { db: poolB });
    app = await createClient(a);
    user = await createUser(a);
  });
  afterAll(async () => {
    await b?.close();
    await poolB?.drop();
    await a?.close();
    await db?.drop();
  });

  const metadataAlgs = async (t: TestApp) =>
    ((await (await fetch(`${t.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>).access_token_signing_alg_values_supported;

  it('keeps signing with the active key, says how to rotate, and the metadata names the key that signs', async () => {
    const fromA = jwtHeader((await login(a, app, user)).access_token);
    const fromB = jwtHeader((await login(b, app, user)).access_token);
    expect(fromB).toMatchObject({ alg: 'ES256', kid: fromA.kid });
    expect(await metadataAlgs(b)).toEqual(['ES256']);
    expect(b.app.get(KeysService).signingAlgWarning()).toContain('run `tessera keys rotate` with SIGNING_ALG=RS256');
    expect(a.app.get(KeysService).signingAlgWarning()).toBeUndefined();
    expect(await db.dataSource.query(`SELECT alg FROM signing_keys`)).toEqual([{ alg: 'ES256' }]);
    // The first boot audited the key it made; the second boot, which made none, audited nothing.
    expect(await db.dataSource.query(`SELECT actor, details FROM audit_events WHERE type = 'key_rotated'`)).toEqual([
      { actor: 'system', details: { kid: fromA.kid, alg: 'ES256', activates_at: '2026-01-01T00:00:00.000Z' } },
    ]);
  });

  it('rotated explicitly, signs with a key of its SIGNING_ALG once KEY_PUBLISH_DELAY has passed, in both processes', async () => {
    const rotated = await b.app.get(KeysService).rotate('test');
    expect(rotated.alg).toBe('RS256');
    await a.app.get(KeysService).reload();
    // Pending: ES256 still signs; the metadata lists the pending key's alg after it.
    expect(await metadataAlgs(a)).toEqual(['ES256', 'RS256']);
    expect(jwtHeader((await login(a, app, user)).access_token).alg).toBe('ES256');

    a.clock.advance(60);
    b.clock.advance(60);
    for (const t of [a, b]) expect(jwtHeader((await login(t, app, user)).access_token)).toMatchObject({ alg: 'RS256', kid: rotated.kid });
    expect(await metadataAlgs(b)).toEqual(['RS256', 'ES256']);
    // Both processes notice the activation; it is audited once.
    await Promise.all([a.app.get(KeysService).reload(), b.app.get(KeysService).reload()]);
    await a.app.get(KeysService).reload();
    expect(await db.dataSource.query(`SELECT details->>'kid' AS kid FROM audit_events WHERE type = 'key_activated'`)).toEqual([{ kid: rotated.kid }]);
  });
});
