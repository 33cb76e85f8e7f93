import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The secret a rotation replaced, kept (as the same keyed hash as the current one) until
 * the end of the grace period the operator chose, so that the client's deployments can
 * move to the new secret one by one. Both columns are set together or not at all.
 */
export class ClientSecretRotation1764712000000 implements MigrationInterface {
  name = 'ClientSecretRotation1764712000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients ADD COLUMN previous_secret_hash bytea, ADD COLUMN previous_secret_expires_at timestamptz`);
    await q.query(
      `ALTER TABLE clients ADD CONSTRAINT clients_previous_secret_complete
       CHECK ((previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients DROP CONSTRAINT clients_previous_secret_complete`);
    await q.query(`ALTER TABLE clients DROP COLUMN previous_secret_expires_at, DROP COLUMN previous_secret_hash`);
  }
}
