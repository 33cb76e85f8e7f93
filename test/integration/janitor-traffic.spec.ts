import { JanitorService } from '../../src/janitor/janitor.service.js';
import { createClient, createUser, login, token, type TestClient, type TestUser } from '../factories/index.js';
import { DAY, machineToken, refresh, rowCounts, type Table, TABLES } from '../factories/janitor.js';
import { revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ACCESS_TOKEN_TTL = 60;
const ABSOLUTE_DAYS = 3;
const AUDIT_DAYS = 5;
const DAYS = 100;
// How long each kind of row may outlive its last use, in whole days of traffic: the
// setting, plus an access-token lifetime and the margins (under a day), plus the day
// until the next pass.
const WINDOW_DAYS: Record<Table, number> = {
  families: ABSOLUTE_DAYS + 2,
  refresh_tokens: ABSOLUTE_DAYS + 2,
  opaque_access_tokens: 2,
  revoked_access_tokens: 2,
  revocation_events: 2,
  audit_events: AUDIT_DAYS + 1,
  // a failure is forgotten 2 × LOGIN_LOCKOUT_MAX (30 min) after it
  login_throttle: 2,
};

/** One simulated day: logins, rotations, a replayed token, revocations, machine tokens. */
async function oneDay(t: TestApp, web: TestClient, opaque: TestClient, user: TestUser, day: number): Promise<void> {
  const kept = await login(t, web, user);
  const rotated = await refresh(t, web, (await refresh(t, web, kept.refresh_token)).refresh_token);
  const stolen = await login(t, opaque, user);
  await refresh(t, opaque, stolen.refresh_token);
  t.clock.advance(11); // past REFRESH_REUSE_GRACE
  const replay = await token(t, opaque, { grant_type: 'refresh_token', refresh_token: stolen.refresh_token });
  if (replay.body.error !== 'invalid_grant') throw new Error(`day ${day}: the replay was not refused: ${replay.text}`);
  // Every other session is logged out; the rest end at their idle expiry.
  if (day % 2 === 0) await revoke(t, web, rotated.refresh_token);
  await revoke(t, web, await machineToken(t, web));
  await revoke(t, opaque, await machineToken(t, opaque));
  // Someone mistypes a (new) name every day.
  const typo = await token(t, web, { grant_type: 'password', username: `typo-${day}`, password: 'wrong' });
  if (typo.status !== 400) throw new Error(`day ${day}: the failed login answered ${typo.status}`);
  t.clock.advance(DAY - 11);
}

describe('janitor over months of traffic', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL),
      REFRESH_IDLE_TTL: String(DAY),
      REFRESH_ABSOLUTE_TTL: String(ABSOLUTE_DAYS * DAY),
      AUDIT_RETENTION: String(AUDIT_DAYS * DAY),
      JANITOR_INTERVAL: '0',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it(`keeps every table under a bound set by the lifetimes, not by the ${DAYS} days`, async () => {
    const web = await createClient(t);
    const opaque = await createClient(t, { accessTokenFormat: 'opaque' });
    const user = await createUser(t);
    const janitor = t.app.get(JanitorService);

    // Rows a day of traffic adds, before any pass: the larger of an odd and an even day.
    const start = await rowCounts(t);
    await oneDay(t, web, opaque, user, 1);
    const firstDay = await rowCounts(t);
    await oneDay(t, web, opaque, user, 2);
    const secondDay = await rowCounts(t);
    const increments = (pick: typeof Math.max) =>
      Object.fromEntries(TABLES.map((table) => [table, pick(firstDay[table] - start[table], secondDay[table] - firstDay[table])])) as Record<Table, number>;
    const perDay = increments(Math.max);
    const leastPerDay = increments(Math.min);
    const bound = (table: Table) => start[table] + perDay[table] * WINDOW_DAYS[table];
    for (const table of TABLES) expect(leastPerDay[table]).toBeGreaterThan(0);

    const deleted = Object.fromEntries(TABLES.map((table) => [table, 0])) as Record<Table, number>;
    const peak = { ...secondDay };
    for (let day = 3; day <= DAYS; day++) {
      const counts = await janitor.runOnce();
      for (const [table, n] of Object.entries(counts!)) deleted[table as Table] += n;
      await oneDay(t, web, opaque, user, day);
      const rows = await rowCounts(t);
      for (const table of TABLES) peak[table] = Math.max(peak[table], rows[table]);
    }

    const overBound = TABLES.filter((table) => peak[table] > bound(table)).map((table) => ({ table, peak: peak[table], bound: bound(table) }));
    expect(overBound).toEqual([]);
    for (const table of TABLES) {
      // Without the janitor the table would hold every day's rows.
      expect(start[table] + perDay[table] * DAYS).toBeGreaterThan(bound(table) * 4);
      expect(deleted[table]).toBeGreaterThan(leastPerDay[table] * (DAYS - 2 * WINDOW_DAYS[table]));
    }
  }, 300_000);
});
