import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type AuditEvent, type AuditEventType, type AuditFilter, AuditStore, type BoundedAuditFilter, type HourlyCount, type StoredAuditEvent } from '../../audit/audit-event.js';
import { type Page, type PageRequest, pageOf } from '../../common/page.js';
import { execute } from '../sql.js';

@Injectable()
export class PgAuditStore extends AuditStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  /**
   * One statement whatever the batch's size (a group commit gathers any number of events):
   * one text to prepare, where a VALUES list would make one per size.
   */
  async append(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const column = <T>(pick: (event: AuditEvent) => T) => events.map(pick);
    await execute(
      this.dataSource,
      `INSERT INTO audit_events (type, occurred_at, actor, user_id, client_id, family_id, reason, ip, details)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::uuid[], $5::text[], $6::uuid[], $7::text[], $8::text[], $9::jsonb[])`,
      [
        column((event) => event.type),
        column((event) => event.occurredAt),
        column((event) => event.actor ?? null),
        column((event) => event.userId ?? null),
        column((event) => event.clientId ?? null),
        column((event) => event.familyId ?? null),
        column((event) => event.reason ?? null),
        column((event) => event.ip ?? null),
        column((event) => JSON.stringify(event.details ?? {})),
      ],
    );
  }

  async query(filter: AuditFilter, page: PageRequest): Promise<Page<StoredAuditEvent>> {
    const { rows } = await execute<AuditRow>(
      this.dataSource,
      `SELECT id::text AS id, type, occurred_at, actor, user_id, client_id, family_id, reason, ip, details FROM audit_events
       WHERE ($1::text IS NULL OR type = $1) AND ($2::uuid IS NULL OR user_id = $2)
         AND ($3::timestamptz IS NULL OR occurred_at >= $3) AND ($4::timestamptz IS NULL OR occurred_at < $4)
         AND ($5::timestamptz IS NULL OR (occurred_at, id) < ($5, $6::bigint))
         AND ($8::text IS NULL OR client_id = $8)
       ORDER BY occurred_at DESC, id DESC LIMIT $7`,
      [filter.type ?? null, filter.userId ?? null, filter.since ?? null, filter.until ?? null,
        page.after?.at ?? null, page.after?.id ?? null, page.limit + 1, filter.clientId ?? null],
    );
    return pageOf(rows.map(toEvent), page.limit, (event) => ({ at: event.occurredAt, id: event.id }));
  }

  /**
   * One grouped read, whatever the number of hours: the hours are cut in UTC (the third
   * argument of date_trunc), not in the session's time zone, so the buckets are the same
   * on every server.
   */
  async countByHour(types: readonly AuditEventType[], filter: BoundedAuditFilter): Promise<HourlyCount[]> {
    const { rows } = await execute<{ hour: Date; type: AuditEventType; count: number }>(
      this.dataSource,
      `SELECT date_trunc('hour', occurred_at, 'UTC') AS hour, type, count(*)::int AS count FROM audit_events
       WHERE type = ANY($1::text[]) AND occurred_at >= $2 AND occurred_at < $3
         AND ($4::uuid IS NULL OR user_id = $4) AND ($5::text IS NULL OR client_id = $5)
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [types, filter.since, filter.until, filter.userId ?? null, filter.clientId ?? null],
    );
    return rows;
  }
}

interface AuditRow {
  id: string;
  type: StoredAuditEvent['type'];
  occurred_at: Date;
  actor: string | null;
  user_id: string | null;
  client_id: string | null;
  family_id: string | null;
  reason: string | null;
  ip: string | null;
  details: Record<string, string | number | boolean>;
}

function toEvent(row: AuditRow): StoredAuditEvent {
  return {
    id: row.id,
    type: row.type,
    occurredAt: row.occurred_at,
    ...(row.actor === null ? {} : { actor: row.actor }),
    ...(row.user_id === null ? {} : { userId: row.user_id }),
    ...(row.client_id === null ? {} : { clientId: row.client_id }),
    ...(row.family_id === null ? {} : { familyId: row.family_id }),
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.ip === null ? {} : { ip: row.ip }),
    details: row.details,
  };
}
