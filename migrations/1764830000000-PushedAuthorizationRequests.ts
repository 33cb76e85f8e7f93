import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pushed authorization requests (RFC 9126): the parameters a client sent over its
 * authenticated back channel, found again by the request_uri it was given (stored only
 * as a keyed hash of its random part). `used_at` is set when a code is issued for it,
 * once: a request_uri serves one authorization.
 */
export class PushedAuthorizationRequests1764830000000 implements MigrationInterface {
  name = 'PushedAuthorizationRequests1764830000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pushed_authorization_requests (
        hash       bytea PRIMARY KEY,
        client_id  text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        parameters jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at    timestamptz
      )`);
    await q.query(`CREATE INDEX pushed_authorization_requests_expires_idx ON pushed_authorization_requests (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE pushed_authorization_requests`);
  }
}
