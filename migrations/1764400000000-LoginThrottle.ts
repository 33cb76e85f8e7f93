import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed-login counters shared by every Tessera process. One row per (username key,
 * client IP) and one per username key across all IPs (ip = ''). The username is kept
 * only as a keyed hash: a password typed into the username field never lands here.
 * Every row carries expires_at; a row past it means nothing and may be deleted by
 * anyone at any time (Tessera deletes a few opportunistically).
 */
export class LoginThrottle1764400000000 implements MigrationInterface {
  name = 'LoginThrottle1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE login_throttle (
        username_key      bytea NOT NULL,
        ip                text NOT NULL,
        failures          integer NOT NULL,
        window_started_at timestamptz NOT NULL,
        last_failed_at    timestamptz,
        known_until       timestamptz,
        expires_at        timestamptz NOT NULL,
        CONSTRAINT login_throttle_pkey PRIMARY KEY (username_key, ip)
      )`);
    await q.query(`CREATE INDEX login_throttle_expires_idx ON login_throttle (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE login_throttle`);
  }
}
