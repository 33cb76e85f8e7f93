import { createClient, createUser, login, postForm, type TestClient, type TestUser } from '../factories/index.js';
import type { TestApp } from '../setup/app.js';
import { describeOnPostgres, type TestDatabase } from '../setup/database.js';
import { type ServerPair, startServerPair } from '../setup/server-pair.js';

/** Exactly one successor per refresh token, however many Tessera processes race for it. */
describeOnPostgres('rotation across two server processes on one database', () => {
  let pair: ServerPair;
  let db: TestDatabase;
  let t: TestApp;
  let client: TestClient;
  let user: TestUser;
  let urls: string[];

  beforeAll(async () => {
    // The in-process app seeds the data; the two processes are the servers under test.
    pair = await startServerPair({ REFRESH_REUSE_GRACE: '10' });
    ({ db, setup: t } = pair);
    urls = [pair.a.url, pair.b.url];
    client = await createClient(t);
    user = await createUser(t);
  });

  afterAll(async () => {
    await pair?.close();
  });

  const refreshAt = (url: string, refreshToken: string) =>
    postForm({ url }, '/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, { authorization: client.basic });

  async function generations(sid: string): Promise<number[]> {
    const rows = await db.dataSource.query<Array<{ generation: number }>>(`SELECT generation FROM refresh_tokens WHERE family_id = $1 ORDER BY generation`, [sid]);
    return rows.map((row) => row.generation);
  }

  const sidOf = (accessToken: string): string =>
    (JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { sid: string }).sid;

  it('40 refreshes of one token split over both processes produce one successor', async () => {
    const first = await login({ ...t, url: urls[0] }, client, user);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => refreshAt(urls[i % 2], first.refresh_token)));
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(200));
    expect(new Set(results.map((r) => r.body.refresh_token)).size).toBe(1);
    const sid = sidOf(first.access_token);
    expect(await generations(sid)).toEqual([0, 1]);
    const [family] = await db.dataSource.query<Array<{ revoked_at: Date | null }>>(`SELECT revoked_at FROM families WHERE id = $1`, [sid]);
    expect(family.revoked_at).toBeNull();
  });

  it('a chain refreshed in parallel rounds on both processes never forks', async () => {
    const first = await login({ ...t, url: urls[1] }, client, user);
    let current = first.refresh_token;
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => refreshAt(urls[(i + round) % 2], current)));
      expect(results.every((r) => r.status === 200)).toBe(true);
      const successors = new Set(results.map((r) => r.body.refresh_token));
      expect(successors.size).toBe(1);
      current = String([...successors][0]);
    }
    expect(await generations(sidOf(first.access_token))).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
