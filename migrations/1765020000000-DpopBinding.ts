import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DPoP (RFC 9449). `dpop_proofs` remembers each accepted proof, as a keyed hash of its
 * key thumbprint and jti, until its iat window has closed (§11.1: a jti is accepted once);
 * the primary key decides between two processes accepting the same proof. Families and
 * opaque access tokens keep the thumbprint they are bound to (§6.1; a JWT carries it in
 * cnf.jkt); a family's binding is set when it starts and never changes. Clients may be
 * required to use DPoP (§5.2 dpop_bound_access_tokens), and an authorization code to be
 * redeemed with the key named at /authorize (§10 dpop_jkt).
 */
export class DpopBinding1765020000000 implements MigrationInterface {
  name = 'DpopBinding1765020000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dpop_proofs (
        hash       bytea PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX dpop_proofs_expires_idx ON dpop_proofs (expires_at)`);
    await q.query(`ALTER TABLE families ADD COLUMN dpop_jkt text`);
    await q.query(`ALTER TABLE opaque_access_tokens ADD COLUMN dpop_jkt text`);
    await q.query(`ALTER TABLE clients ADD COLUMN require_dpop boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE authorization_codes ADD COLUMN dpop_jkt text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE authorization_codes DROP COLUMN dpop_jkt`);
    await q.query(`ALTER TABLE clients DROP COLUMN require_dpop`);
    await q.query(`ALTER TABLE opaque_access_tokens DROP COLUMN dpop_jkt`);
    await q.query(`ALTER TABLE families DROP COLUMN dpop_jkt`);
    await q.query(`DROP TABLE dpop_proofs`);
  }
}
