import type { MigrationInterface, QueryRunner } from 'typeorm';
import { notifyFunction } from './1765250000000-RevocationFeedPositions.js';

/**
 * A revocation's notification is sent by the statement that appends it to the feed (see
 * appendToFeed), through `tessera_feed_notify(payload)`, no longer by a trigger on
 * revocation_events. On an engine without NOTIFY (CockroachDB, YugabyteDB) the trigger
 * made every revocation fail; there, this function is created as a no-op, the appends go
 * through unannounced, and processes learn them by their poll. Which one was created is
 * decided here, once, by asking the engine for pg_notify.
 *
 * Inserts of a process of the previous version (no position: see RevocationFeedPositions)
 * still wake the others, with a bare notification sent by the statement trigger that
 * moves the head for them.
 */
export class RevocationNotificationsSentByTheAppend1765260000000 implements MigrationInterface {
  name = 'RevocationNotificationsSentByTheAppend1765260000000';

  async up(q: QueryRunner): Promise<void> {
    const [{ notifies }] = (await q.query(`SELECT to_regprocedure('pg_notify(text,text)') IS NOT NULL AS notifies`)) as Array<{ notifies: boolean }>;
    await q.query(`DROP TRIGGER revocation_events_notify ON revocation_events`);
    await q.query(`DROP FUNCTION tessera_notify_revocation()`);
    await q.query(feedNotifyFunction(notifies));
    await q.query(headFunction(`PERFORM tessera_feed_notify('');`));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(headFunction(''));
    await q.query(`DROP FUNCTION tessera_feed_notify(text)`);
    await q.query(notifyFunction('tessera_revocation_feed', 'position'));
    await q.query(`
      CREATE TRIGGER revocation_events_notify AFTER INSERT ON revocation_events
      REFERENCING NEW TABLE AS inserted
      FOR EACH STATEMENT EXECUTE FUNCTION tessera_notify_revocation()`);
  }
}

/**
 * `tessera_feed_notify(payload)`: NOTIFY on the feed's channel, a payload that would not fit
 * under NOTIFY's 8000 bytes going out bare ("read the feed"); or, for an engine without
 * NOTIFY, nothing.
 */
export function feedNotifyFunction(notifies: boolean): string {
  const body = notifies
    ? `SELECT pg_notify('tessera_revocation_feed', CASE WHEN octet_length(payload) < 8000 THEN payload ELSE '' END)`
    : `SELECT NULL::void`;
  return `CREATE OR REPLACE FUNCTION tessera_feed_notify(payload text) RETURNS void LANGUAGE sql AS $$ ${body} $$`;
}

/** RevocationFeedPositions' statement trigger that moves the head for inserts without a position, then runs `then`. */
function headFunction(then: string): string {
  return `
    CREATE OR REPLACE FUNCTION tessera_revocation_head() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE revocation_feed_head SET position = current_setting('tessera.feed_position')::bigint;
      PERFORM set_config('tessera.feed_position', '', true);
      ${then}
      RETURN NULL;
    END
    $$`;
}
