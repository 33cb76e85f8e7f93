import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Shared Signals streams (SSF 1.0 §8) and their outbox: one row per stream per revocation
 * not yet acknowledged. A statement trigger on the revocation feed writes the rows in the
 * transaction of the revocation itself, so no code path can end a session without every
 * stream hearing of it. A new stream is backfilled with every revocation still relevant.
 * A requested verification event (SSF 1.0 §8.1.4) waits on the stream row until delivered.
 */
export class SsfStreams1764840000000 implements MigrationInterface {
  name = 'SsfStreams1764840000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ssf_streams (
        id                          text PRIMARY KEY,
        client_id                   text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        audience                    text NOT NULL,
        delivery_method             text NOT NULL CHECK (delivery_method IN ('urn:ietf:rfc:8935', 'urn:ietf:rfc:8936')),
        endpoint_url                text,
        authorization_header_sealed bytea,
        events_requested            text[],
        description                 text,
        status                      text NOT NULL CHECK (status IN ('enabled', 'paused', 'disabled')),
        status_reason               text,
        verification_jti            text,
        verification_state          text,
        created_at                  timestamptz NOT NULL,
        updated_at                  timestamptz NOT NULL,
        CONSTRAINT ssf_streams_push_endpoint CHECK ((delivery_method = 'urn:ietf:rfc:8935') = (endpoint_url IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX ssf_streams_client_idx ON ssf_streams (client_id)`);
    // Deleted with the stream, and with the feed row once no token it concerns can be alive.
    // attempts / next_attempt_at: push delivery's retries (RFC 8935 §2.4).
    await q.query(`
      CREATE TABLE ssf_stream_events (
        stream_id       text NOT NULL REFERENCES ssf_streams (id) ON DELETE CASCADE,
        event_id        bigint NOT NULL REFERENCES revocation_events (id) ON DELETE CASCADE,
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        PRIMARY KEY (stream_id, event_id)
      )`);
    await q.query(`CREATE INDEX ssf_stream_events_event_idx ON ssf_stream_events (event_id)`);
    // A revocation holds this lock shared until it commits; creating a stream holds it
    // exclusively while it backfills. Either the new stream is committed before the
    // revocation's fan-out reads the streams, or the revocation is committed before the
    // backfill reads the feed: a revocation racing a new stream is never missed by both.
    await q.query(`
      CREATE FUNCTION tessera_ssf_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(hashtext('tessera_ssf_streams'));
        INSERT INTO ssf_stream_events (stream_id, event_id)
        SELECT s.id, e.id FROM ssf_streams s CROSS JOIN inserted e WHERE s.status <> 'disabled';
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER revocation_events_ssf_fan_out AFTER INSERT ON revocation_events
      REFERENCING NEW TABLE AS inserted
      FOR EACH STATEMENT EXECUTE FUNCTION tessera_ssf_fan_out()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER revocation_events_ssf_fan_out ON revocation_events`);
    await q.query(`DROP FUNCTION tessera_ssf_fan_out()`);
    await q.query(`DROP TABLE ssf_stream_events`);
    await q.query(`DROP TABLE ssf_streams`);
  }
}
