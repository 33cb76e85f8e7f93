import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets a process whose in-process revocation view is full (REVOCATION_VIEW_MAX_ENTRIES)
 * ask the feed directly whether a revocation concerns a token: by subject (jti, family
 * id or user id).
 */
export class RevocationEventsBySubject1764500000000 implements MigrationInterface {
  name = 'RevocationEventsBySubject1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX revocation_events_subject_idx ON revocation_events (subject, kind)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX revocation_events_subject_idx`);
  }
}
