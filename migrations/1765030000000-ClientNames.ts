import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A client's display name (RFC 7591 §2 client_name), shown on the login and consent pages
 * instead of its id. Optional: existing clients keep showing their id.
 */
export class ClientNames1765030000000 implements MigrationInterface {
  name = 'ClientNames1765030000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients ADD COLUMN client_name text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients DROP COLUMN client_name`);
  }
}
