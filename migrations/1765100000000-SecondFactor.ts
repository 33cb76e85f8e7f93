import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How a user authenticated, and a second factor to authenticate with.
 *
 * `amr` (RFC 8176) is recorded where `auth_time` is: on the login session (what the
 * browser proved last), copied onto each authorization code and from it onto the family
 * it starts, so that an ID token on refresh repeats it (OIDC Core §12.2) even after the
 * login session moved on. Families started before this migration have none: `pwd`.
 *
 * TOTP (RFC 6238): the shared secret sealed under KEY_ENCRYPTION_SECRET as signing keys
 * are; `confirmed_at` null while enrolment waits for its first code; `last_step`, the
 * time step of the last accepted code, so that a code is accepted once across processes
 * (a compare-and-set on it); `failures` in a window, the second step's own throttle.
 * Recovery codes are stored as keyed hashes only, used at most once (`used_at`).
 *
 * A second-factor challenge is the state between a proven password and the code: bound
 * to the browser by a random cookie (stored as its keyed hash), to one user and, for a
 * step-up, to the login session; it is no login session and can be used for nothing else.
 */
export class SecondFactor1765100000000 implements MigrationInterface {
  name = 'SecondFactor1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE login_sessions ADD COLUMN amr text[] NOT NULL DEFAULT '{pwd}'`);
    await q.query(`ALTER TABLE authorization_codes ADD COLUMN amr text[] NOT NULL DEFAULT '{pwd}'`);
    await q.query(`ALTER TABLE families ADD COLUMN amr text[]`);
    await q.query(`ALTER TABLE clients ADD COLUMN require_mfa boolean NOT NULL DEFAULT false`);
    await q.query(`
      CREATE TABLE totp_factors (
        user_id                   uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        secret_sealed             bytea NOT NULL,
        confirmed_at              timestamptz,
        last_step                 bigint,
        failures                  integer NOT NULL DEFAULT 0,
        failure_window_started_at timestamptz,
        created_at                timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE recovery_codes (
        user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        code_hash  bytea NOT NULL,
        used_at    timestamptz,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, code_hash)
      )`);
    await q.query(`
      CREATE TABLE second_factor_challenges (
        token_hash       bytea PRIMARY KEY,
        user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        login_session_id uuid REFERENCES login_sessions (id) ON DELETE CASCADE,
        methods          text[] NOT NULL,
        created_at       timestamptz NOT NULL,
        expires_at       timestamptz NOT NULL,
        used_at          timestamptz
      )`);
    await q.query(`CREATE INDEX second_factor_challenges_expires_idx ON second_factor_challenges (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE second_factor_challenges`);
    await q.query(`DROP TABLE recovery_codes`);
    await q.query(`DROP TABLE totp_factors`);
    await q.query(`ALTER TABLE clients DROP COLUMN require_mfa`);
    await q.query(`ALTER TABLE families DROP COLUMN amr`);
    await q.query(`ALTER TABLE authorization_codes DROP COLUMN amr`);
    await q.query(`ALTER TABLE login_sessions DROP COLUMN amr`);
  }
}
