import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AccountSessionStore } from '../../account-page/account-session.store.js';
import type { LoginSessionEnd } from '../../interaction/login-session.js';
import { execute } from '../sql.js';

@Injectable()
export class PgAccountSessionStore extends AccountSessionStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async liveFamilyIdsOf(loginSessionId: string): Promise<string[]> {
    const { rows } = await execute<{ id: string }>(
      this.dataSource,
      `SELECT id FROM families WHERE login_session_id = $1 AND revoked_at IS NULL`,
      [loginSessionId],
    );
    return rows.map((row) => row.id);
  }

  async endOthers(userId: string, keepId: string, reason: LoginSessionEnd, now: Date): Promise<number> {
    const { affected } = await execute(
      this.dataSource,
      `UPDATE login_sessions SET ended_at = $3, ended_reason = $4 WHERE user_id = $1 AND id <> $2 AND ended_at IS NULL`,
      [userId, keepId, now, reason],
    );
    return affected;
  }
}
