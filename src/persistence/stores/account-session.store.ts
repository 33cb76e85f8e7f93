import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AccountSessionStore } from '../../account-page/account-session.store.js';
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
}
