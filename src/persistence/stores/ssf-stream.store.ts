import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { PushClaim, QueuedPage, SsfStream, StreamStatus } from '../../ssf/ssf-stream.js';
import { SsfStreamStore } from '../../ssf/ssf-stream.js';
import { execute } from '../sql.js';

interface StreamRow {
  id: string;
  client_id: string;
  audience: string;
  delivery_method: string;
  endpoint_url: string | null;
  authorization_header_sealed: Buffer | null;
  events_requested: string[] | null;
  description: string | null;
  status: StreamStatus;
  status_reason: string | null;
  verification_jti: string | null;
  verification_state: string | null;
  created_at: Date;
  updated_at: Date;
}

interface QueuedRow {
  stream_id: string;
  id: string;
  kind: 'family' | 'user' | 'jti' | 'client';
  subject: string;
  created_at: Date;
  user_id: string | null;
}

const COLUMNS = `id, client_id, audience, delivery_method, endpoint_url, authorization_header_sealed,
  events_requested, description, status, status_reason, verification_jti, verification_state, created_at, updated_at`;

// The exclusive side of the lock the fan-out trigger takes shared (migration SsfStreams).
const LOCK_STREAMS = `SELECT pg_advisory_xact_lock(hashtext('tessera_ssf_streams'))`;

const INSERT = `
  INSERT INTO ssf_streams (${COLUMNS})
  SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
  WHERE (SELECT count(*) FROM ssf_streams WHERE client_id = $2) < $15`;

const BACKFILL = `
  INSERT INTO ssf_stream_events (stream_id, event_id)
  SELECT $1, id FROM revocation_events WHERE until > $2
  ON CONFLICT DO NOTHING`;

// One more than asked, to know whether more are available. A family's user comes from its
// row while the janitor has not deleted it.
const QUEUED = `
  SELECT q.stream_id, e.id, e.kind, e.subject, e.created_at, f.user_id::text AS user_id
  FROM ssf_stream_events q
  JOIN revocation_events e ON e.id = q.event_id
  LEFT JOIN families f ON e.kind = 'family' AND f.id::text = e.subject
  WHERE q.stream_id = $1 AND e.until > $2
  ORDER BY q.event_id
  LIMIT $3`;

interface ClaimRow extends QueuedRow {
  attempts: number;
  audience: string;
  endpoint_url: string;
  authorization_header_sealed: Buffer | null;
  events_requested: string[] | null;
}

const PUSH = 'urn:ietf:rfc:8935';

// One statement: rows another sender has locked are skipped, claimed rows leave with the lease.
const CLAIM = `
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

@Injectable()
export class PgSsfStreamStore extends SsfStreamStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async create(stream: SsfStream, now: Date, maxPerClient: number): Promise<boolean> {
    return this.dataSource.transaction('READ COMMITTED', async (manager) => {
      await execute(manager, LOCK_STREAMS);
      const { affected } = await execute(manager, INSERT, [...values(stream), maxPerClient]);
      if (affected === 0) return false;
      await execute(manager, BACKFILL, [stream.id, now]);
      return true;
    });
  }

  async find(id: string, clientId: string): Promise<SsfStream | undefined> {
    const { rows } = await execute<StreamRow>(this.dataSource, `SELECT ${COLUMNS} FROM ssf_streams WHERE id = $1 AND client_id = $2`, [id, clientId]);
    return rows[0] && toStream(rows[0]);
  }

  async listByClient(clientId: string): Promise<SsfStream[]> {
    const { rows } = await execute<StreamRow>(this.dataSource, `SELECT ${COLUMNS} FROM ssf_streams WHERE client_id = $1 ORDER BY created_at, id`, [
      clientId,
    ]);
    return rows.map(toStream);
  }

  async update(stream: SsfStream): Promise<boolean> {
    const { affected } = await execute(
      this.dataSource,
      `UPDATE ssf_streams SET delivery_method = $3, endpoint_url = $4, authorization_header_sealed = $5,
         events_requested = $6, description = $7, status = $8, status_reason = $9, updated_at = $10
       WHERE id = $1 AND client_id = $2`,
      [
        stream.id,
        stream.clientId,
        stream.deliveryMethod,
        stream.endpointUrl,
        stream.authorizationHeaderSealed,
        stream.eventsRequested,
        stream.description,
        stream.status,
        stream.statusReason,
        stream.updatedAt,
      ],
    );
    return affected > 0;
  }

  async delete(id: string, clientId: string): Promise<boolean> {
    const { affected } = await execute(this.dataSource, `DELETE FROM ssf_streams WHERE id = $1 AND client_id = $2`, [id, clientId]);
    return affected > 0;
  }

  async queued(streamId: string, limit: number, now: Date): Promise<QueuedPage> {
    const { rows } = await execute<QueuedRow>(this.dataSource, QUEUED, [streamId, now, limit + 1]);
    return { events: rows.slice(0, limit).map(queuedRevocation), more: rows.length > limit };
  }

  async requestVerification(id: string, clientId: string, jti: string, state: string | null): Promise<boolean> {
    const { affected } = await execute(
      this.dataSource,
      `UPDATE ssf_streams SET verification_jti = $3, verification_state = $4 WHERE id = $1 AND client_id = $2`,
      [id, clientId, jti, state],
    );
    return affected > 0;
  }

  async acknowledgeVerification(id: string, jti: string): Promise<boolean> {
    const { affected } = await execute(
      this.dataSource,
      `UPDATE ssf_streams SET verification_jti = NULL, verification_state = NULL WHERE id = $1 AND verification_jti = $2`,
      [id, jti],
    );
    return affected > 0;
  }

  async claimPushes(now: Date, leaseUntil: Date, limit: number): Promise<PushClaim[]> {
    const { rows } = await execute<ClaimRow>(this.dataSource, CLAIM, [now, leaseUntil, limit]);
    return rows.map((row) => ({
      ...queuedRevocation(row),
      attempts: row.attempts,
      audience: row.audience,
      endpointUrl: row.endpoint_url,
      authorizationHeaderSealed: row.authorization_header_sealed,
      eventsRequested: row.events_requested,
    }));
  }

  async retryPushAt(streamId: string, eventId: number, at: Date): Promise<void> {
    await execute(this.dataSource, `UPDATE ssf_stream_events SET next_attempt_at = $3 WHERE stream_id = $1 AND event_id = $2`, [streamId, eventId, at]);
  }

  async pushVerifications(): Promise<SsfStream[]> {
    const { rows } = await execute<StreamRow>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM ssf_streams WHERE delivery_method = '${PUSH}' AND status = 'enabled' AND verification_jti IS NOT NULL`,
    );
    return rows.map(toStream);
  }

  async acknowledge(streamId: string, eventIds: readonly number[]): Promise<number> {
    if (eventIds.length === 0) return 0;
    const { affected } = await execute(this.dataSource, `DELETE FROM ssf_stream_events WHERE stream_id = $1 AND event_id = ANY($2::bigint[])`, [
      streamId,
      eventIds,
    ]);
    return affected;
  }
}

function queuedRevocation(row: QueuedRow) {
  return {
    streamId: row.stream_id,
    // bigserial arrives as a string; 2^53 ids are far beyond any revocation rate.
    id: Number(row.id),
    kind: row.kind,
    subject: row.subject,
    createdAt: row.created_at,
    ...(row.user_id === null ? {} : { userId: row.user_id }),
  };
}

function values(stream: SsfStream): unknown[] {
  return [
    stream.id,
    stream.clientId,
    stream.audience,
    stream.deliveryMethod,
    stream.endpointUrl,
    stream.authorizationHeaderSealed,
    stream.eventsRequested,
    stream.description,
    stream.status,
    stream.statusReason,
    stream.verificationJti,
    stream.verificationState,
    stream.createdAt,
    stream.updatedAt,
  ];
}

function toStream(row: StreamRow): SsfStream {
  return {
    id: row.id,
    clientId: row.client_id,
    audience: row.audience,
    deliveryMethod: row.delivery_method,
    endpointUrl: row.endpoint_url,
    authorizationHeaderSealed: row.authorization_header_sealed,
    eventsRequested: row.events_requested,
    description: row.description,
    status: row.status,
    statusReason: row.status_reason,
    verificationJti: row.verification_jti,
    verificationState: row.verification_state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
