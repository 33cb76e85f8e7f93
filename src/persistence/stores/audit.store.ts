import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type AuditEvent, AuditStore } from '../../audit/audit-event.js';
import { execute } from '../sql.js';

@Injectable()
export class PgAuditStore extends AuditStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async append(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const values: unknown[] = [];
    const tuples = events.map((event, i) => {
      values.push(event.type, event.occurredAt, event.actor ?? null, event.userId ?? null, event.clientId ?? null,
        event.familyId ?? null, event.reason ?? null, event.ip ?? null, JSON.stringify(event.details ?? {}));
      const base = i * 9;
      return `(${Array.from({ length: 9 }, (_, k) => `$${base + k + 1}`).join(', ')})`;
    });
    await execute(
      this.dataSource,
      `INSERT INTO audit_events (type, occurred_at, actor, user_id, client_id, family_id, reason, ip, details) VALUES ${tuples.join(', ')}`,
      values,
    );
  }
}
