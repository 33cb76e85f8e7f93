import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A stream that fell behind: the janitor dropped revocations it had not acknowledged yet
 * (they concerned no live token any more, and events are kept no longer than that). The
 * stream is told so by an events-lost SET rather than silently missing them: `lapse_jti`
 * names that SET until the receiver acknowledges it, `events_lost` counts what it missed.
 */
export class SsfStreamLapses1765040000000 implements MigrationInterface {
  name = 'SsfStreamLapses1765040000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ssf_streams ADD COLUMN lapse_jti text, ADD COLUMN events_lost integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ssf_streams DROP COLUMN lapse_jti, DROP COLUMN events_lost`);
  }
}
