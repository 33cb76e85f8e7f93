import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { GrantType } from '../../clients/client.js';
import { BrowserOriginStore, type BrowserClientShape } from '../../browser/browser-client.js';
import { execute } from '../sql.js';

@Injectable()
export class PgBrowserOriginStore extends BrowserOriginStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async clientsWithOrigin(origin: string): Promise<BrowserClientShape[]> {
    const { rows } = await execute<{ type: 'confidential' | 'public'; grant_types: GrantType[]; allowed_origins: string[] }>(
      this.dataSource,
      `SELECT type, grant_types, allowed_origins FROM clients WHERE $1 = ANY(allowed_origins)`,
      [origin],
    );
    return rows.map((row) => ({ type: row.type, grantTypes: row.grant_types, allowedOrigins: row.allowed_origins }));
  }
}
