import type { DataSource, QueryRunner } from 'typeorm';
import { feedNotifyFunction } from '../../migrations/1765260000000-RevocationNotificationsSentByTheAppend.js';
import { appendToFeed } from '../../src/persistence/stores/revocation-feed.sql.js';
import { RevocationView } from '../../src/sessions/revocation-view.service.js';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { jwtClaims, revoke } from '../factories/resource-server.js';
import { anotherPool } from '../setup/another-pool.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { createTestDatabase, describeOnPostgres, type TestDatabase } from '../setup/database.js';
import { countFeedReads } from '../setup/feed-reads.js';
import { eventually } from '../setup/faults.js';

// A poll far slower than the test: whatever B learns, it learns by notification.
const SLOW_POLL = { REVOCATION_POLL_INTERVAL_MS: '60000', REVOCATION_MAX_STALENESS_MS: '120000' };

/**
 * Issue #20: every notification made every process read the feed. A notification now
 * carries its events, and B (a second process on the same database) reads the feed only
 * when one could not, or when the events are not the next ones after what it has read.
 */
describeOnPostgres('revocation notifications that carry their events', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let view: RevocationView;
  let client: TestClient;
  let user: TestUser;
  /** B's reads of the feed */
  let reads: { count: number };

  const jti = (subject: string) => ({ jti: subject, sub: 'nobody', iat: 0, client_id: 'nobody' });
  const insertJtisWith = (runner: DataSource | QueryRunner, ...subjects: string[]) =>
    runner.query(
      `WITH ${appendToFeed('appended', `SELECT 'jti', s, $2::timestamptz, $3::timestamptz FROM unnest($1::text[]) AS s`)}
       SELECT count(*) FROM appended`,
      [subjects, new Date(a.clock.now()), new Date(a.clock.now() + 600_000)],
    );
  const insertJtis = (...subjects: string[]) => insertJtisWith(db.dataSource, ...subjects);
  const known = (what: string, probe: () => boolean) => eventually(what, async () => (probe() ? true : undefined));

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await startTestApp(SLOW_POLL, { db });
    b = await startTestApp(SLOW_POLL, { db: await anotherPool(db) });
    view = b.app.get(RevocationView);
    reads = countFeedReads(b);
    client = await createClient(a);
    user = await createUser(a);
    // B is listening once it has heard of an event; a read it started on connecting is over
    // once a read started after it is.
    await insertJtis('warm-up');
    await known('the warm-up event on B', () => view.revoked(jti('warm-up')));
    await view.catchUp();
  });
  afterAll(async () => {
    await b?.close();
    await b?.db.drop();
    await a?.close();
    await db?.drop();
  });
  beforeEach(() => {
    reads.count = 0;
  });

  it('a revocation on A is known on B without B reading the feed', async () => {
    const sessions = await Promise.all(Array.from({ length: 10 }, () => login(a, client, user)));
    for (const session of sessions) expect((await revoke(a, client, session.refresh_token)).status).toBe(200);
    const tokens = sessions.map((session) => {
      const claims = jwtClaims(session.access_token) as { jti: string; sub: string; iat: number; sid: string; client_id: string };
      return { jti: claims.jti, sub: claims.sub, iat: claims.iat, sid: claims.sid, client_id: claims.client_id };
    });
    await known('every revoked session on B', () => tokens.every((t) => view.revoked(t)));
    expect(reads.count).toBe(0);
  });

  it('carries every event a statement inserted', async () => {
    await insertJtis('many-1', 'many-2', 'many-3');
    await known('the three events on B', () => ['many-1', 'many-2', 'many-3'].every((s) => view.revoked(jti(s))));
    expect(reads.count).toBe(0);
  });

  it('falls back to a bare notification past the payload limit, and B reads the feed', async () => {
    const long = 'x'.repeat(9_000);
    await insertJtis(long);
    await known('the long event on B', () => view.revoked(jti(long)));
    expect(reads.count).toBeGreaterThanOrEqual(1);
    expect(view.revoked(jti('never-revoked'))).toBe(false);
  });

  it('reads the feed on a notification it does not understand', async () => {
    await db.dataSource.query(`SELECT pg_notify('tessera_revocation_feed', '{"not":"events"}')`);
    await eventually('a read on B', async () => (reads.count > 0 ? true : undefined));
  });

  it('an append waits for an earlier one still uncommitted, so B learns both in order, with no read', async () => {
    const early = db.dataSource.createQueryRunner();
    await early.connect();
    let later: Promise<unknown> | undefined;
    try {
      await early.startTransaction();
      await insertJtisWith(early, 'committed-first');
      later = insertJtis('appended-second');
      // The second append waits for the first one's position lock, not the other way round.
      await eventually('the second append waiting on a lock', async () => {
        const [{ n }] = await db.dataSource.query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%appended%'`,
        );
        return n > 0 ? true : undefined;
      });
      await view.catchUp();
      expect(view.revoked(jti('appended-second'))).toBe(false);
      reads.count = 0;
      await early.commitTransaction();
    } finally {
      await early.release();
    }
    await later;
    await known('the second append on B', () => view.revoked(jti('appended-second')));
    expect(view.revoked(jti('committed-first'))).toBe(true);
    // Each notification carried the next position: nothing to read for.
    expect(reads.count).toBe(0);
  });

  it('wakes B with a bare notification for an insert of a previous version, which brings no position', async () => {
    await db.dataSource.query(
      `INSERT INTO revocation_events (kind, subject, created_at, until) VALUES ('jti', 'legacy-insert', $1, $2)`,
      [new Date(a.clock.now()), new Date(a.clock.now() + 600_000)],
    );
    await known('the legacy event on B', () => view.revoked(jti('legacy-insert')));
    expect(reads.count).toBeGreaterThanOrEqual(1);
  });

  it('revokes on an engine without NOTIFY, and B learns it by its poll', async () => {
    // What the migration creates where the engine has no pg_notify.
    await db.dataSource.query(feedNotifyFunction(false));
    try {
      const session = await login(a, client, user);
      expect((await revoke(a, client, session.refresh_token)).status).toBe(200);
      const claims = jwtClaims(session.access_token) as { jti: string; sub: string; iat: number; sid: string; client_id: string };
      const token = { jti: claims.jti, sub: claims.sub, iat: claims.iat, sid: claims.sid, client_id: claims.client_id };
      expect(a.app.get(RevocationView).revoked(token)).toBe(true);
      // Long enough for a notification to have arrived (they take milliseconds here).
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(view.revoked(token)).toBe(false);
      await view.catchUp();
      expect(view.revoked(token)).toBe(true);
    } finally {
      await db.dataSource.query(feedNotifyFunction(true));
    }
  });
});
