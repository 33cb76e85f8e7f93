import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FeedRevocation } from '../../ssf/security-event.js';
import type { PushClaim, QueuedPage, SsfStream, StreamStatus } from '../../ssf/ssf-stream.js';
import { SsfStreamStore } from '../../ssf/ssf-stream.js';
import { execute } from '../sql.js';
import { BACKFILL, CLAIM, INSERT, LOCK_STREAMS, PUSH, QUEUED, READ_COLUMNS } from './ssf-stream.queries.js';

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
  lapse_jti: string | null;
  events_lost: number;
  created_at: Date;
  updated_at: Date;
}

interface QueuedRow {
  stream_id: string;
  id: string;
  kind: FeedRevocation['kind'];
  subject: string;
  created_at: Date;
  user_id: string | null;
}

interface ClaimRow extends QueuedRow {
  attempts: number;
  audience: string;
  endpoint_url: string;
  authorization_header_sealed: Buffer | null;
  events_requested: string[] | null;
}

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
    const { rows } = await execute<StreamRow>(this.dataSource, `SELECT ${READ_COLUMNS} FROM ssf_streams WHERE id = $1 AND client_id = $2`, [id, clientId]);
    return rows[0] && toStream(rows[0]);
  }

  async listByClient(clientId: string): Promise<SsfStream[]> {
    const { rows } = await execute<StreamRow>(this.dataSource, `SELECT ${READ_COLUMNS} FROM ssf_streams WHERE client_id = $1 ORDER BY created_at, id`, [
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

  async hasPushStreams(): Promise<boolean> {
    const { rows } = await execute<{ any: boolean }>(
      this.dataSource,
      `SELECT EXISTS (SELECT 1 FROM ssf_streams WHERE delivery_method = '${PUSH}' AND status = 'enabled') AS any`,
    );
    return rows[0]?.any === true;
  }

  async pushVerifications(): Promise<SsfStream[]> {
    const { rows } = await execute<StreamRow>(
      this.dataSource,
      `SELECT ${READ_COLUMNS} FROM ssf_streams WHERE delivery_method = '${PUSH}' AND status = 'enabled' AND (verification_jti IS NOT NULL OR lapse_jti IS NOT NULL)`,
    );
    return rows.map(toStream);
  }

  async acknowledgeLapse(id: string, jti: string): Promise<boolean> {
    const { affected } = await execute(this.dataSource, `UPDATE ssf_streams SET lapse_jti = NULL, events_lost = 0 WHERE id = $1 AND lapse_jti = $2`, [id, jti]);
    return affected > 0;
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
    lapseJti: row.lapse_jti,
    eventsLost: row.events_lost,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
