import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The janitor finds ended sessions by absolute expiry, in small batches, every pass;
 * without an index each batch would scan every family.
 */
export class FamiliesAbsoluteExpiryIndex1764420000000 implements MigrationInterface {
  name = 'FamiliesAbsoluteExpiryIndex1764420000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX families_absolute_expires_idx ON families (absolute_expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX families_absolute_expires_idx`);
  }
}
