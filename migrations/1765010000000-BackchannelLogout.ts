import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OpenID Connect Back-Channel Logout 1.0: a client's `backchannel_logout_uri` (§2.2) and
 * the outbox of logout tokens owed to it. The family revocation statement itself writes
 * the outbox rows (one per client and sid), so no way of ending a session can forget the
 * relying party, and a crash between the revocation and the POST loses nothing.
 *
 * The rows carry the endpoint as it was registered when the session ended, and no foreign
 * key: a deleted client's relying party is still told that its sessions ended. The `jti`
 * is fixed at insert, so every retry sends the same one (§2.4: the RP may use it to spot
 * a replay). Pending rows are unique per (client, sid): several families of one login
 * session at one client end in one logout token.
 */
export class BackchannelLogout1765010000000 implements MigrationInterface {
  name = 'BackchannelLogout1765010000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE clients
         ADD COLUMN backchannel_logout_uri text,
         ADD COLUMN backchannel_logout_session_required boolean NOT NULL DEFAULT true`,
    );
    await q.query(`
      CREATE TABLE backchannel_logouts (
        id              bigserial PRIMARY KEY,
        jti             uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
        client_id       text NOT NULL,
        endpoint        text NOT NULL,
        subject         text NOT NULL,
        sid             text NOT NULL,
        reason          text NOT NULL,
        created_at      timestamptz NOT NULL,
        give_up_at      timestamptz NOT NULL,
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        delivered_at    timestamptz,
        gave_up_at      timestamptz,
        last_error      text
      )`);
    await q.query(
      `CREATE UNIQUE INDEX backchannel_logouts_pending_key ON backchannel_logouts (client_id, sid)
         WHERE delivered_at IS NULL AND gave_up_at IS NULL`,
    );
    // What the sender probes every second: empty, and so free, when nothing is owed.
    await q.query(
      `CREATE INDEX backchannel_logouts_due_idx ON backchannel_logouts (next_attempt_at)
         WHERE delivered_at IS NULL AND gave_up_at IS NULL`,
    );
    await q.query(`CREATE INDEX backchannel_logouts_settled_idx ON backchannel_logouts (created_at) WHERE delivered_at IS NOT NULL OR gave_up_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE backchannel_logouts`);
    await q.query(`ALTER TABLE clients DROP COLUMN backchannel_logout_session_required, DROP COLUMN backchannel_logout_uri`);
  }
}
