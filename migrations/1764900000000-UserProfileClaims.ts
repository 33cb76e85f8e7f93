import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The profile claims OpenID Connect releases about a user (Core 1.0 §5.1): `email`,
 * `email_verified` and `name`, all optional. email_verified is false unless an admin says
 * otherwise: a relying party may treat a verified address as an identity.
 */
export class UserProfileClaims1764900000000 implements MigrationInterface {
  name = 'UserProfileClaims1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE users
        ADD COLUMN email text,
        ADD COLUMN email_verified boolean NOT NULL DEFAULT false,
        ADD COLUMN name text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN email, DROP COLUMN email_verified, DROP COLUMN name`);
  }
}
