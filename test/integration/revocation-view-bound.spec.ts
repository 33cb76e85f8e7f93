import { RevocationView } from '../../src/sessions/revocation-view.service.js';
import { createClient, createUser, login, type TestClient, token } from '../factories/index.js';
import { isActive, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

// REVOCATION_VIEW_MAX_ENTRIES bounds the memory of the in-process view: a flood of
// revocations must never make a revoked token look active once the view is full.
describe('a full revocation view (REVOCATION_VIEW_MAX_ENTRIES)', () => {
  const env = { REVOCATION_VIEW_MAX_ENTRIES: '3' };
  let t: TestApp;
  let other: TestApp;
  let app: TestClient;
  let resourceServer: TestClient;

  beforeAll(async () => {
    t = await startTestApp(env);
    other = await startTestApp(env, { db: t.db, clock: t.clock });
    app = await createClient(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  async function accessToken(): Promise<string> {
    const result = await token(t, app, { grant_type: 'client_credentials' });
    expect(result.status).toBe(200);
    return result.body.access_token as string;
  }

  it('holds at most that many revocations, and still answers every revoked token inactive, in every process', async () => {
    const revoked = [];
    for (let i = 0; i < 6; i++) revoked.push(await accessToken());
    const user = await createUser(t);
    const sessions = [await login(t, app, user), await login(t, app, user)];
    const live = [await accessToken(), await accessToken()];
    for (const jwt of revoked) expect((await revoke(t, app, jwt)).status).toBe(200);
    for (const session of sessions) expect((await revoke(t, app, session.refresh_token)).status).toBe(200);
    await other.app.get(RevocationView).catchUp();

    for (const target of [t, other]) {
      expect(target.app.get(RevocationView).size).toBeLessThanOrEqual(3);
      for (const jwt of revoked) expect(await isActive(target, resourceServer, jwt)).toBe(false);
      for (const session of sessions) expect(await isActive(target, resourceServer, session.access_token)).toBe(false);
      for (const jwt of live) expect(await isActive(target, resourceServer, jwt)).toBe(true);
    }
  });
});
