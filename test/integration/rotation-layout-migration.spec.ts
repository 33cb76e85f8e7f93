import { migrate } from '../../src/persistence/data-source.js';
import { createClient, createUser, login, token } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';

interface StoredToken {
  hash: Buffer;
  generation: number;
  issued_at: Date;
  sealed: Buffer | null;
}

/**
 * Migration RotationInsertsOnly moves a rotated token's state onto its successor's row (a
 * token is used when the next generation exists; the grace-window copy lives on the
 * successor). A chain rotated before it keeps its meaning after it, both ways.
 */
describe('migration RotationInsertsOnly', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REFRESH_REUSE_GRACE: '60' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('keeps every chain, its used tokens and its grace-window copies, down and up again', async () => {
    const client = await createClient(t);
    const user = await createUser(t);
    const refresh = (refreshToken: string) => token(t, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
    const first = await login(t, client, user);
    const second = String((await refresh(first.refresh_token)).body.refresh_token);
    const third = String((await refresh(second)).body.refresh_token);
    const sid = (JSON.parse(Buffer.from(first.access_token.split('.')[1], 'base64url').toString()) as { sid: string }).sid;
    const chain = () =>
      t.db.dataSource.query<StoredToken[]>(`SELECT hash, generation, issued_at, sealed FROM refresh_tokens WHERE family_id = $1 ORDER BY generation`, [sid]);
    const before = await chain();
    expect(before.map((row) => [row.generation, row.sealed !== null])).toEqual([[0, false], [1, true], [2, true]]);

    await t.db.dataSource.undoLastMigration({ transaction: 'each' });
    const old = await t.db.dataSource.query<Array<{ used_at: Date | null; successor_hash: Buffer | null; successor_sealed: Buffer | null }>>(
      `SELECT used_at, successor_hash, successor_sealed FROM refresh_tokens WHERE family_id = $1 ORDER BY generation`,
      [sid],
    );
    expect(old).toEqual([
      { used_at: before[1].issued_at, successor_hash: before[1].hash, successor_sealed: before[1].sealed },
      { used_at: before[2].issued_at, successor_hash: before[2].hash, successor_sealed: before[2].sealed },
      { used_at: null, successor_hash: null, successor_sealed: null },
    ]);

    expect(await migrate(t.db.dataSource)).toEqual(['RotationInsertsOnly1765270000000']);
    expect(await chain()).toEqual(before);
    // The chain behaves as before: a retry within the grace window gets the same successor,
    // the live token rotates, and the stale ancestor is a reuse that ends the session.
    const retried = await refresh(second);
    expect(retried.status).toBe(200);
    expect(retried.body.refresh_token).toBe(third);
    expect((await refresh(third)).status).toBe(200);
    expect((await refresh(first.refresh_token)).body.error).toBe('invalid_grant');
    const [family] = await t.db.dataSource.query<Array<{ revoked_reason: string | null }>>(`SELECT revoked_reason FROM families WHERE id = $1`, [sid]);
    expect(family.revoked_reason).toBe('refresh_token_reuse');
  });
});
