import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { type Client, type ClientSettings, ClientStore } from '../../clients/client.js';
import { DuplicateError } from '../../common/errors.js';
import { type Page, type PageRequest, pageOf } from '../../common/page.js';
import type { Family, RevocationReason } from '../../sessions/family.js';
import { ClientEntity } from '../entities/client.entity.js';
import { execute, insertUnique } from '../sql.js';
import { withTransactionRetry } from '../transaction.js';
import { revokeWithin } from './family.store.js';
import { appendToFeed } from './revocation-feed.sql.js';

// Deleting and registering one client id take turns: a registration that raced a deletion
// would miss the tombstone the deletion is about to commit.
const LOCK_CLIENT_ID = `SELECT pg_advisory_xact_lock(hashtext('tessera.client'), hashtext($1))`;

@Injectable()
export class PgClientStore extends ClientStore {
  private readonly clients: Repository<ClientEntity>;

  constructor(private readonly dataSource: DataSource) {
    super();
    this.clients = dataSource.getRepository(ClientEntity);
  }

  async findById(id: string): Promise<Client | undefined> {
    return (await this.clients.findOneBy({ id })) ?? undefined;
  }

  async list(page: PageRequest): Promise<Page<Client>> {
    const query = this.clients.createQueryBuilder('c').orderBy('c.createdAt', 'DESC').addOrderBy('c.id', 'DESC').take(page.limit + 1);
    if (page.after) query.andWhere('(c.createdAt, c.id) < (:at, :id)', { at: page.after.at, id: page.after.id });
    const rows = await query.getMany();
    return pageOf<Client>(rows, page.limit, (client) => ({ at: client.createdAt, id: client.id }));
  }

  async delete(
    id: string,
    reason: RevocationReason,
    actor: string,
    now: Date,
    relevantUntil: Date,
    tombstoneUntil: Date,
  ): Promise<Family[] | undefined> {
    return withTransactionRetry(this.dataSource, async (m) => {
      await execute(m, LOCK_CLIENT_ID, [id]);
      // FOR UPDATE conflicts with the FOR KEY SHARE that inserting a family takes on its
      // client: no family can start for this client between the revocation and the delete.
      const locked = await execute(m, `SELECT id FROM clients WHERE id = $1 FOR UPDATE`, [id]);
      if (locked.rows.length === 0) return undefined;
      const live = await execute<{ id: string }>(m, `SELECT id FROM families WHERE client_id = $1 AND revoked_at IS NULL`, [id]);
      const revoked = await revokeWithin(m, live.rows.map((row) => row.id), reason, actor, now, relevantUntil);
      // Its access tokens (client_credentials JWTs have no family) die everywhere at once;
      // its opaque tokens go with the row (ON DELETE CASCADE).
      await execute(m, `WITH ${appendToFeed('announced', `SELECT 'client', $1::text, $2::timestamptz, $3::timestamptz`)} SELECT id FROM announced`, [
        id,
        now,
        tombstoneUntil,
      ]);
      await execute(m, `DELETE FROM clients WHERE id = $1`, [id]);
      return revoked;
    });
  }

  async registeredScopes(): Promise<string[]> {
    const result = await execute<{ scope: string }>(this.dataSource, `SELECT DISTINCT unnest(scopes) AS scope FROM clients ORDER BY 1`);
    return result.rows.map((row) => row.scope);
  }

  async insert(client: Client): Promise<void> {
    await withTransactionRetry(this.dataSource, async (m) => {
      await execute(m, LOCK_CLIENT_ID, [client.id]);
      const tombstone = await execute<{ until: Date }>(
        m,
        `SELECT max(until) AS until FROM revocation_events WHERE subject = $1 AND kind = 'client' AND until > $2 HAVING max(until) IS NOT NULL`,
        [client.id, client.createdAt],
      );
      const until = tombstone.rows[0]?.until;
      if (until !== undefined) {
        throw new DuplicateError(
          `client ${client.id}`,
          `was deleted and can be registered again after ${until.toISOString()}, when every token of the deleted client has expired`,
        );
      }
      await insertUnique(`client ${client.id}`, () =>
        m.getRepository(ClientEntity).insert({
          ...client,
          grantTypes: [...client.grantTypes],
          scopes: [...client.scopes],
          permissions: [...client.permissions],
          allowedOrigins: [...client.allowedOrigins],
          redirectUris: [...client.redirectUris],
          postLogoutRedirectUris: [...client.postLogoutRedirectUris],
        }),
      );
    });
  }

  async update(id: string, change: (current: Client) => ClientSettings): Promise<Client | undefined> {
    return withTransactionRetry(this.dataSource, async (m) => {
      const clients = m.getRepository(ClientEntity);
      const current = await clients.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!current) return undefined;
      const settings = change(current);
      await clients.update(
        { id },
        {
          grantTypes: [...settings.grantTypes],
          scopes: [...settings.scopes],
          permissions: [...settings.permissions],
          allowedOrigins: [...settings.allowedOrigins],
          accessTokenFormat: settings.accessTokenFormat,
          audience: settings.audience,
          redirectUris: [...settings.redirectUris],
          postLogoutRedirectUris: [...settings.postLogoutRedirectUris],
          firstParty: settings.firstParty,
          requirePar: settings.requirePar,
          name: settings.name,
          requireDpop: settings.requireDpop,
          requireMfa: settings.requireMfa,
          backchannelLogoutUri: settings.backchannelLogoutUri,
          backchannelLogoutSessionRequired: settings.backchannelLogoutSessionRequired,
        },
      );
      return { ...current, ...settings };
    });
  }

  async rotateSecret(id: string, secretHash: Buffer, previousExpiresAt: Date | null): Promise<Client | undefined> {
    // The right-hand sides read the row as it was: the old secret_hash becomes the previous one.
    const rotated = await execute(
      this.dataSource,
      `UPDATE clients
          SET previous_secret_hash = CASE WHEN $3::timestamptz IS NULL THEN NULL ELSE secret_hash END,
              previous_secret_expires_at = $3::timestamptz,
              secret_hash = $2
        WHERE id = $1 AND type = 'confidential'
       RETURNING id`,
      [id, secretHash, previousExpiresAt],
    );
    return rotated.affected === 0 ? undefined : this.findById(id);
  }
}
