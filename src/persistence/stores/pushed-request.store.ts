import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PushedRequestStore } from '../../oauth/authorization/pushed-request.js';
import { execute, referencingClient } from '../sql.js';

@Injectable()
export class PgPushedRequestStore extends PushedRequestStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async insert(hash: Buffer, clientId: string, parameters: Readonly<Record<string, string>>, now: Date, expiresAt: Date): Promise<void> {
    await referencingClient(() =>
      execute(
        this.dataSource,
        `INSERT INTO pushed_authorization_requests (hash, client_id, parameters, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
        [hash, clientId, JSON.stringify(parameters), now, expiresAt],
      ),
    );
  }

  async find(hash: Buffer, clientId: string, now: Date): Promise<Record<string, string> | undefined> {
    const { rows } = await execute<{ parameters: Record<string, string> }>(
      this.dataSource,
      `SELECT parameters FROM pushed_authorization_requests WHERE hash = $1 AND client_id = $2 AND expires_at > $3 AND used_at IS NULL`,
      [hash, clientId, now],
    );
    return rows[0]?.parameters;
  }

  async use(hash: Buffer, now: Date): Promise<boolean> {
    const { affected } = await execute(
      this.dataSource,
      `UPDATE pushed_authorization_requests SET used_at = $2 WHERE hash = $1 AND used_at IS NULL AND expires_at > $2`,
      [hash, now],
    );
    return affected === 1;
  }
}
