import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The copy of a successor sealed for a retry within the grace window moves to a narrow
 * table of its own, one row per family, replaced at each rotation and deleted once the
 * window closes.
 *
 * On the successor's own row (RotationInsertsOnly), the copy was written by the insert, but
 * wiping it after the window was a second, non-HOT update of that row: a new version of
 * the widest row Tessera writes and an entry in each index of refresh_tokens, for every
 * rotation. Counted with that wipe, a rotation wrote more than when it updated the
 * presented token in place. Here the wipe is the delete of a narrow row, and a chain
 * rotated again within the window replaces its family's copy instead of adding one.
 *
 * Only the copy of a family's newest token can still be handed out (a retry is honoured
 * only while the successor is unused), so one row per family holds every copy that matters.
 *
 * No foreign key to families: a copy lives for the grace window whatever happens to its
 * family (a revocation deletes it, and the grace sweeper deletes every copy older than
 * the window), and checking the key would cost each rotation one more lookup.
 *
 * A process of the previous version fails its refreshes once this has run (the column it
 * writes is gone), without writing anything: replace processes when migrating.
 */
export class GraceCopiesApart1765280000000 implements MigrationInterface {
  name = 'GraceCopiesApart1765280000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE refresh_grace_copies (
        family_id  uuid        PRIMARY KEY,
        generation integer     NOT NULL,
        sealed     bytea       NOT NULL,
        sealed_at  timestamptz NOT NULL
      )`);
    // The copies still kept are the ones the partial index refresh_tokens_sealed_idx holds.
    await q.query(`
      INSERT INTO refresh_grace_copies (family_id, generation, sealed, sealed_at)
      SELECT DISTINCT ON (family_id) family_id, generation, sealed, issued_at
      FROM refresh_tokens WHERE sealed IS NOT NULL
      ORDER BY family_id, generation DESC`);
    await q.query(`DROP INDEX refresh_tokens_sealed_idx`);
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN sealed`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens ADD COLUMN sealed bytea`);
    await q.query(`
      UPDATE refresh_tokens t SET sealed = g.sealed
      FROM refresh_grace_copies g WHERE t.family_id = g.family_id AND t.generation = g.generation`);
    await q.query(`CREATE INDEX refresh_tokens_sealed_idx ON refresh_tokens (issued_at) WHERE sealed IS NOT NULL`);
    await q.query(`DROP TABLE refresh_grace_copies`);
  }
}
