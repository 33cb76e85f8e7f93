import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The console filters the audit log by client, newest first: without an index on the
 * client, a rarely seen client would cost a walk down every event. Partial like the
 * user index: key rotations and user admin have no client.
 */
export class AuditEventsByClient1765210000000 implements MigrationInterface {
  name = 'AuditEventsByClient1765210000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX audit_events_client_idx ON audit_events (client_id, occurred_at DESC) WHERE client_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_events_client_idx`);
  }
}
