import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A rotation inserts the successor and no longer updates the presented token or its parent.
 *
 * A token is used exactly when the next generation of its family exists (the unique key on
 * (family_id, generation) already made that one row at most), and was used when that row
 * was issued. The copy of a successor sealed under the token it replaced, kept for a retry
 * within the grace window, moves onto the successor's own row (`sealed`), so it is written
 * by the insert. Before, each rotation updated the presented token (used_at,
 * successor_hash, successor_sealed: a new entry in each of its indexes, since the sealed
 * copy's partial index made the update non-HOT), inserted the successor and updated the
 * parent to wipe its copy: three modifications of refresh_tokens in one statement, which
 * CockroachDB refuses by default, and the most index work of any write Tessera makes.
 *
 * A process of the previous version fails its refreshes once this has run (the columns it
 * writes are gone), without writing anything: replace processes when migrating.
 */
export class RotationInsertsOnly1765270000000 implements MigrationInterface {
  name = 'RotationInsertsOnly1765270000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens ADD COLUMN sealed bytea`);
    // Only tokens used within the grace window still hold a copy: the old partial index finds them.
    await q.query(`
      UPDATE refresh_tokens s SET sealed = p.successor_sealed
      FROM refresh_tokens p WHERE p.successor_sealed IS NOT NULL AND p.used_at IS NOT NULL AND s.hash = p.successor_hash`);
    await q.query(`DROP INDEX refresh_tokens_sealed_idx`);
    // The grace sweeper's: copies sealed longer ago than the grace window.
    await q.query(`CREATE INDEX refresh_tokens_sealed_idx ON refresh_tokens (issued_at) WHERE sealed IS NOT NULL`);
    await q.query(`ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_used_has_successor`);
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN used_at, DROP COLUMN successor_hash, DROP COLUMN successor_sealed`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens ADD COLUMN used_at timestamptz, ADD COLUMN successor_hash bytea, ADD COLUMN successor_sealed bytea`);
    await q.query(`
      UPDATE refresh_tokens p SET used_at = s.issued_at, successor_hash = s.hash, successor_sealed = s.sealed
      FROM refresh_tokens s WHERE s.family_id = p.family_id AND s.generation = p.generation + 1`);
    await q.query(`
      ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_used_has_successor CHECK ((used_at IS NULL) = (successor_hash IS NULL))`);
    await q.query(`DROP INDEX refresh_tokens_sealed_idx`);
    await q.query(
      `CREATE INDEX refresh_tokens_sealed_idx ON refresh_tokens (used_at) WHERE successor_sealed IS NOT NULL AND used_at IS NOT NULL`,
    );
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN sealed`);
  }
}
