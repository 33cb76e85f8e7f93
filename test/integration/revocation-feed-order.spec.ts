import { CLOCK } from '../../src/common/clock.js';
import { CONFIG } from '../../src/config/config.module.js';
import { PrometheusMetrics } from '../../src/metrics/prometheus-metrics.js';
import { RevocationEventStore } from '../../src/sessions/revocation-event.js';
import { RevocationView } from '../../src/sessions/revocation-view.service.js';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { jwtClaims, revoke } from '../factories/resource-server.js';
import { anotherPool } from '../setup/another-pool.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { createTestDatabase, describeOnPostgres, type TestDatabase } from '../setup/database.js';

const PROCESSES = 3;
const SESSIONS_EACH = 20;
// A poll slower than the test: what each view knows after catchUp, it knows by reading.
const SLOW_POLL = { REVOCATION_POLL_INTERVAL_MS: '60000', REVOCATION_MAX_STALENESS_MS: '120000' };

/**
 * Issue #20, item 7: the feed was read in id order, but ids are allocated before commit.
 * With the sequence created CACHE 1000, each server session takes ids from a block of its
 * own, as a distributed engine's nodes do (CockroachDB's unique_rowid, YugabyteDB's
 * per-node caches), so ids commit far out of order, and a reader that moved past a high
 * id skipped the low ones committed after it. The feed is now read by position.
 *
 * Carried notifications would teach every process's view each event whatever the order,
 * so one more view here learns only by reading, over and over while the revocations run.
 */
describeOnPostgres('the revocation feed with ids far out of commit order', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];
  let client: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.dataSource.query(`ALTER SEQUENCE revocation_events_id_seq CACHE 1000`);
    for (let i = 0; i < PROCESSES; i++) apps.push(await startTestApp(SLOW_POLL, { db: i === 0 ? db : await anotherPool(db) }));
    client = await createClient(apps[0]);
    user = await createUser(apps[0]);
  });
  afterAll(async () => {
    for (const [i, app] of apps.entries()) {
      await app.close();
      if (i > 0) await app.db.drop();
    }
    await db?.drop();
  });

  it('concurrent revocations from several processes: every process learns every one', async () => {
    const sessions = await Promise.all(apps.flatMap((app) => Array.from({ length: SESSIONS_EACH }, () => login(app, client, user))));
    const { app } = apps[0];
    const reader = new RevocationView(app.get(RevocationEventStore), app.get(CONFIG), app.get(CLOCK), new PrometheusMetrics(() => undefined));
    await reader.catchUp();
    let revoking = true;
    const reading = (async () => {
      while (revoking) await reader.catchUp();
    })();
    // Each session's access token revoked by jti, and its family through its refresh token,
    // all at once and spread over the processes.
    const results = await Promise.all(
      sessions.flatMap((session, i) => {
        const app = apps[i % PROCESSES];
        return [revoke(app, client, session.access_token), revoke(apps[(i + 1) % PROCESSES], client, session.refresh_token)];
      }),
    );
    revoking = false;
    await reading;
    for (const result of results) expect(result.status).toBe(200);

    // The ids did commit out of order: the test exercises what it claims to.
    const [{ inversions }] = await db.dataSource.query<Array<{ inversions: number }>>(
      `SELECT count(*)::int AS inversions FROM (SELECT id < lag(id) OVER (ORDER BY position) AS inverted FROM revocation_events) e WHERE inverted`,
    );
    expect(inversions).toBeGreaterThan(0);

    for (const view of [reader, ...apps.map((t) => t.app.get(RevocationView))]) {
      await view.catchUp();
      const claims = sessions.map((session) => jwtClaims(session.access_token) as { jti: string; sub: string; iat: number; sid: string; client_id: string });
      // The jti alone, then the family alone (under a jti never revoked).
      expect(claims.filter((token) => !view.revoked({ ...token, sid: undefined })).map((token) => token.jti)).toEqual([]);
      expect(claims.filter((token) => !view.revoked({ ...token, jti: 'never-revoked' })).map((token) => token.sid)).toEqual([]);
    }
  });
});
