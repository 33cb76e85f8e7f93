import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What an ID token issued on refresh must repeat from the original authentication (OIDC
 * Core 1.0 §12.2): its `auth_time`, and the `sid` of the login session it happened in. Kept
 * on the family itself: the login session row may be gone (ended, cleaned up) long before
 * the family, and a later login in that session would move its auth_time.
 */
export class FamilyAuthentication1764920000000 implements MigrationInterface {
  name = 'FamilyAuthentication1764920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE families ADD COLUMN auth_time timestamptz, ADD COLUMN id_token_sid uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE families DROP COLUMN auth_time, DROP COLUMN id_token_sid`);
  }
}
