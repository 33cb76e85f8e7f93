import { migrate } from '../../src/persistence/data-source.js';
import { createClient, createUser, login, token } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';

interface StoredToken {
  hash: Buffer;
  generation: number;
  issued_at: Date;
}

interface GraceCopy {
  generation: number;
  sealed: Buffer;
  sealed_at: Date;
}

/**
 * Migration RotationInsertsOnly moves a rotated token's state onto its successor's row (a
 * token is used when the next generation exists; the grace-window copy lives on the
 * successor), and GraceCopiesApart moves that copy into a narrow table, one per family.
 * A chain rotated before them keeps its meaning after them, both ways.
 */
describe('migrations RotationInsertsOnly and GraceCopiesApart', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REFRESH_REUSE_GRACE: '60' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('keep every chain, its used tokens and its grace-window copy, down and up again', async () => {
    const client = await createClient(t);
    const user = await createUser(t);
    const refresh = (refreshToken: string) => token(t, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
    const first = await login(t, client, user);
    const second = String((await refresh(first.refresh_token)).body.refresh_token);
    const third = String((await refresh(second)).body.refresh_token);
    const sid = (JSON.parse(Buffer.from(first.access_token.split('.')[1], 'base64url').toString()) as { sid: string }).sid;
    const query = <T>(sql: string) => t.db.dataSource.query<T>(sql, [sid]);
    const chain = () => query<StoredToken[]>(`SELECT hash, generation, issued_at FROM refresh_tokens WHERE family_id = $1 ORDER BY generation`);
    const copies = () => query<GraceCopy[]>(`SELECT generation, sealed, sealed_at FROM refresh_grace_copies WHERE family_id = $1`);
    const before = await chain();
    // One copy per family: the second rotation replaced the first one's.
    const [copy, ...more] = await copies();
    expect(more).toEqual([]);
    expect(copy).toEqual({ generation: 2, sealed: expect.any(Buffer), sealed_at: before[2].issued_at });

    await t.db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await query<Array<{ generation: number; sealed: Buffer | null }>>(
      `SELECT generation, sealed FROM refresh_tokens WHERE family_id = $1 ORDER BY generation`,
    )).toEqual([{ generation: 0, sealed: null }, { generation: 1, sealed: null }, { generation: 2, sealed: copy.sealed }]);

    await t.db.dataSource.undoLastMigration({ transaction: 'each' });
    const old = await query<Array<{ used_at: Date | null; successor_hash: Buffer | null; successor_sealed: Buffer | null }>>(
      `SELECT used_at, successor_hash, successor_sealed FROM refresh_tokens WHERE family_id = $1 ORDER BY generation`,
    );
    expect(old).toEqual([
      { used_at: before[1].issued_at, successor_hash: before[1].hash, successor_sealed: null },
      { used_at: before[2].issued_at, successor_hash: before[2].hash, successor_sealed: copy.sealed },
      { used_at: null, successor_hash: null, successor_sealed: null },
    ]);

    expect(await migrate(t.db.dataSource)).toEqual(['RotationInsertsOnly1765270000000', 'GraceCopiesApart1765280000000']);
    expect(await chain()).toEqual(before);
    expect(await copies()).toEqual([copy]);
    // The chain behaves as before: a retry within the grace window gets the same successor,
    // the live token rotates, and the stale ancestor is a reuse that ends the session.
    const retried = await refresh(second);
    expect(retried.status).toBe(200);
    expect(retried.body.refresh_token).toBe(third);
    expect((await refresh(third)).status).toBe(200);
    expect((await refresh(first.refresh_token)).body.error).toBe('invalid_grant');
    const [family] = await query<Array<{ revoked_reason: string | null }>>(`SELECT revoked_reason FROM families WHERE id = $1`);
    expect(family.revoked_reason).toBe('refresh_token_reuse');
    // The reuse revoked the family, which deleted its copy.
    expect(await copies()).toEqual([]);
  });
});
