import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type FamilyAuthentication, FamilyAuthenticationStore } from '../../oauth/oidc/id-token.js';
import { execute } from '../sql.js';

@Injectable()
export class PgFamilyAuthenticationStore extends FamilyAuthenticationStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async find(familyId: string): Promise<FamilyAuthentication | undefined> {
    // A family started before amr was recorded had a password login: the only kind there was.
    const { rows } = await execute<{ auth_time: Date; id_token_sid: string; amr: string[] }>(
      this.dataSource,
      `SELECT auth_time, id_token_sid, COALESCE(amr, '{pwd}') AS amr FROM families
        WHERE id = $1 AND auth_time IS NOT NULL AND id_token_sid IS NOT NULL`,
      [familyId],
    );
    return rows[0] && { authTime: rows[0].auth_time, sid: rows[0].id_token_sid, amr: rows[0].amr };
  }
}
