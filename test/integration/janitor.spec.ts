import { JanitorService } from '../../src/janitor/janitor.service.js';
import { JanitorTask } from '../../src/janitor/janitor.task.js';
import { RefreshTokensService } from '../../src/sessions/refresh-tokens.service.js';
import { RevocationView } from '../../src/sessions/revocation-view.service.js';
import { createClient, createUser, login, token, type TestClient, type TestUser } from '../factories/index.js';
import { DAY, machineToken, refresh, rowCounts } from '../factories/janitor.js';
import { isActive, jwtClaims, revoke } from '../factories/resource-server.js';
import { anotherPool } from '../setup/another-pool.js';
import { startTestApp, type TestApp } from '../setup/app.js';

// Short lifetimes: a session ends for good three days after login. An access token lives
// 60 s; the janitor adds the 60 s verifier leeway and the 5 s staleness margin.
const ENV = {
  ACCESS_TOKEN_TTL: '60',
  REFRESH_IDLE_TTL: String(2 * DAY),
  REFRESH_ABSOLUTE_TTL: String(3 * DAY),
  JANITOR_INTERVAL: '0',
};
const PAST_ABSOLUTE_EXPIRY = 3 * DAY + 200;

type Keyed = Map<string, Record<string, unknown>>;

/** Every row of the tables the janitor deletes from, by key. */
async function snapshot(t: TestApp): Promise<Record<string, Keyed>> {
  const queries: Record<string, string> = {
    families: `SELECT id AS key, * FROM families`,
    refresh_tokens: `SELECT encode(hash, 'hex') AS key, family_id FROM refresh_tokens`,
    opaque_access_tokens: `SELECT jti AS key, family_id, expires_at FROM opaque_access_tokens`,
    revoked_access_tokens: `SELECT jti AS key FROM revoked_access_tokens`,
    revocation_events: `SELECT id::text AS key, subject FROM revocation_events`,
    audit_events: `SELECT id::text AS key FROM audit_events`,
    login_throttle: `SELECT encode(username_key, 'hex') || '/' || ip AS key, expires_at FROM login_throttle`,
  };
  const result: Record<string, Keyed> = {};
  for (const [table, sql] of Object.entries(queries)) {
    const rows = await t.db.dataSource.query<Array<Record<string, unknown> & { key: string }>>(sql);
    result[table] = new Map(rows.map((row) => [row.key, row]));
  }
  return result;
}

function gone(before: Keyed, after: Keyed): Record<string, unknown>[] {
  return [...before].filter(([key]) => !after.has(key)).map(([, row]) => row);
}

// The embedded database is one Postgres session behind a socket: it cannot run two
// processes' statements side by side (and only one process may open its data directory).
// CI always runs these on a real server (DATABASE_URL).
const itOnPostgres: jest.It = process.env.DATABASE_URL ? it : it.skip;

const sid = (tokens: Record<string, string>) => jwtClaims(tokens.access_token).sid as string;

describe('janitor', () => {
  let t: TestApp;
  let web: TestClient;
  let opaque: TestClient;
  let resourceServer: TestClient;
  let alice: TestUser;

  beforeEach(async () => {
    t = await startTestApp(ENV);
    web = await createClient(t);
    opaque = await createClient(t, { accessTokenFormat: 'opaque' });
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    alice = await createUser(t);
  });
  afterEach(async () => {
    await t.close();
  });

  it('deletes exactly what has ended for good, and keeps what reuse detection and live tokens need', async () => {
    // Day 0: sessions and tokens that will be over for good at the pass.
    const oldRevoked = await login(t, web, alice);
    await revoke(t, web, (await refresh(t, web, oldRevoked.refresh_token)).refresh_token);
    const oldIdle = await login(t, web, alice);
    const oldOpaque = await login(t, opaque, alice);
    const oldOpaqueFamily = (await t.app.get(RefreshTokensService).describe(oldOpaque.refresh_token))!.family.id;
    await machineToken(t, opaque);
    const oldJwt = await machineToken(t, web);
    await revoke(t, web, oldJwt);
    const wrong = { grant_type: 'password', username: alice.username, password: 'not the password' };
    expect((await token(t, web, wrong)).status).toBe(400);
    // Day 2: a revoked session and a live one with a rotated token, both inside their absolute lifetime.
    t.clock.advance(2 * DAY);
    const recentRevoked = await login(t, web, alice);
    const recentRevokedNext = await refresh(t, web, recentRevoked.refresh_token);
    await revoke(t, web, recentRevokedNext.refresh_token);
    const live = await login(t, web, alice);
    const liveNext = await refresh(t, web, live.refresh_token);
    // Past day 0's absolute expiry plus an access-token lifetime; fresh revocations of live tokens.
    t.clock.advance(PAST_ABSOLUTE_EXPIRY - 2 * DAY);
    const freshOpaque = await machineToken(t, opaque);
    const freshJwt = await machineToken(t, web);
    await revoke(t, web, freshJwt);
    const freshRevoked = await login(t, web, alice);
    await revoke(t, web, freshRevoked.refresh_token);
    expect((await token(t, web, { ...wrong, username: 'someone-else' })).status).toBe(400);

    const before = await snapshot(t);
    const counts = await t.app.get(JanitorService).runOnce();
    const after = await snapshot(t);

    const oldFamilies = [sid(oldRevoked), sid(oldIdle), oldOpaqueFamily];
    expect(gone(before.families, after.families).map((row) => row.id).sort()).toEqual([...oldFamilies].sort());
    const oldTokens = [...before.refresh_tokens.values()].filter((row) => oldFamilies.includes(row.family_id as string));
    expect(oldTokens).toHaveLength(4);
    expect(gone(before.refresh_tokens, after.refresh_tokens)).toEqual(oldTokens);
    const expiredOpaque = [...before.opaque_access_tokens.values()].filter((row) => (row.expires_at as Date).getTime() < t.clock.now());
    expect(expiredOpaque).toHaveLength(2);
    expect(gone(before.opaque_access_tokens, after.opaque_access_tokens)).toEqual(expiredOpaque);
    expect(gone(before.revoked_access_tokens, after.revoked_access_tokens).map((row) => row.key)).toEqual([jwtClaims(oldJwt).jti]);
    // Day 0's and day 2's events go; today's stay because they matter.
    expect(gone(before.revocation_events, after.revocation_events).map((row) => row.subject).sort()).toEqual(
      [sid(oldRevoked), jwtClaims(oldJwt).jti as string, sid(recentRevoked)].sort(),
    );
    expect(after.audit_events.size).toBe(before.audit_events.size);
    // Day 0's failed login no longer slows anyone; today's still does.
    const spentThrottles = [...before.login_throttle.values()].filter((row) => (row.expires_at as Date).getTime() < t.clock.now());
    expect(spentThrottles.length).toBeGreaterThan(0);
    expect(spentThrottles.length).toBeLessThan(before.login_throttle.size);
    expect(gone(before.login_throttle, after.login_throttle)).toEqual(spentThrottles);
    expect(counts).toEqual({
      opaque_access_tokens: 2,
      refresh_tokens: 4,
      families: 3,
      revoked_access_tokens: 1,
      revocation_events: 3,
      audit_events: 0,
      login_throttle: spentThrottles.length,
      authorization_codes: 0,
      pushed_authorization_requests: 0,
      login_sessions: 0,
      dpop_proofs: 0,
      backchannel_logouts: 0,
      webauthn_challenges: 0,
      second_factor_challenges: 0,
      console_sessions: 0,
    });

    // The revoked session inside its absolute lifetime is still known, its rotated token too.
    const sessions = t.app.get(RefreshTokensService);
    expect((await sessions.describe(recentRevoked.refresh_token))?.family.revokedAt).not.toBeNull();
    expect((await token(t, web, { grant_type: 'refresh_token', refresh_token: recentRevoked.refresh_token })).body.error).toBe('invalid_grant');
    expect(await sessions.describe(oldRevoked.refresh_token)).toBeUndefined();
    // A replayed rotated token of the live session is still reuse: the family is revoked and the theft recorded.
    const replay = await token(t, web, { grant_type: 'refresh_token', refresh_token: live.refresh_token });
    expect(replay.body.error).toBe('invalid_grant');
    const [family] = await t.db.dataSource.query<Array<{ revoked_reason: string }>>(`SELECT revoked_reason FROM families WHERE id = $1`, [sid(live)]);
    expect(family.revoked_reason).toBe('refresh_token_reuse');
    const reuse = await t.db.dataSource.query<Array<{ reason: string }>>(
      `SELECT reason FROM audit_events WHERE type = 'refresh_token_reuse_detected' AND family_id = $1`,
      [sid(live)],
    );
    expect(reuse).toEqual([{ reason: 'after_grace' }]);
    expect((await token(t, web, { grant_type: 'refresh_token', refresh_token: liveNext.refresh_token })).body.error).toBe('invalid_grant');
    // Live tokens keep their state.
    expect(await isActive(t, resourceServer, freshOpaque)).toBe(true);
    expect(await isActive(t, resourceServer, freshJwt)).toBe(false);
    expect(await isActive(t, resourceServer, freshRevoked.access_token)).toBe(false);
  });

  it('never leaves a booting view blind to an event committed late with a lower id, every spent event deleted', async () => {
    for (const subject of ['spent-1', 'spent-2']) await insertEvent(t, null, subject, new Date(t.clock.now() + 60_000));
    t.clock.advance(DAY);
    // A revocation allocates its id, another commits above it, the janitor runs, a process
    // boots, and only then does the first one commit.
    const [{ id: inFlight }] = await t.db.dataSource.query<Array<{ id: number }>>(`SELECT nextval('revocation_events_id_seq')::int AS id`);
    const above = await machineToken(t, web);
    await revoke(t, web, above);
    const late = await machineToken(t, web);
    const counts = await t.app.get(JanitorService).runOnce();
    expect(counts?.revocation_events).toBe(2);
    const subjects = await t.db.dataSource.query<Array<{ subject: string }>>(`SELECT subject FROM revocation_events ORDER BY id`);
    expect(subjects.map((row) => row.subject)).toEqual([jwtClaims(above).jti]);

    const pool = await anotherPool(t.db);
    const booted = await startTestApp(ENV, { db: pool, clock: t.clock });
    try {
      expect(await isActive(booted, resourceServer, above)).toBe(false);
      expect(await isActive(booted, resourceServer, late)).toBe(true);
      const claims = jwtClaims(late);
      await insertEvent(t, inFlight, claims.jti as string, new Date((claims.exp as number) * 1000));
      await booted.app.get(RevocationView).catchUp();
      expect(await isActive(booted, resourceServer, late)).toBe(false);
    } finally {
      await booted.close();
      await pool.drop();
    }
  });

  it('skips a pass while another process holds the janitor lease, and takes it once it has expired', async () => {
    await insertEvent(t, null, 'spent-1', new Date(t.clock.now()));
    await insertEvent(t, null, 'spent-2', new Date(t.clock.now()));
    t.clock.advance(DAY);
    // Another process's lease, by the database's clock (the one all processes share).
    await t.db.dataSource.query(`INSERT INTO leases (name, holder, expires_at) VALUES ('janitor', gen_random_uuid(), now() + interval '1 hour')`);
    expect(await t.app.get(JanitorService).runOnce()).toBeUndefined();
    expect((await rowCounts(t)).revocation_events).toBe(2);
    // Its holder died: once the expiry passes, the next pass takes the lease over.
    await t.db.dataSource.query(`UPDATE leases SET expires_at = now() - interval '1 second' WHERE name = 'janitor'`);
    expect((await t.app.get(JanitorService).runOnce())?.revocation_events).toBe(2);
    // And gives it back when done.
    expect(await t.db.dataSource.query(`SELECT name FROM leases`)).toEqual([]);
  });

  itOnPostgres('deletes everything expired in batches smaller than the backlog, from two processes at once', async () => {
    await t.close();
    t = await startTestApp({ ...ENV, JANITOR_BATCH_SIZE: '4' });
    web = await createClient(t);
    alice = await createUser(t);
    const ended = new Date(t.clock.now() - DAY * 1000);
    const { dataSource } = t.db;
    // 25 ended sessions of 3 tokens each, 20 expired opaque tokens, 17 expired revoked jtis,
    // 13 spent events: every table's backlog is several batches long.
    await dataSource.query(
      `INSERT INTO families (id, user_id, client_id, scope, created_at, last_used_at, idle_expires_at, absolute_expires_at)
       SELECT gen_random_uuid(), $1, $2, 'read', $3, $3, $3, $3 FROM generate_series(1, 25)`,
      [alice.user.id, web.id, ended],
    );
    await dataSource.query(
      `INSERT INTO refresh_tokens (hash, family_id, generation, issued_at)
       SELECT sha256((f.id::text || g)::bytea), f.id, g, $1 FROM families f, generate_series(0, 2) g`,
      [ended],
    );
    await dataSource.query(
      `INSERT INTO opaque_access_tokens (hash, jti, client_id, subject, scope, audience, issued_at, expires_at)
       SELECT sha256(('opaque-' || g)::bytea), 'opaque-' || g, $1, $1, 'read', 'aud', $2, $2 FROM generate_series(1, 20) g`,
      [web.id, ended],
    );
    await dataSource.query(
      `INSERT INTO revoked_access_tokens (jti, revoked_at, expires_at) SELECT 'jti-' || g, $1, $1 FROM generate_series(1, 17) g`,
      [ended],
    );
    await dataSource.query(
      `INSERT INTO revocation_events (kind, subject, created_at, until) SELECT 'jti', 'event-' || g, $1, $1 FROM generate_series(1, 14) g`,
      [ended],
    );
    // What must stay: a live session, a live opaque token, a live revocation.
    const live = await login(t, web, alice);
    const liveJwt = await machineToken(t, web);
    await revoke(t, web, liveJwt);
    const kept = await rowCounts(t);

    const pool = await anotherPool(t.db);
    const second = await startTestApp({ ...ENV, JANITOR_BATCH_SIZE: '4' }, { db: pool, clock: t.clock });
    try {
      const passes = await Promise.all([t.app.get(JanitorTask).sweep(), second.app.get(JanitorTask).sweep()]);
      expect(passes[0] + passes[1]).toBe(75 + 25 + 20 + 17 + 14);
      expect(passes).toContain(0);
    } finally {
      await second.close();
      await pool.drop();
    }
    expect(await rowCounts(t)).toEqual({
      ...kept,
      families: kept.families - 25,
      refresh_tokens: kept.refresh_tokens - 75,
      opaque_access_tokens: kept.opaque_access_tokens - 20,
      revoked_access_tokens: kept.revoked_access_tokens - 17,
      revocation_events: kept.revocation_events - 14,
    });
    expect(await t.app.get(JanitorService).runOnce({ batchSize: 1 })).toEqual({
      opaque_access_tokens: 0,
      refresh_tokens: 0,
      families: 0,
      revoked_access_tokens: 0,
      revocation_events: 0,
      audit_events: 0,
      login_throttle: 0,
      authorization_codes: 0,
      pushed_authorization_requests: 0,
      login_sessions: 0,
      dpop_proofs: 0,
      backchannel_logouts: 0,
      webauthn_challenges: 0,
      second_factor_challenges: 0,
      console_sessions: 0,
    });
    expect((await refresh(t, web, live.refresh_token)).refresh_token).toBeDefined();
  });
});

function insertEvent(t: TestApp, id: number | null, subject: string, until: Date): Promise<unknown> {
  return t.db.dataSource.query(
    `INSERT INTO revocation_events (id, kind, subject, created_at, until)
     VALUES (COALESCE($1::bigint, nextval('revocation_events_id_seq')), 'jti', $2, $3, $4)`,
    [id, subject, new Date(t.clock.now()), until],
  );
}
