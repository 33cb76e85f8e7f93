import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Authorization codes (RFC 6749 §4.1.2), stored only as a keyed hash of the code. A row
 * binds everything the token request must match (client, redirect URI, PKCE challenge)
 * and what the session it starts needs (user, scope, nonce, auth time). `used_at` is set
 * once, by one guarded UPDATE, together with the family the code started: a second
 * presentation finds that family and ends it (RFC 6749 §4.1.2, RFC 9700 §4.2.4).
 */
export class AuthorizationCodes1764810000000 implements MigrationInterface {
  name = 'AuthorizationCodes1764810000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE authorization_codes (
        hash              bytea PRIMARY KEY,
        client_id         text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        redirect_uri      text NOT NULL,
        redirect_uri_sent boolean NOT NULL,
        code_challenge    text NOT NULL,
        scope             text NOT NULL,
        nonce             text,
        auth_time         timestamptz NOT NULL,
        created_at        timestamptz NOT NULL,
        expires_at        timestamptz NOT NULL,
        used_at           timestamptz,
        family_id         uuid REFERENCES families (id) ON DELETE SET NULL
      )`);
    // The janitor deletes codes past their expiry (used or not) in batches.
    await q.query(`CREATE INDEX authorization_codes_expires_idx ON authorization_codes (expires_at)`);
    // Deleting a family (janitor) sets family_id NULL without a sequential scan.
    await q.query(`CREATE INDEX authorization_codes_family_idx ON authorization_codes (family_id) WHERE family_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE authorization_codes`);
  }
}
