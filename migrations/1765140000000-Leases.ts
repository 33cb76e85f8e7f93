import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Named leases with an expiry, for work that one process at a time should do (the
 * janitor's pass). A lease is a row, taken and given back by single statements that stand
 * alone: unlike a session advisory lock it cannot be stranded on a pooled server session
 * (a transaction-mode pooler sends each statement where it likes), and a holder that dies
 * loses it when it expires. Expiry is judged by the database's clock, the one clock all
 * processes share.
 */
export class Leases1765140000000 implements MigrationInterface {
  name = 'Leases1765140000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE leases (
        name text PRIMARY KEY,
        holder uuid NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE leases`);
  }
}
