import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Storage that keeps a rotation's cost independent of how many rotations happen:
 *
 * - The sealed-successor index serves the grace sweeper only. Its predicate now also says
 *   `used_at IS NOT NULL` (true of every sealed row: a token is sealed into its parent when
 *   the parent is used), which the sweeper's `used_at <= $1` implies and the rotation's
 *   wipe of the parent's copy does not. Before, the planner could answer that wipe, a
 *   lookup of one (family_id, generation) key, by walking every sealed row of every
 *   session rotated within the grace window: it did, on statistics taken while the index
 *   was nearly empty, and each rotation cost more than the last.
 * - Every rotation rewrites its family row (last use, idle expiry), none of whose indexed
 *   columns change: free space on the page lets Postgres keep that update on the page and
 *   out of the four indexes (a HOT update).
 */
export class RotationFriendlyStorage1764600000000 implements MigrationInterface {
  name = 'RotationFriendlyStorage1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX refresh_tokens_sealed_idx`);
    await q.query(
      `CREATE INDEX refresh_tokens_sealed_idx ON refresh_tokens (used_at) WHERE successor_sealed IS NOT NULL AND used_at IS NOT NULL`,
    );
    await q.query(`ALTER TABLE families SET (fillfactor = 80)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE families RESET (fillfactor)`);
    await q.query(`DROP INDEX refresh_tokens_sealed_idx`);
    await q.query(`CREATE INDEX refresh_tokens_sealed_idx ON refresh_tokens (used_at) WHERE successor_sealed IS NOT NULL`);
  }
}
