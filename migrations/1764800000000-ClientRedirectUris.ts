import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the authorization code flow needs to know of a client: where codes may be sent
 * (RFC 6749 §3.1.2, compared by exact string), whether Tessera asks the user's consent
 * (not for its own first-party applications), and whether only pushed authorization
 * requests are accepted (RFC 9126 §6). Existing clients get none of it.
 */
export class ClientRedirectUris1764800000000 implements MigrationInterface {
  name = 'ClientRedirectUris1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE clients
         ADD COLUMN redirect_uris text[] NOT NULL DEFAULT '{}',
         ADD COLUMN first_party boolean NOT NULL DEFAULT false,
         ADD COLUMN require_par boolean NOT NULL DEFAULT false`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients DROP COLUMN require_par, DROP COLUMN first_party, DROP COLUMN redirect_uris`);
  }
}
