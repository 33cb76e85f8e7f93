import { createHmac, hkdfSync } from 'node:crypto';
import { GraceSweeper } from '../../src/sessions/grace-sweeper.js';
import { createClient, createUser, login, type TestClient, type TestUser, token } from '../factories/index.js';
import { startTestApp, TEST_SECRETS, type TestApp } from '../setup/app.js';

const GRACE = 10;
const IDLE = 3_600;
const ABSOLUTE = 10_000;

/**
 * Rotation, grace and reuse detection as a case table (after fosite's flow_refresh_test):
 * each case logs in, walks a chain of refreshes with the injected clock, and says what
 * the last request gets and whether the family survives.
 */
describe('refresh token rotation', () => {
  let t: TestApp;
  let client: TestClient;
  let other: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ REFRESH_REUSE_GRACE: String(GRACE), REFRESH_IDLE_TTL: String(IDLE), REFRESH_ABSOLUTE_TTL: String(ABSOLUTE) });
    client = await createClient(t);
    other = await createClient(t);
    user = await createUser(t);
  });
  afterAll(async () => { await t.close(); });

  const refresh = (refreshToken: string, by: TestClient = client, extra: Record<string, string> = {}) =>
    token(t, by, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });

  async function family(sid: string) {
    const [row] = await t.db.dataSource.query<Array<{ revoked_at: Date | null; revoked_reason: string | null; idle_expires_at: Date; absolute_expires_at: Date }>>(`SELECT * FROM families WHERE id = $1`, [sid]);
    return row;
  }

  const sidOf = (accessToken: string): string =>
    (JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { sid: string }).sid;

  async function reuseEvents(sid: string): Promise<string[]> {
    const rows = await t.db.dataSource.query<Array<{ reason: string }>>(
      `SELECT reason FROM audit_events WHERE type = 'refresh_token_reuse_detected' AND family_id = $1`,
      [sid],
    );
    return rows.map((row) => row.reason);
  }

  it('rotates: a new refresh token each time, the same family, the scope kept', async () => {
    const first = await login(t, client, user);
    const second = await refresh(first.refresh_token);
    const third = await refresh(String(second.body.refresh_token));
    expect(second.status).toBe(200);
    expect(third.status).toBe(200);
    expect(new Set([first.refresh_token, second.body.refresh_token, third.body.refresh_token]).size).toBe(3);
    expect(sidOf(String(third.body.access_token))).toBe(sidOf(first.access_token));
    expect(third.body.scope).toBe('read write');
  });

  it('narrows the access token on request while the chain keeps its scope (RFC 6749 §6)', async () => {
    const first = await login(t, client, user);
    const narrowed = await refresh(first.refresh_token, client, { scope: 'read' });
    expect(narrowed.body.scope).toBe('read');
    const next = await refresh(String(narrowed.body.refresh_token));
    expect(next.body.scope).toBe('read write');
  });

  it('refuses a wider scope without consuming the token', async () => {
    const first = await login(t, client, user, 'read');
    const wider = await refresh(first.refresh_token, client, { scope: 'read write' });
    expect(wider.status).toBe(400);
    expect(wider.body.error).toBe('invalid_scope');
    expect((await refresh(first.refresh_token)).status).toBe(200);
  });

  type Step = (chain: string[]) => Promise<{ status: number; body: Record<string, unknown> }>;
  const cases: Array<{ name: string; steps: number; act: Step; status: number; familyRevoked: boolean; reuse?: string }> = [
    {
      name: 'repeat of the immediate parent inside the grace window gets the same successor',
      steps: 1,
      act: async (chain) => {
        const again = await refresh(chain[0]);
        expect(again.body.refresh_token).toBe(chain[1]);
        return again;
      },
      status: 200,
      familyRevoked: false,
    },
    {
      name: 'repeat of the immediate parent after the grace window is reuse',
      steps: 1,
      act: async (chain) => {
        t.clock.advance(GRACE);
        return refresh(chain[0]);
      },
      status: 400,
      familyRevoked: true,
      reuse: 'after_grace',
    },
    {
      name: 'a stale ancestor, even inside the window, is reuse',
      steps: 2,
      act: (chain) => refresh(chain[0]),
      status: 400,
      familyRevoked: true,
      reuse: 'stale_ancestor',
    },
    {
      name: 'a live token presented by another client is theft',
      steps: 1,
      act: (chain) => refresh(chain[1], other),
      status: 400,
      familyRevoked: true,
      reuse: 'other_client',
    },
    {
      name: 'the grace repeat by another client is theft too',
      steps: 1,
      act: (chain) => refresh(chain[0], other),
      status: 400,
      familyRevoked: true,
      reuse: 'other_client',
    },
    {
      name: 'an access token presented as a refresh token is simply invalid',
      steps: 0,
      act: async (chain) => {
        const { body } = await refresh(chain[0]);
        chain.push(String(body.refresh_token));
        return refresh(String(body.access_token));
      },
      status: 400,
      familyRevoked: false,
    },
  ];

  it.each(cases)('$name', async ({ steps, act, status, familyRevoked, reuse }) => {
    const first = await login(t, client, user);
    const sid = sidOf(first.access_token);
    const chain = [first.refresh_token];
    for (let i = 0; i < steps; i++) {
      const next = await refresh(chain[i]);
      expect(next.status).toBe(200);
      chain.push(String(next.body.refresh_token));
    }
    const result = await act(chain);
    expect(result.status).toBe(status);
    if (status === 400) expect(result.body.error).toBe('invalid_grant');
    const row = await family(sid);
    expect(row.revoked_at !== null).toBe(familyRevoked);
    expect(await reuseEvents(sid)).toEqual(reuse ? [reuse] : []);
    // After reuse every token of the family is dead, the newest included.
    const newest = await refresh(chain[chain.length - 1]);
    expect(newest.status).toBe(familyRevoked ? 400 : 200);
    if (familyRevoked) expect(row.revoked_reason).toBe('refresh_token_reuse');
  });

  describe('expiry', () => {
    it('ends a family left idle for REFRESH_IDLE_TTL', async () => {
      const first = await login(t, client, user);
      t.clock.advance(IDLE);
      const result = await refresh(first.refresh_token);
      expect(result.body.error).toBe('invalid_grant');
      expect((await family(sidOf(first.access_token))).revoked_reason).toBe('expired');
    });

    it('slides the idle expiry on use but never past the absolute one', async () => {
      const first = await login(t, client, user);
      const sid = sidOf(first.access_token);
      let current = first.refresh_token;
      let elapsed = 0;
      while (elapsed + IDLE - 1 < ABSOLUTE) {
        t.clock.advance(IDLE - 1);
        elapsed += IDLE - 1;
        const next = await refresh(current);
        expect(next.status).toBe(200);
        current = String(next.body.refresh_token);
        const row = await family(sid);
        expect(row.idle_expires_at.getTime()).toBeLessThanOrEqual(row.absolute_expires_at.getTime());
      }
      expect(elapsed).toBeGreaterThan(IDLE);
      t.clock.advance(ABSOLUTE - elapsed);
      const late = await refresh(current);
      expect(late.body.error).toBe('invalid_grant');
      expect((await family(sid)).revoked_reason).toBe('expired');
    });

    it('refuses the refresh of a disabled user', async () => {
      const someone = await createUser(t);
      const first = await login(t, client, someone);
      await t.db.dataSource.query(`UPDATE users SET disabled_at = now() WHERE id = $1`, [someone.user.id]);
      expect((await refresh(first.refresh_token)).body.error).toBe('invalid_grant');
    });
  });

  describe('what the database holds', () => {
    it('only keyed hashes: a copy of the tables cannot confirm a token', async () => {
      const first = await login(t, client, user);
      const key = Buffer.from(hkdfSync('sha256', TEST_SECRETS.TOKEN_HASH_SECRET, Buffer.alloc(0), 'tessera:refresh-token', 32));
      const expected = createHmac('sha256', key).update(first.refresh_token).digest();
      const rows = await t.db.dataSource.query<unknown[]>(`SELECT hash FROM refresh_tokens WHERE hash = $1`, [expected]);
      expect(rows).toHaveLength(1);
      const plain = await t.db.dataSource.query<Array<{ n: string }>>(
        `SELECT (SELECT count(*) FROM refresh_tokens WHERE position($1::bytea IN hash) > 0)
              + (SELECT count(*) FROM refresh_grace_copies WHERE position($1::bytea IN sealed) > 0) AS n`,
        [Buffer.from(first.refresh_token)],
      );
      expect(plain[0].n).toBe('0');
    });

    it('keeps one sealed successor per session, and wipes it once the grace window closes', async () => {
      const first = await login(t, client, user);
      const second = await refresh(first.refresh_token);
      const sid = sidOf(first.access_token);
      const sealed = async () =>
        t.db.dataSource.query<Array<{ generation: number }>>(`SELECT generation FROM refresh_grace_copies WHERE family_id = $1`, [sid]);
      expect(await sealed()).toEqual([{ generation: 1 }]);
      const third = await refresh(String(second.body.refresh_token));
      // The second rotation replaced the first one's copy: that one could open only for a
      // token whose successor is used (a stale ancestor, refused before any unsealing).
      expect(await sealed()).toEqual([{ generation: 2 }]);
      expect((await refresh(String(second.body.refresh_token))).body.refresh_token).toBe(third.body.refresh_token);
      t.clock.advance(GRACE);
      await t.app.get(GraceSweeper).sweep();
      expect(await sealed()).toEqual([]);
    });
  });

  describe('concurrency', () => {
    it('50 parallel refreshes of one token: one successor, every caller gets it, the family lives', async () => {
      const first = await login(t, client, user);
      const sid = sidOf(first.access_token);
      const results = await Promise.all(Array.from({ length: 50 }, () => refresh(first.refresh_token)));
      expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
      expect(new Set(results.map((r) => r.body.refresh_token)).size).toBe(1);
      const rows = await t.db.dataSource.query<Array<{ generation: number }>>(`SELECT generation FROM refresh_tokens WHERE family_id = $1 ORDER BY generation`, [sid]);
      expect(rows.map((r) => r.generation)).toEqual([0, 1]);
      expect((await family(sid)).revoked_at).toBeNull();
      expect((await refresh(String(results[0].body.refresh_token))).status).toBe(200);
    });

    it('parallel refreshes along a chain never fork it', async () => {
      const first = await login(t, client, user);
      const sid = sidOf(first.access_token);
      let current = first.refresh_token;
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(Array.from({ length: 10 }, () => refresh(current)));
        const tokens = new Set(results.map((r) => r.body.refresh_token));
        expect(tokens.size).toBe(1);
        current = String([...tokens][0]);
      }
      const rows = await t.db.dataSource.query<unknown[]>(`SELECT count(*)::int AS n, max(generation) AS g FROM refresh_tokens WHERE family_id = $1`, [sid]);
      expect(rows[0]).toEqual({ n: 6, g: 5 });
    });
  });
});
