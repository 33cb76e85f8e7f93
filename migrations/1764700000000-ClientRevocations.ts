import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A deleted client becomes a `client` event on the revocation feed: every process then
 * refuses every token carrying its id, and the event is the tombstone that keeps the id
 * from being registered again while any of those tokens can be alive.
 */
export class ClientRevocations1764700000000 implements MigrationInterface {
  name = 'ClientRevocations1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE revocation_events DROP CONSTRAINT revocation_events_kind_check`);
    await q.query(`ALTER TABLE revocation_events ADD CONSTRAINT revocation_events_kind_check CHECK (kind IN ('family', 'user', 'jti', 'client'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM revocation_events WHERE kind = 'client'`);
    await q.query(`ALTER TABLE revocation_events DROP CONSTRAINT revocation_events_kind_check`);
    await q.query(`ALTER TABLE revocation_events ADD CONSTRAINT revocation_events_kind_check CHECK (kind IN ('family', 'user', 'jti'))`);
  }
}
