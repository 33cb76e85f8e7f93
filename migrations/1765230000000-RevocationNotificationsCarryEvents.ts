import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A revocation's notification carries the events its statement inserted, so a process
 * learns them without reading the feed: `[[id,kind,subject,created_ms,until_ms],…]`,
 * compact JSON, times in milliseconds since the epoch (the precision the feed is read
 * at). When that would not fit in NOTIFY's payload (under 8000 bytes), the notification
 * is bare, as before, and says only "read the feed". A statement that inserted nothing
 * announces nothing.
 */
export class RevocationNotificationsCarryEvents1765230000000 implements MigrationInterface {
  name = 'RevocationNotificationsCarryEvents1765230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER revocation_events_notify ON revocation_events`);
    await q.query(`
      CREATE OR REPLACE FUNCTION tessera_notify_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        payload text;
      BEGIN
        SELECT '[' || string_agg(
            '[' || id || ',' || to_json(kind) || ',' || to_json(subject) || ','
              || floor(extract(epoch FROM created_at) * 1000)::bigint || ','
              || floor(extract(epoch FROM until) * 1000)::bigint || ']',
            ',' ORDER BY id) || ']'
          INTO payload FROM inserted;
        IF payload IS NULL THEN
          RETURN NULL;
        END IF;
        IF octet_length(payload) >= 8000 THEN
          payload := '';
        END IF;
        PERFORM pg_notify('tessera_revocations', payload);
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER revocation_events_notify AFTER INSERT ON revocation_events
      REFERENCING NEW TABLE AS inserted
      FOR EACH STATEMENT EXECUTE FUNCTION tessera_notify_revocation()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER revocation_events_notify ON revocation_events`);
    await q.query(`
      CREATE OR REPLACE FUNCTION tessera_notify_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('tessera_revocations', '');
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER revocation_events_notify AFTER INSERT ON revocation_events
      FOR EACH STATEMENT EXECUTE FUNCTION tessera_notify_revocation()`);
  }
}
