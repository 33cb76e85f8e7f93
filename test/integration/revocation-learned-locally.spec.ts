import { RevocationView } from '../../src/sessions/revocation-view.service.js';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { INACTIVE_BODY, introspect, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { countFeedReads } from '../setup/feed-reads.js';

/**
 * CONTRACT "Access tokens": a revocation shows at once in the process that made it. The
 * process learns what it has just committed instead of reading the feed back, so here the
 * feed cannot deliver at all: the view neither listens nor polls, and a read would be
 * counted. A view that only learned from the feed would still call these tokens active.
 */
describe('revocations learned by the process that made them', () => {
  let t: TestApp;
  let view: RevocationView;
  let app: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;
  let reads: { count: number };

  beforeAll(async () => {
    // Fresh for the whole test without another read.
    t = await startTestApp({ REVOCATION_POLL_INTERVAL_MS: '60000', REVOCATION_MAX_STALENESS_MS: '120000' });
    view = t.app.get(RevocationView);
    await view.onApplicationShutdown();
    reads = countFeedReads(t);
    app = await createClient(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => {
    reads.count = 0;
  });

  it('revoking a refresh token ends its access token at once (the family)', async () => {
    const ended = await login(t, app, user);
    const other = await login(t, app, user);
    expect((await revoke(t, app, ended.refresh_token, { token_type_hint: 'refresh_token' })).status).toBe(200);
    expect((await introspect(t, resourceServer, ended.access_token)).text).toBe(INACTIVE_BODY);
    expect((await introspect(t, resourceServer, other.access_token)).body.active).toBe(true);
    expect(reads.count).toBe(0);
  });

  it('revoking an access token ends it at once (the jti), and leaves its session alone', async () => {
    const session = await login(t, app, user);
    expect((await revoke(t, app, session.access_token)).status).toBe(200);
    expect((await introspect(t, resourceServer, session.access_token)).text).toBe(INACTIVE_BODY);
    expect((await introspect(t, resourceServer, session.refresh_token)).body.active).toBe(true);
    expect(reads.count).toBe(0);
  });
});
