import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rotation publishes the next key before it signs: `activates_at` is when a key starts
 * signing (the newest key may be pending until then), and `retired_at` of its predecessor
 * is the same instant, so every process switches at that moment by its own clock, with no
 * coordination beyond these rows. `activation_audited` / `retirement_audited` let exactly
 * one process record each change in the audit log.
 */
export class PendingSigningKeys1764910000000 implements MigrationInterface {
  name = 'PendingSigningKeys1764910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE signing_keys ADD COLUMN activates_at timestamptz`);
    await q.query(`UPDATE signing_keys SET activates_at = created_at`);
    await q.query(`ALTER TABLE signing_keys ALTER COLUMN activates_at SET NOT NULL`);
    await q.query(`ALTER TABLE signing_keys ADD COLUMN activation_audited boolean NOT NULL DEFAULT true`);
    await q.query(`ALTER TABLE signing_keys ADD COLUMN retirement_audited boolean NOT NULL DEFAULT true`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE signing_keys DROP COLUMN retirement_audited`);
    await q.query(`ALTER TABLE signing_keys DROP COLUMN activation_audited`);
    await q.query(`ALTER TABLE signing_keys DROP COLUMN activates_at`);
  }
}
