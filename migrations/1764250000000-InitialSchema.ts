import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole first schema. Timestamps are always written by the application from its
 * injected clock, never by now(), so expiry is testable without sleeping.
 */
export class InitialSchema1764250000000 implements MigrationInterface {
  name = 'InitialSchema1764250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id            uuid PRIMARY KEY,
        username      text NOT NULL,
        password_hash text NOT NULL,
        roles         text[] NOT NULL DEFAULT '{}',
        disabled_at   timestamptz,
        created_at    timestamptz NOT NULL,
        updated_at    timestamptz NOT NULL,
        CONSTRAINT users_username_key UNIQUE (username)
      )`);
    await q.query(`
      CREATE TABLE clients (
        id                  text PRIMARY KEY,
        type                text NOT NULL CHECK (type IN ('confidential', 'public')),
        secret_hash         bytea,
        grant_types         text[] NOT NULL,
        scopes              text[] NOT NULL DEFAULT '{}',
        permissions         text[] NOT NULL DEFAULT '{}',
        allowed_origins     text[] NOT NULL DEFAULT '{}',
        access_token_format text NOT NULL DEFAULT 'jwt' CHECK (access_token_format IN ('jwt', 'opaque')),
        audience            text,
        created_at          timestamptz NOT NULL,
        CONSTRAINT clients_secret_matches_type CHECK ((type = 'confidential') = (secret_hash IS NOT NULL))
      )`);
    await q.query(`
      CREATE TABLE families (
        id                  uuid PRIMARY KEY,
        user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        client_id           text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        scope               text NOT NULL,
        created_at          timestamptz NOT NULL,
        last_used_at        timestamptz NOT NULL,
        idle_expires_at     timestamptz NOT NULL,
        absolute_expires_at timestamptz NOT NULL,
        ip                  text,
        user_agent          text,
        revoked_at          timestamptz,
        revoked_reason      text,
        revoked_by          text
      )`);
    // A user's live sessions (admin listing, "log out everywhere", disabling a user).
    await q.query(`CREATE INDEX families_user_live_idx ON families (user_id) WHERE revoked_at IS NULL`);
    await q.query(`CREATE INDEX families_client_live_idx ON families (client_id) WHERE revoked_at IS NULL`);
    // The refresh token itself is never stored: only HMAC-SHA-256(token) as the key.
    await q.query(`
      CREATE TABLE refresh_tokens (
        hash             bytea PRIMARY KEY,
        family_id        uuid NOT NULL REFERENCES families (id) ON DELETE CASCADE,
        generation       integer NOT NULL,
        issued_at        timestamptz NOT NULL,
        used_at          timestamptz,
        successor_hash   bytea,
        successor_sealed bytea,
        CONSTRAINT refresh_tokens_family_generation_key UNIQUE (family_id, generation),
        CONSTRAINT refresh_tokens_used_has_successor CHECK ((used_at IS NULL) = (successor_hash IS NULL))
      )`);
    // The sweeper that wipes sealed grace-window successors once the window closes.
    await q.query(`CREATE INDEX refresh_tokens_sealed_idx ON refresh_tokens (used_at) WHERE successor_sealed IS NOT NULL`);
    await q.query(`
      CREATE TABLE signing_keys (
        kid                text PRIMARY KEY,
        alg                text NOT NULL,
        public_jwk         jsonb NOT NULL,
        private_key_sealed bytea NOT NULL,
        created_at         timestamptz NOT NULL,
        retired_at         timestamptz,
        expires_at         timestamptz
      )`);
    // At most one active key: the one that signs.
    await q.query(`CREATE UNIQUE INDEX signing_keys_one_active_idx ON signing_keys ((true)) WHERE retired_at IS NULL`);
    await q.query(`
      CREATE TABLE revoked_access_tokens (
        jti        text PRIMARY KEY,
        revoked_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX revoked_access_tokens_expires_idx ON revoked_access_tokens (expires_at)`);
    await q.query(`
      CREATE TABLE audit_events (
        id          bigserial PRIMARY KEY,
        type        text NOT NULL,
        occurred_at timestamptz NOT NULL,
        actor       text,
        user_id     uuid,
        client_id   text,
        family_id   uuid,
        reason      text,
        ip          text,
        details     jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at DESC, id DESC)`);
    await q.query(`CREATE INDEX audit_events_type_idx ON audit_events (type, occurred_at DESC)`);
    await q.query(`CREATE INDEX audit_events_user_idx ON audit_events (user_id, occurred_at DESC) WHERE user_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['audit_events', 'revoked_access_tokens', 'signing_keys', 'refresh_tokens', 'families', 'clients', 'users']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
