import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin console (/console) signs in through Tessera's own authorization code flow as
 * the first-party public client `tessera-console`. The row stores no redirect URI: the
 * only one is `${ISSUER}/console/callback`, supplied from the configuration when the
 * client is read (src/clients/console-client.ts), so that changing ISSUER never leaves a
 * stale one behind. The admin API refuses to change, rotate or delete this client.
 *
 * console_sessions: a browser's console sign-in. Before the callback it holds the
 * state and the PKCE verifier (RFC 7636 §4.1: the verifier never leaves the server);
 * afterwards the admin and the family the code started (the console session lasts no
 * longer than that family). The cookie is stored only as a keyed hash.
 */
export class ConsoleClient1765120000000 implements MigrationInterface {
  name = 'ConsoleClient1765120000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `INSERT INTO clients (id, type, secret_hash, grant_types, scopes, first_party, client_name, created_at)
       VALUES ('tessera-console', 'public', NULL, '{authorization_code}', '{}', true, 'Tessera console', now())
       ON CONFLICT (id) DO NOTHING`,
    );
    await q.query(`
      CREATE TABLE console_sessions (
        id            uuid PRIMARY KEY,
        token_hash    bytea NOT NULL UNIQUE,
        state         text,
        code_verifier text,
        user_id       uuid REFERENCES users (id) ON DELETE CASCADE,
        family_id     uuid REFERENCES families (id) ON DELETE CASCADE,
        created_at    timestamptz NOT NULL,
        expires_at    timestamptz NOT NULL,
        CONSTRAINT console_sessions_signed_in_complete CHECK ((user_id IS NULL) = (family_id IS NULL))
      )`);
    await q.query(`CREATE INDEX console_sessions_expires_idx ON console_sessions (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE console_sessions`);
    await q.query(`DELETE FROM clients WHERE id = 'tessera-console'`);
  }
}
