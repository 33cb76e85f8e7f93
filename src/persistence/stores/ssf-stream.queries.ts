// The SQL of PgSsfStreamStore, apart so that the store stays readable.

// Written when a stream is created; a new stream has no lapse (the columns' defaults).
export const COLUMNS = `id, client_id, audience, delivery_method, endpoint_url, authorization_header_sealed,
  events_requested, description, status, status_reason, verification_jti, verification_state, created_at, updated_at`;
export const READ_COLUMNS = `${COLUMNS}, lapse_jti, events_lost`;

// The exclusive side of the lock the fan-out trigger takes shared (migration SsfStreams).
export const LOCK_STREAMS = `SELECT pg_advisory_xact_lock(hashtext('tessera_ssf_streams'))`;

export const INSERT = `
  INSERT INTO ssf_streams (${COLUMNS})
  SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
  WHERE (SELECT count(*) FROM ssf_streams WHERE client_id = $2) < $15`;

export const BACKFILL = `
  INSERT INTO ssf_stream_events (stream_id, event_id)
  SELECT $1, id FROM revocation_events WHERE until > $2
  ON CONFLICT DO NOTHING`;

// One more than asked, to know whether more are available. A family's user comes from its
// row while the janitor has not deleted it.
export const QUEUED = `
  SELECT q.stream_id, e.id, e.kind, e.subject, e.created_at, f.user_id::text AS user_id
  FROM ssf_stream_events q
  JOIN revocation_events e ON e.id = q.event_id
  LEFT JOIN families f ON e.kind = 'family' AND f.id::text = e.subject
  WHERE q.stream_id = $1 AND e.until > $2
  ORDER BY q.event_id
  LIMIT $3`;

export const PUSH = 'urn:ietf:rfc:8935';

// One statement: rows another sender has locked are skipped, claimed rows leave with the lease.
export const CLAIM = `
  WITH due AS (
    SELECT q.stream_id, q.event_id FROM ssf_stream_events q
    JOIN ssf_streams s ON s.id = q.stream_id
    JOIN revocation_events e ON e.id = q.event_id
    WHERE s.delivery_method = '${PUSH}' AND s.status = 'enabled'
      AND (q.next_attempt_at IS NULL OR q.next_attempt_at <= $1) AND e.until > $1
    ORDER BY q.event_id LIMIT $3
    FOR UPDATE OF q SKIP LOCKED
  ), claimed AS (
    UPDATE ssf_stream_events q SET attempts = q.attempts + 1, next_attempt_at = $2
    FROM due WHERE q.stream_id = due.stream_id AND q.event_id = due.event_id
    RETURNING q.stream_id, q.event_id, q.attempts
  )
  SELECT c.stream_id, c.event_id AS id, c.attempts, e.kind, e.subject, e.created_at, f.user_id::text AS user_id,
         s.audience, s.endpoint_url, s.authorization_header_sealed, s.events_requested
  FROM claimed c
  JOIN revocation_events e ON e.id = c.event_id
  JOIN ssf_streams s ON s.id = c.stream_id
  LEFT JOIN families f ON e.kind = 'family' AND f.id::text = e.subject
  ORDER BY c.event_id`;
