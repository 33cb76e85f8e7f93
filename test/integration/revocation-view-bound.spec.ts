import { PrometheusMetrics } from '../../src/metrics/prometheus-metrics.js';
import { RevocationEventStore } from '../../src/sessions/revocation-event.js';
import { RevocationView } from '../../src/sessions/revocation-view.service.js';
import { createClient, createUser, login, type TestClient, token } from '../factories/index.js';
import { isActive, jwtClaims, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { describeOnPostgres } from '../setup/database.js';
import { eventually } from '../setup/faults.js';

// REVOCATION_VIEW_MAX_ENTRIES bounds the memory of the in-process view: a flood of
// revocations must never make a revoked token look active once the view is full.
/** tessera_revocation_view_database_checks_total, as GET /metrics reports it. */
async function databaseChecks(t: TestApp): Promise<number> {
  const text = await t.app.get(PrometheusMetrics).registry.getSingleMetricAsString('tessera_revocation_view_database_checks_total');
  return Number(/^tessera_revocation_view_database_checks_total (\d+)$/m.exec(text)?.[1]);
}

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

  it('keeps what it has no room for in its overflow filter: a live token is answered from memory, a revoked one from the database', async () => {
    const user = await createUser(t);
    const live = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(() => login(t, app, user)));
    const doomed = [];
    for (let i = 0; i < 30; i++) doomed.push(await login(t, app, user));
    for (const session of doomed) expect((await revoke(t, app, session.refresh_token)).status).toBe(200);
    const view = t.app.get(RevocationView);
    await view.catchUp();
    expect(view.size).toBeLessThanOrEqual(3);
    expect(view.overflowSize).toBeGreaterThanOrEqual(27);

    // Counts the view's questions to the database; the store still answers them.
    const store = t.app.get(RevocationEventStore);
    const concerns = store.concerns.bind(store);
    let asked = 0;
    const counted = await databaseChecks(t);
    store.concerns = (...args) => {
      asked++;
      return concerns(...args);
    };
    try {
      for (const session of doomed) expect(await isActive(t, resourceServer, session.access_token)).toBe(false);
      const askedForRevoked = asked;
      expect(askedForRevoked).toBeGreaterThan(0);
      for (const session of live) expect(await isActive(t, resourceServer, session.access_token)).toBe(true);
      // The filter rules every live token out but for about one in a thousand: the database is not asked per request.
      expect(asked - askedForRevoked).toBeLessThanOrEqual(1);
      // What the bench reads to tell a mass logout's cost (bench/mass-logout.mjs).
      expect((await databaseChecks(t)) - counted).toBe(asked);
    } finally {
      delete (store as Partial<RevocationEventStore>).concerns;
    }
  });

  it('answers from the feed\'s table while a read works through a backlog, instead of 503', async () => {
    const user = await createUser(t);
    const [live, doomed] = [await login(t, app, user), await login(t, app, user)];
    const view = t.app.get(RevocationView);
    const store = t.app.get(RevocationEventStore);
    const read = store.read.bind(store);
    // No read gets through until the clock has moved past the view's staleness bound; then
    // the second full page of a read is held back until released: a read that has made
    // progress (its first page came back) and is not done.
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    let fullPages = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    store.read = async (...args) => {
      await opened;
      const events = await read(...args);
      if (events.length === args[1] && ++fullPages === 2) {
        holding();
        await released;
      }
      return events;
    };
    try {
      const until = new Date(t.clock.now() + 3600_000);
      await t.db.dataSource.query(
        `INSERT INTO revocation_events (kind, subject, created_at, until) SELECT 'jti', 'backlog-' || g, $1, $2 FROM generate_series(1, 12000) AS g`,
        [new Date(t.clock.now()), until],
      );
      // The family's revocation is on the backlog's last page, which the view has not read.
      await t.db.dataSource.query(`INSERT INTO revocation_events (kind, subject, created_at, until) VALUES ('family', $1, $2, $3)`, [
        String(jwtClaims(doomed.access_token).sid),
        new Date(t.clock.now()),
        until,
      ]);
      t.clock.advance(10);
      const reading = view.catchUp();
      open();
      await held;
      expect(view.isFresh()).toBe(false);
      expect(await view.readiness()).toBe('catching-up');
      // The live token is asked of the database; the doomed one is refused, from the
      // database or from its notification, whichever came first.
      const before = await databaseChecks(t);
      expect(await isActive(t, resourceServer, live.access_token)).toBe(true);
      expect((await databaseChecks(t)) - before).toBe(1);
      expect(await isActive(t, resourceServer, doomed.access_token)).toBe(false);

      release();
      await reading;
      expect(await view.readiness()).toBe('fresh');
      expect(await isActive(t, resourceServer, doomed.access_token)).toBe(false);
    } finally {
      open();
      release();
      delete (store as Partial<RevocationEventStore>).read;
    }
  });

  // The embedded database delivers no notification to another connection: nothing to carry there.
  describeOnPostgres('with notifications', () => {
    it('a notification carrying a later event never moves the view past rows it has not read', async () => {
      const user = await createUser(t);
      const session = await login(t, app, user);
      const view = other.app.get(RevocationView);
      await view.catchUp();
      const store = other.app.get(RevocationEventStore);
      const read = store.read.bind(store);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      store.read = async (...args) => {
        await released;
        return read(...args);
      };
      try {
        const known = view.size + view.overflowSize;
        const until = new Date(t.clock.now() + 3600_000);
        // A bulk revocation: its notification is too big to carry the events, so it asks for a read.
        await t.db.dataSource.query(
          `INSERT INTO revocation_events (kind, subject, created_at, until) SELECT 'jti', 'bulk-' || g, $1, $2 FROM generate_series(1, 12000) AS g`,
          [new Date(t.clock.now()), until],
        );
        // Then one family, whose notification carries it, arriving while the read waits.
        expect((await revoke(t, app, session.refresh_token)).status).toBe(200);
        // Learned from its notification alone: every read is held back.
        await eventually('the carried family in the view', async () => (view.size + view.overflowSize > known ? true : undefined));
        expect(view.size + view.overflowSize - known).toBe(1);
        release();
        await view.catchUp();
        expect(view.size + view.overflowSize - known).toBeGreaterThanOrEqual(12_001);
      } finally {
        release();
        delete (store as Partial<RevocationEventStore>).read;
      }
    });
  });

  it('learns a backlog larger than one read in pages, on boot, missing nothing at a page\'s edge', async () => {
    const user = await createUser(t);
    const sessions = [await login(t, app, user), await login(t, app, user), await login(t, app, user)];
    const sids = sessions.map((session) => String(jwtClaims(session.access_token).sid));
    const until = new Date(t.clock.now() + 3600_000);
    const filler = (n: number) =>
      t.db.dataSource.query(
        `INSERT INTO revocation_events (kind, subject, created_at, until) SELECT 'jti', 'filler-' || g, $1, $2 FROM generate_series(1, $3) AS g`,
        [new Date(t.clock.now()), until, n],
      );
    const family = (sid: string) => t.db.dataSource.query(`INSERT INTO revocation_events (kind, subject, created_at, until) VALUES ('family', $1, $2, $3)`, [sid, new Date(t.clock.now()), until]);
    // One family before the first page's end, one right after it, one at the end of the third page.
    await filler(4_990);
    await family(sids[0]);
    await filler(9);
    await family(sids[1]);
    await filler(9_998);
    await family(sids[2]);

    const booted = await startTestApp(env, { db: t.db, clock: t.clock });
    try {
      const view = booted.app.get(RevocationView);
      expect(view.size + view.overflowSize).toBeGreaterThanOrEqual(15_000);
      for (const session of sessions) expect(await isActive(booted, resourceServer, session.access_token)).toBe(false);
    } finally {
      await booted.close();
    }
  });
});
