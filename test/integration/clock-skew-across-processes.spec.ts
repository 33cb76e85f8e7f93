import { ClockSync } from '../../src/health/clock-sync.js';
import { createLogger } from '../../src/logging/logger.js';
import { databaseTime } from '../../src/persistence/database-time.js';
import { GraceSweeper } from '../../src/sessions/grace-sweeper.js';
import { createClient, createUser, login, type TestClient, type TestUser, token } from '../factories/index.js';
import { metricValue, scrape } from '../factories/metrics.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { ShiftedClock } from '../setup/clock.js';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';
import { eventually } from '../setup/faults.js';

const GRACE = 10;
const SETTINGS = { REFRESH_REUSE_GRACE: String(GRACE) };

/**
 * Issue #20: with one instance's clock 20 s fast, every process judged and wiped grace
 * windows by its own clock, so legitimate retries on the correct instances were refused
 * as reuse. Both instances here run on the database's clock, each measuring its own.
 */
describe('two instances on one database, one with its clock 20 s fast', () => {
  let db: TestDatabase;
  let fast: TestApp;
  let correct: TestApp;
  let client: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    db = await createTestDatabase();
    fast = await startTestApp(SETTINGS, { db, clock: new ShiftedClock(20), databaseClock: true });
    correct = await startTestApp(SETTINGS, { db, clock: new ShiftedClock(0), databaseClock: true });
    client = await createClient(correct);
    user = await createUser(correct);
  });
  afterAll(async () => {
    await fast?.close();
    await correct?.close();
    await db?.drop();
  });

  const refresh = (t: TestApp, refreshToken: string) => token(t, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
  const sidOf = (accessToken: string): string =>
    (JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { sid: string }).sid;
  const revokedReason = async (sid: string) =>
    (await db.dataSource.query<Array<{ revoked_reason: string | null }>>('SELECT revoked_reason FROM families WHERE id = $1', [sid]))[0].revoked_reason;

  it("a retry inside the window on the correct instance survives the fast instance's grace sweeper", async () => {
    const first = await login(correct, client, user);
    const rotated = await refresh(correct, first.refresh_token);
    expect(rotated.status).toBe(200);
    await fast.app.get(GraceSweeper).sweep();
    const retried = await refresh(correct, first.refresh_token);
    expect(retried.status).toBe(200);
    expect(retried.body.refresh_token).toBe(rotated.body.refresh_token);
    expect(await revokedReason(sidOf(first.access_token))).toBeNull();
  });

  it('a retry inside the window on the fast instance, of a rotation on the correct one, gets the same successor', async () => {
    const first = await login(correct, client, user);
    const rotated = await refresh(correct, first.refresh_token);
    const retried = await refresh(fast, first.refresh_token);
    expect(retried.status).toBe(200);
    expect(retried.body.refresh_token).toBe(rotated.body.refresh_token);
    expect(await revokedReason(sidOf(first.access_token))).toBeNull();
  });

  it('a retry after the window, of a rotation on the fast instance, is still reuse on the correct one', async () => {
    const first = await login(correct, client, user);
    expect((await refresh(fast, first.refresh_token)).status).toBe(200);
    const rotatedBy = await databaseTime(db.dataSource);
    // The window closes by the database's time; a second more for the measurements' error.
    await eventually('the grace window closing', async () => ((await databaseTime(db.dataSource)) > rotatedBy + (GRACE + 1) * 1000 ? true : undefined));
    const retried = await refresh(correct, first.refresh_token);
    expect(retried.status).toBe(400);
    expect(retried.body.error).toBe('invalid_grant');
    expect(await revokedReason(sidOf(first.access_token))).toBe('refresh_token_reuse');
  });

  it('each instance reports how far its own clock is off the database', async () => {
    expect(Math.abs(metricValue(await scrape(fast), 'tessera_clock_offset_seconds') - -20)).toBeLessThan(1);
    expect(Math.abs(metricValue(await scrape(correct), 'tessera_clock_offset_seconds'))).toBeLessThan(1);
  });
});

describe('CLOCK_SKEW_MAX_SECONDS', () => {
  const ready = async (t: TestApp) => {
    const response = await fetch(`${t.url}/readyz`);
    return { status: response.status, body: (await response.json()) as { status: string } };
  };

  it('refuses to boot with a clock further off the database than the setting', async () => {
    await expect(startTestApp({ CLOCK_SKEW_MAX_SECONDS: '30' }, { clock: new ShiftedClock(45), databaseClock: true })).rejects.toThrow(
      /^the clock is 4\d\.\d s ahead of the database's \(more than CLOCK_SKEW_MAX_SECONDS=30\)$/,
    );
  });

  it('answers /readyz 503 while the clock is further off, measured every minute, and 200 once it is back', async () => {
    const own = new ShiftedClock(0);
    const t = await startTestApp({ CLOCK_SKEW_MAX_SECONDS: '30' }, { clock: own, databaseClock: true });
    try {
      expect(await ready(t)).toEqual({ status: 200, body: { status: 'ready' } });
      own.advance(-45);
      await t.app.get(ClockSync).sweep();
      const skewed = await ready(t);
      expect(skewed.status).toBe(503);
      expect(skewed.body.status).toMatch(/^the clock is 4\d\.\d s behind the database's \(more than CLOCK_SKEW_MAX_SECONDS=30\)$/);
      expect(Math.abs(metricValue(await scrape(t), 'tessera_clock_offset_seconds') - 45)).toBeLessThan(1);
      own.advance(45);
      await t.app.get(ClockSync).sweep();
      expect(await ready(t)).toEqual({ status: 200, body: { status: 'ready' } });
    } finally {
      await t.close();
    }
  });

  it('warns once when the clock drifts more than a second off, and again only after it came back', async () => {
    const own = new ShiftedClock(5);
    const written: string[] = [];
    const logger = createLogger('warn', { format: 'json', destination: { write: (line: string) => void written.push(line) } });
    const t = await startTestApp({}, { clock: own, databaseClock: true, logger });
    const warnings = () => written.filter((line) => line.includes("this process's clock is"));
    try {
      expect(warnings()).toHaveLength(1);
      expect(warnings()[0]).toMatch(/ s ahead of the database's: Tessera follows the database's/);
      await t.app.get(ClockSync).sweep();
      expect(warnings()).toHaveLength(1);
      own.advance(-5);
      await t.app.get(ClockSync).sweep();
      expect(warnings()).toHaveLength(1);
      own.advance(-5);
      await t.app.get(ClockSync).sweep();
      expect(warnings()).toHaveLength(2);
      expect(warnings()[1]).toMatch(/ s behind the database's/);
    } finally {
      await t.close();
    }
  });

  it('serves whatever the offset when set to 0', async () => {
    const t = await startTestApp({ CLOCK_SKEW_MAX_SECONDS: '0' }, { clock: new ShiftedClock(3600), databaseClock: true });
    try {
      expect(await ready(t)).toEqual({ status: 200, body: { status: 'ready' } });
    } finally {
      await t.close();
    }
  });
});
