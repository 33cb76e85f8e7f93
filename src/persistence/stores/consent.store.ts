import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Consent, ConsentStore } from '../../interaction/consent.js';
import { execute, referencingClient } from '../sql.js';

interface ConsentRow {
  user_id: string;
  client_id: string;
  scopes: string[];
  granted_at: Date;
}

@Injectable()
export class PgConsentStore extends ConsentStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async find(userId: string, clientId: string): Promise<Consent | undefined> {
    const { rows } = await execute<ConsentRow>(
      this.dataSource,
      `SELECT user_id, client_id, scopes, granted_at FROM consents WHERE user_id = $1 AND client_id = $2`,
      [userId, clientId],
    );
    return rows[0] && toConsent(rows[0]);
  }

  async grant(userId: string, clientId: string, scopes: readonly string[], now: Date): Promise<void> {
    // The union, in one statement: two tabs consenting at once lose neither grant.
    await referencingClient(() =>
      execute(
        this.dataSource,
        `INSERT INTO consents (user_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, client_id) DO UPDATE
           SET scopes = ARRAY(SELECT DISTINCT unnest(consents.scopes || EXCLUDED.scopes) ORDER BY 1), granted_at = EXCLUDED.granted_at`,
        [userId, clientId, [...scopes].sort(), now],
      ),
    );
  }

  async listOfUser(userId: string): Promise<Consent[]> {
    const { rows } = await execute<ConsentRow>(
      this.dataSource,
      `SELECT user_id, client_id, scopes, granted_at FROM consents WHERE user_id = $1 ORDER BY granted_at DESC, client_id`,
      [userId],
    );
    return rows.map(toConsent);
  }

  async revoke(userId: string, clientId: string): Promise<boolean> {
    const { affected } = await execute(this.dataSource, `DELETE FROM consents WHERE user_id = $1 AND client_id = $2`, [userId, clientId]);
    return affected > 0;
  }
}

function toConsent(row: ConsentRow): Consent {
  return { userId: row.user_id, clientId: row.client_id, scopes: row.scopes, grantedAt: row.granted_at };
}
