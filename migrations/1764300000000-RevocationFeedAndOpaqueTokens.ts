import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The revocation feed that every Tessera process tails to keep its in-process view of
 * revoked families, disabled users and revoked access tokens, and the table of opaque
 * (reference) access tokens.
 */
export class RevocationFeedAndOpaqueTokens1764300000000 implements MigrationInterface {
  name = 'RevocationFeedAndOpaqueTokens1764300000000';

  async up(q: QueryRunner): Promise<void> {
    // Append-only, written in the same transaction as the revocation it announces.
    // `until`: after it, no token the event concerns can still be alive, so readers drop
    // the event and the sweeper deletes the row. The table stays as small as the rate
    // of revocations times the access-token lifetime, whatever the number of sessions.
    await q.query(`
      CREATE TABLE revocation_events (
        id         bigserial PRIMARY KEY,
        kind       text NOT NULL CHECK (kind IN ('family', 'user', 'jti')),
        subject    text NOT NULL,
        created_at timestamptz NOT NULL,
        until      timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX revocation_events_until_idx ON revocation_events (until)`);
    // Every writer notifies, whichever code path it is: NOTIFY is delivered at commit
    // and folded per transaction, and an empty payload is enough (readers tail by id).
    await q.query(`
      CREATE FUNCTION tessera_notify_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('tessera_revocations', '');
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER revocation_events_notify AFTER INSERT ON revocation_events
      FOR EACH STATEMENT EXECUTE FUNCTION tessera_notify_revocation()`);
    // Like refresh tokens, an opaque access token is stored only as HMAC-SHA-256(token).
    await q.query(`
      CREATE TABLE opaque_access_tokens (
        hash       bytea PRIMARY KEY,
        jti        text NOT NULL,
        client_id  text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        subject    text NOT NULL,
        user_id    uuid REFERENCES users (id) ON DELETE CASCADE,
        family_id  uuid REFERENCES families (id) ON DELETE CASCADE,
        scope      text NOT NULL,
        audience   text NOT NULL,
        issued_at  timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        CONSTRAINT opaque_access_tokens_jti_key UNIQUE (jti)
      )`);
    await q.query(`CREATE INDEX opaque_access_tokens_expires_idx ON opaque_access_tokens (expires_at)`);
    await q.query(`CREATE INDEX opaque_access_tokens_family_idx ON opaque_access_tokens (family_id) WHERE family_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE opaque_access_tokens`);
    await q.query(`DROP TRIGGER revocation_events_notify ON revocation_events`);
    await q.query(`DROP FUNCTION tessera_notify_revocation()`);
    await q.query(`DROP TABLE revocation_events`);
  }
}
