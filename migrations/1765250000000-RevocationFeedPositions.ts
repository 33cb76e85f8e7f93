import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The revocation feed is read in `position` order, not id order. Ids come from a
 * sequence, allocated before commit: a lower id may commit after a higher one, and with a
 * cached sequence (CACHE n, or a distributed engine's per-node id ranges) it may do so any
 * time later. A position is taken from the one row of `revocation_feed_head` in the
 * statement that appends the events, and its lock is held until commit, so positions
 * become visible in order and without gaps (a rolled-back append gives its positions back):
 * a reader that has seen position n has seen every position below it.
 *
 * Existing events keep their id as position. An insert without a position (a process of
 * the previous version, during a rolling upgrade) is given the next ones by triggers.
 * The notification moves to a channel of its own, carrying positions: processes of the
 * previous version keep their channel (now silent) and their one-second poll.
 */
export class RevocationFeedPositions1765250000000 implements MigrationInterface {
  name = 'RevocationFeedPositions1765250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE revocation_feed_head (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        position  bigint NOT NULL
      )`);
    await q.query(`LOCK TABLE revocation_events IN EXCLUSIVE MODE`);
    await q.query(`INSERT INTO revocation_feed_head (position) SELECT coalesce(max(id), 0) FROM revocation_events`);
    await q.query(`ALTER TABLE revocation_events ADD COLUMN position bigint`);
    await q.query(`UPDATE revocation_events SET position = id`);
    await q.query(`ALTER TABLE revocation_events ALTER COLUMN position SET NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX revocation_events_position_idx ON revocation_events (position)`);
    // Positions for inserts that bring none: the first row of a statement locks the head and
    // each row takes the next number, counted in a transaction-local setting; the statement
    // then moves the head once (one update per row would make a bulk insert quadratic).
    await q.query(`
      CREATE FUNCTION tessera_revocation_position() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        last text := current_setting('tessera.feed_position', true);
      BEGIN
        IF last IS NULL OR last = '' THEN
          SELECT position + 1 INTO NEW.position FROM revocation_feed_head FOR UPDATE;
        ELSE
          NEW.position := last::bigint + 1;
        END IF;
        PERFORM set_config('tessera.feed_position', NEW.position::text, true);
        RETURN NEW;
      END
      $$`);
    await q.query(`
      CREATE FUNCTION tessera_revocation_head() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE revocation_feed_head SET position = current_setting('tessera.feed_position')::bigint;
        PERFORM set_config('tessera.feed_position', '', true);
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER revocation_events_position BEFORE INSERT ON revocation_events
      FOR EACH ROW WHEN (NEW.position IS NULL) EXECUTE FUNCTION tessera_revocation_position()`);
    await q.query(`
      CREATE TRIGGER revocation_events_head AFTER INSERT ON revocation_events
      FOR EACH STATEMENT WHEN (current_setting('tessera.feed_position', true) <> '') EXECUTE FUNCTION tessera_revocation_head()`);
    await q.query(notifyFunction('tessera_revocation_feed', 'position'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(notifyFunction('tessera_revocations', 'id'));
    await q.query(`DROP TRIGGER revocation_events_head ON revocation_events`);
    await q.query(`DROP TRIGGER revocation_events_position ON revocation_events`);
    await q.query(`DROP FUNCTION tessera_revocation_head()`);
    await q.query(`DROP FUNCTION tessera_revocation_position()`);
    await q.query(`ALTER TABLE revocation_events DROP COLUMN position`);
    await q.query(`DROP TABLE revocation_feed_head`);
  }
}

/** The statement trigger's function of RevocationNotificationsCarryEvents, on `channel`, each event led by `order`. */
export function notifyFunction(channel: string, order: 'id' | 'position'): string {
  return `
    CREATE OR REPLACE FUNCTION tessera_notify_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      payload text;
    BEGIN
      SELECT '[' || string_agg(
          '[' || ${order} || ',' || to_json(kind) || ',' || to_json(subject) || ','
            || floor(extract(epoch FROM created_at) * 1000)::bigint || ','
            || floor(extract(epoch FROM until) * 1000)::bigint || ']',
          ',' ORDER BY ${order}) || ']'
        INTO payload FROM inserted;
      IF payload IS NULL THEN
        RETURN NULL;
      END IF;
      IF octet_length(payload) >= 8000 THEN
        payload := '';
      END IF;
      PERFORM pg_notify('${channel}', payload);
      RETURN NULL;
    END
    $$`;
}
