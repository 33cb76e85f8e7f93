import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where the end_session_endpoint may send a browser back after logout (OpenID Connect
 * RP-Initiated Logout 1.0 §3.1 post_logout_redirect_uris), compared by exact string like
 * redirect URIs. Existing clients get none: their logouts end on Tessera's own page.
 */
export class ClientPostLogoutRedirectUris1765000000000 implements MigrationInterface {
  name = 'ClientPostLogoutRedirectUris1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients ADD COLUMN post_logout_redirect_uris text[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients DROP COLUMN post_logout_redirect_uris`);
  }
}
