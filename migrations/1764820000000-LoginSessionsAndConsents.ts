import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hosted pages' state. A login session is what the Tessera session cookie stands
 * for (stored only as a keyed hash of the cookie's value), with an idle and an absolute
 * expiry; the families started through it (codes it issued, then their redemption) name
 * it, so ending it can end them. A consent is what a user allowed a third-party client,
 * remembered until revoked; a request for more scopes asks again.
 */
export class LoginSessionsAndConsents1764820000000 implements MigrationInterface {
  name = 'LoginSessionsAndConsents1764820000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE login_sessions (
        id                  uuid PRIMARY KEY,
        token_hash          bytea NOT NULL UNIQUE,
        user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        auth_time           timestamptz NOT NULL,
        created_at          timestamptz NOT NULL,
        last_seen_at        timestamptz NOT NULL,
        idle_expires_at     timestamptz NOT NULL,
        absolute_expires_at timestamptz NOT NULL,
        ended_at            timestamptz,
        ended_reason        text,
        ip                  text,
        user_agent          text
      )`);
    await q.query(`CREATE INDEX login_sessions_user_idx ON login_sessions (user_id) WHERE ended_at IS NULL`);
    await q.query(`CREATE INDEX login_sessions_expires_idx ON login_sessions (absolute_expires_at)`);
    await q.query(`ALTER TABLE families ADD COLUMN login_session_id uuid REFERENCES login_sessions (id) ON DELETE SET NULL`);
    await q.query(`CREATE INDEX families_login_session_idx ON families (login_session_id) WHERE login_session_id IS NOT NULL`);
    await q.query(`ALTER TABLE authorization_codes ADD COLUMN login_session_id uuid REFERENCES login_sessions (id) ON DELETE CASCADE`);
    await q.query(`CREATE INDEX authorization_codes_login_session_idx ON authorization_codes (login_session_id) WHERE login_session_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE consents (
        user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        client_id  text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        scopes     text[] NOT NULL,
        granted_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, client_id)
      )`);
    await q.query(`CREATE INDEX consents_client_idx ON consents (client_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE consents`);
    await q.query(`ALTER TABLE authorization_codes DROP COLUMN login_session_id`);
    await q.query(`ALTER TABLE families DROP COLUMN login_session_id`);
    await q.query(`DROP TABLE login_sessions`);
  }
}
