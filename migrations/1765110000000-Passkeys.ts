import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Passkeys (WebAuthn Level 3). A credential is the public key a user's authenticator made
 * for this RP ID, with the signature counter it last reported (§6.1.1: a count that does
 * not grow betrays a cloned authenticator) and its backup flags (§6.3.3: BE never changes
 * for a credential, BS may). A challenge is single-use: stored only as a keyed hash and
 * bound to the login session (registration) or the browser's login form (sign-in); the
 * request that presents it deletes it, so of two that race only one finds it.
 */
export class Passkeys1765110000000 implements MigrationInterface {
  name = 'Passkeys1765110000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webauthn_credentials (
        id              uuid PRIMARY KEY,
        user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        credential_id   text NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 16 AND 1366),
        public_key      bytea NOT NULL,
        sign_count      bigint NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
        transports      text[] NOT NULL,
        backup_eligible boolean NOT NULL,
        backed_up       boolean NOT NULL,
        aaguid          uuid NOT NULL,
        name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
        created_at      timestamptz NOT NULL,
        last_used_at    timestamptz
      )`);
    await q.query(`CREATE INDEX webauthn_credentials_user_idx ON webauthn_credentials (user_id)`);
    await q.query(`
      CREATE TABLE webauthn_challenges (
        hash       bytea PRIMARY KEY,
        binding    bytea NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX webauthn_challenges_expires_idx ON webauthn_challenges (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webauthn_challenges`);
    await q.query(`DROP TABLE webauthn_credentials`);
  }
}
