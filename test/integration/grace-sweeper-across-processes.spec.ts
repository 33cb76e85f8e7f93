import { GraceSweeper } from '../../src/sessions/grace-sweeper.js';
import { createClient, createUser, login, type TestClient, type TestUser, token } from '../factories/index.js';
import { anotherPool } from '../setup/another-pool.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { createTestDatabase, describeOnPostgres, type TestDatabase } from '../setup/database.js';

const GRACE = 10;
// Small batches, so that a few dozen rows take several statements.
const SETTINGS = { REFRESH_REUSE_GRACE: String(GRACE), JANITOR_BATCH_SIZE: '5' };

/**
 * Issue #20: every process swept every sealed successor in one unbounded statement. The
 * sweep now runs on one process at a time (the `grace-sweeper` lease), a batch at a time,
 * skipping copies another transaction holds.
 */
describeOnPostgres('the grace sweeper on two processes of one database', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let client: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await startTestApp(SETTINGS, { db });
    b = await startTestApp(SETTINGS, { db: await anotherPool(db) });
    client = await createClient(a);
    user = await createUser(a);
  });
  afterAll(async () => {
    await b?.close();
    await b?.db.drop();
    await a?.close();
    await db?.drop();
  });

  /** Grace copies of `n` sessions, sealed `agoSeconds` before now; their families' ids. */
  const graceCopies = async (n: number, agoSeconds: number): Promise<string[]> => {
    const rows = await db.dataSource.query<Array<{ family_id: string }>>(
      `INSERT INTO refresh_grace_copies (family_id, generation, sealed, sealed_at)
       SELECT gen_random_uuid(), 1, '\\x00'::bytea, $1 FROM generate_series(1, $2::int)
       RETURNING family_id`,
      [new Date(a.clock.now() - agoSeconds * 1000), n],
    );
    return rows.map((row) => row.family_id);
  };
  const stillSealed = async (families: string[]): Promise<number> =>
    (
      await db.dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM refresh_grace_copies WHERE family_id = ANY($1::uuid[])`,
        [families],
      )
    )[0].n;
  const sweep = (t: TestApp) => t.app.get(GraceSweeper).sweep();

  it('two processes sweeping at once wipe each closed window exactly once and none still open', async () => {
    const closed = await graceCopies(23, GRACE + 5);
    const open = await graceCopies(7, GRACE - 5);
    const [byA, byB] = await Promise.all([sweep(a), sweep(b)]);
    expect(byA + byB).toBe(23);
    expect(await stillSealed(closed)).toBe(0);
    expect(await stillSealed(open)).toBe(7);
    const leases = await db.dataSource.query<unknown[]>(`SELECT 1 FROM leases WHERE name = 'grace-sweeper'`);
    expect(leases).toHaveLength(0);
  });

  it('does not wait on a copy another transaction holds (a rotation or a revocation): it leaves it to the next run', async () => {
    const closed = await graceCopies(3, GRACE + 5);
    const holder = db.dataSource.createQueryRunner();
    await holder.connect();
    try {
      await holder.startTransaction();
      await holder.query(`SELECT 1 FROM refresh_grace_copies WHERE family_id = $1 FOR UPDATE`, [closed[0]]);
      expect(await sweep(b)).toBe(2);
      expect(await stillSealed([closed[0]])).toBe(1);
      await holder.commitTransaction();
    } finally {
      await holder.release();
    }
    expect(await sweep(a)).toBe(1);
    expect(await stillSealed(closed)).toBe(0);
  });

  it('skips its turn while another process holds the lease', async () => {
    const closed = await graceCopies(4, GRACE + 5);
    await db.dataSource.query(`INSERT INTO leases (name, holder, expires_at) VALUES ('grace-sweeper', gen_random_uuid(), now() + interval '1 minute')`);
    try {
      expect(await sweep(a)).toBe(0);
      expect(await stillSealed(closed)).toBe(4);
    } finally {
      await db.dataSource.query(`DELETE FROM leases WHERE name = 'grace-sweeper'`);
    }
    expect(await sweep(a)).toBe(4);
  });

  it('retries inside the window across both processes keep one successor while both sweep', async () => {
    const sessions = await Promise.all(Array.from({ length: 8 }, () => login(a, client, user)));
    const refresh = (t: TestApp, refreshToken: string) => token(t, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
    await graceCopies(40, GRACE + 5);
    const [results] = await Promise.all([
      Promise.all(sessions.flatMap((s) => [refresh(a, s.refresh_token), refresh(b, s.refresh_token), refresh(a, s.refresh_token)])),
      sweep(a),
      sweep(b),
    ]);
    expect(results.map((r) => r.status)).toEqual(Array(24).fill(200));
    for (let i = 0; i < sessions.length; i++) {
      expect(new Set(results.slice(3 * i, 3 * i + 3).map((r) => r.body.refresh_token)).size).toBe(1);
    }
  });
});
