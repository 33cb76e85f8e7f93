import { feedNotifyFunction } from '../../migrations/1765260000000-RevocationNotificationsSentByTheAppend.js';
import { RevocationView } from '../../src/sessions/revocation-view.service.js';
import { createClient, createUser, login, type TestClient, token, type TestUser } from '../factories/index.js';
import { INACTIVE_BODY, introspect, jwtClaims } from '../factories/resource-server.js';
import { anotherPool } from '../setup/another-pool.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const POLL_MS = 200;

/** The feed every process tails, and the in-process view built from it. */
describe('revocation feed and view', () => {
  let t: TestApp;
  let view: RevocationView;
  let app: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;

  const jti = (subject: string) => ({ jti: subject, sub: 'nobody', iat: 0, client_id: 'nobody' });
  const nextIds = async (n: number): Promise<number[]> => {
    const rows = await t.db.dataSource.query<Array<{ id: string }>>(`SELECT nextval('revocation_events_id_seq') AS id FROM generate_series(1, $1)`, [n]);
    return rows.map((row) => Number(row.id));
  };
  const insertEvent = (id: number | null, subject: string, until: Date) =>
    t.db.dataSource.query(
      `INSERT INTO revocation_events (id, kind, subject, created_at, until)
       VALUES (COALESCE($1::bigint, nextval('revocation_events_id_seq')), 'jti', $2, $3, $4)`,
      [id, subject, new Date(t.clock.now()), until],
    );
  const later = () => new Date(t.clock.now() + 600_000);

  beforeAll(async () => {
    t = await startTestApp({ REVOCATION_POLL_INTERVAL_MS: String(POLL_MS), REVOCATION_MAX_STALENESS_MS: '5000' });
    view = t.app.get(RevocationView);
    app = await createClient(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('does not miss an event whose id was allocated first but committed last', async () => {
    const [early, late] = await nextIds(2);
    await insertEvent(late, 'committed-first', later());
    await view.catchUp();
    expect(view.revoked(jti('committed-first'))).toBe(true);
    expect(view.revoked(jti('committed-last'))).toBe(false);
    await insertEvent(early, 'committed-last', later());
    await view.catchUp();
    expect(view.revoked(jti('committed-last'))).toBe(true);
  });

  it('a process booting while a lower id is still uncommitted hears of it later', async () => {
    const [first, inFlight, third] = await nextIds(3);
    await insertEvent(first, 'boot-first', later());
    await insertEvent(third, 'boot-third', later());
    const pool = await anotherPool(t.db);
    const booted = await startTestApp({}, { db: pool });
    try {
      const bootedView = booted.app.get(RevocationView);
      expect(bootedView.revoked(jti('boot-third'))).toBe(true);
      await insertEvent(inFlight, 'boot-in-flight', later());
      await bootedView.catchUp();
      expect(bootedView.revoked(jti('boot-in-flight'))).toBe(true);
    } finally {
      await booted.close();
      await pool.drop();
    }
  });

  it('hears of an event without a notification, within the poll interval', async () => {
    // As on an engine without NOTIFY: only the poll can deliver.
    await t.db.dataSource.query(feedNotifyFunction(false));
    try {
      await insertEvent(null, 'unannounced', later());
      const started = Date.now();
      while (!view.revoked(jti('unannounced')) && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 20));
      expect(view.revoked(jti('unannounced'))).toBe(true);
      expect(Date.now() - started).toBeLessThan(POLL_MS * 3 + 500);
    } finally {
      await t.db.dataSource.query(feedNotifyFunction(true));
    }
  });

  it('ignores events that no longer matter, and leaves deleting them to the janitor', async () => {
    await insertEvent(null, 'long-gone', new Date(t.clock.now() - 1_000));
    await view.catchUp();
    expect(view.revoked(jti('long-gone'))).toBe(false);
    t.clock.advance(61);
    await view.catchUp();
    const rows = await t.db.dataSource.query<unknown[]>(`SELECT subject FROM revocation_events WHERE subject = 'long-gone'`);
    expect(rows).toHaveLength(1);
  });

  it('is stale once its last read is older than REVOCATION_MAX_STALENESS_MS, and reads again on demand', async () => {
    await view.catchUp();
    expect(view.isFresh()).toBe(true);
    t.clock.advance(5.001);
    expect(view.isFresh()).toBe(false);
    expect(await view.readiness()).toBe('fresh');
    expect(view.isFresh()).toBe(true);
    // A clock that stepped back is no proof of freshness either.
    t.clock.advance(-60);
    expect(view.isFresh()).toBe(false);
    expect(await view.readiness()).toBe('fresh');
    expect(view.isFresh()).toBe(true);
  });

  it('hears of a family revoked by refresh-token reuse (the in-transaction revocation)', async () => {
    const first = await login(t, app, user);
    const second = await token(t, app, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    t.clock.advance(11); // past REFRESH_REUSE_GRACE
    const reused = await token(t, app, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(reused.body.error).toBe('invalid_grant');
    const sid = jwtClaims(first.access_token).sid as string;
    const rows = await t.db.dataSource.query<Array<{ kind: string; created_at: Date; until: Date }>>(`SELECT kind, created_at, until FROM revocation_events WHERE subject = $1`, [sid]);
    expect(rows).toHaveLength(1);
    expect(rows[0].kind).toBe('family');
    expect(rows[0].until.getTime() - rows[0].created_at.getTime()).toBe((300 + 60) * 1000);
    expect((await introspect(t, resourceServer, second.body.access_token as string)).text).toBe(INACTIVE_BODY);
  });

  it('remembers a disabled user only for tokens issued before the disabling', async () => {
    const issuedAt = Math.floor(t.clock.now() / 1000);
    await t.db.dataSource.query(
      `INSERT INTO revocation_events (kind, subject, created_at, until) VALUES ('user', $1, $2, $3)`,
      [user.user.id, new Date(t.clock.now()), later()],
    );
    await view.catchUp();
    expect(view.revoked({ jti: 'a', sub: user.user.id, iat: issuedAt, sid: 'some-family', client_id: app.id })).toBe(true);
    expect(view.revoked({ jti: 'b', sub: user.user.id, iat: issuedAt + 1, sid: 'some-family', client_id: app.id })).toBe(false);
    // client_credentials tokens have no family and no user.
    expect(view.revoked({ jti: 'c', sub: user.user.id, iat: issuedAt, client_id: app.id })).toBe(false);
  });
});
