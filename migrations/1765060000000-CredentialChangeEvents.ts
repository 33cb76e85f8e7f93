import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A user's password change becomes a `credential` event on the feed, appended in the
 * statement that changes the password, so that Shared Signals streams announce it as a
 * CAEP 1.0 §3.3 credential-change. It revokes no token by itself.
 */
export class CredentialChangeEvents1765060000000 implements MigrationInterface {
  name = 'CredentialChangeEvents1765060000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE revocation_events DROP CONSTRAINT revocation_events_kind_check`);
    await q.query(
      `ALTER TABLE revocation_events ADD CONSTRAINT revocation_events_kind_check CHECK (kind IN ('family', 'user', 'jti', 'client', 'credential'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM revocation_events WHERE kind = 'credential'`);
    await q.query(`ALTER TABLE revocation_events DROP CONSTRAINT revocation_events_kind_check`);
    await q.query(`ALTER TABLE revocation_events ADD CONSTRAINT revocation_events_kind_check CHECK (kind IN ('family', 'user', 'jti', 'client'))`);
  }
}
