import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type BackchannelDelivery, BackchannelLogoutStore } from '../../backchannel/backchannel-delivery.js';
import { execute } from '../sql.js';

interface DeliveryRow {
  id: string;
  jti: string;
  client_id: string;
  endpoint: string;
  subject: string;
  sid: string;
  attempts: number;
  give_up_at: Date;
  unregistered: boolean;
}

const PENDING = 'delivered_at IS NULL AND gave_up_at IS NULL';

// One statement. `ranked` numbers the due rows of each endpoint, so that no endpoint gets
// more than $4 attempts at once from this process counting those under way ($5/$6);
// `due` locks the chosen rows, skipping those another sender is claiming right now (and,
// re-checked on the row's newest version, those it has just claimed); the lease then keeps
// them until this process settles them or dies. The URL is the client's as registered now
// (an admin's correction applies to logouts still owed), the one it had when the session
// ended once the client is deleted; a client that dropped its URI is owed nothing.
const CLAIM = `
  WITH ranked AS (
    SELECT id, endpoint, row_number() OVER (PARTITION BY endpoint ORDER BY next_attempt_at, id) AS n
    FROM backchannel_logouts WHERE ${PENDING} AND next_attempt_at <= $1
  ), chosen AS (
    SELECT r.id FROM ranked r
    LEFT JOIN unnest($5::text[], $6::int[]) AS busy (endpoint, n) ON busy.endpoint = r.endpoint
    WHERE r.n <= $4 - COALESCE(busy.n, 0)
    ORDER BY r.n, r.id LIMIT $3
  ), due AS (
    SELECT b.id, b.client_id FROM backchannel_logouts b JOIN chosen ON chosen.id = b.id
    WHERE b.delivered_at IS NULL AND b.gave_up_at IS NULL AND b.next_attempt_at <= $1
    FOR UPDATE OF b SKIP LOCKED
  )
  UPDATE backchannel_logouts b SET attempts = b.attempts + 1, next_attempt_at = $2, endpoint = COALESCE(c.backchannel_logout_uri, b.endpoint)
  FROM due LEFT JOIN clients c ON c.id = due.client_id
  WHERE b.id = due.id
  RETURNING b.id, b.jti, b.client_id, b.endpoint, b.subject, b.sid, b.attempts, b.give_up_at,
            c.id IS NOT NULL AND c.backchannel_logout_uri IS NULL AS unregistered`;

@Injectable()
export class PgBackchannelLogoutStore extends BackchannelLogoutStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async claim(now: Date, leaseUntil: Date, limit: number, perEndpoint: number, busy: ReadonlyMap<string, number>): Promise<BackchannelDelivery[]> {
    if (limit <= 0) return [];
    const { rows } = await execute<DeliveryRow>(this.dataSource, CLAIM, [now, leaseUntil, limit, perEndpoint, [...busy.keys()], [...busy.values()]]);
    return rows.map((row) => ({
      id: String(row.id),
      jti: row.jti,
      clientId: row.client_id,
      endpoint: row.endpoint,
      subject: row.subject,
      sid: row.sid,
      attempts: row.attempts,
      giveUpAt: row.give_up_at,
      registered: !row.unregistered,
    }));
  }

  async delivered(id: string, now: Date): Promise<void> {
    await execute(this.dataSource, `UPDATE backchannel_logouts SET delivered_at = $2, last_error = NULL WHERE id = $1 AND ${PENDING}`, [id, now]);
  }

  async retryAt(id: string, at: Date, error: string): Promise<void> {
    await execute(this.dataSource, `UPDATE backchannel_logouts SET next_attempt_at = $2, last_error = $3 WHERE id = $1 AND ${PENDING}`, [id, at, error]);
  }

  async giveUp(id: string, now: Date, error: string): Promise<boolean> {
    const { affected } = await execute(this.dataSource, `UPDATE backchannel_logouts SET gave_up_at = $2, last_error = $3 WHERE id = $1 AND ${PENDING}`, [
      id,
      now,
      error,
    ]);
    return affected > 0;
  }

  async depth(): Promise<number> {
    const { rows } = await execute<{ n: string }>(this.dataSource, `SELECT count(*) AS n FROM backchannel_logouts WHERE ${PENDING}`);
    return Number(rows[0].n);
  }
}
