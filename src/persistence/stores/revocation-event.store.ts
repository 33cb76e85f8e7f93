import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { Metrics } from '../../metrics/metrics.js';
import {
  type FeedListener,
  type FeedSubscription,
  type RevocationEvent,
  RevocationEventStore,
  type RevocationKind,
} from '../../sessions/revocation-event.js';
import { RevocationListener } from '../revocation-listener.js';
import { execute } from '../sql.js';

interface EventRow {
  recovery: boolean;
  /** null in the one row of a read that found no event */
  position: string | null;
  kind: RevocationKind;
  subject: string;
  created_at: Date;
  until: Date;
}

@Injectable()
export class PgRevocationEventStore extends RevocationEventStore {
  private readonly logger = new Logger('revocation-feed');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    private readonly metrics: Metrics,
  ) {
    super();
  }

  /**
   * A read from a standby (a server moved onto one by a failover's DNS or VIP switch) may
   * lag its primary by any amount, so it vouches for nothing: it fails, as the server being
   * away would, and the view turns stale (503) instead of answering from a past state.
   */
  async read(after: number, limit: number): Promise<RevocationEvent[]> {
    const { rows } = await execute<EventRow>(
      this.dataSource,
      `SELECT s.recovery, e.position, e.kind, e.subject, e.created_at, e.until
       FROM (SELECT pg_is_in_recovery() AS recovery) s
       LEFT JOIN LATERAL (
         SELECT position, kind, subject, created_at, until FROM revocation_events
         WHERE position > $1 ORDER BY position LIMIT $2
       ) e ON true
       ORDER BY e.position`,
      [after, limit],
    );
    if (rows[0].recovery) {
      throw Object.assign(new Error('the database is a read-only standby (in recovery): its revocations may lag the primary'), { code: '25006' });
    }
    // bigint arrives as a string; 2^53 positions are far beyond any revocation rate.
    return rows
      .filter((row) => row.position !== null)
      .map((row) => ({ position: Number(row.position), kind: row.kind, subject: row.subject, createdAt: row.created_at, until: row.until }));
  }

  async concerns(token: { jti: string; sid?: string; sub: string; iat: number; client_id: string }, now: Date): Promise<boolean> {
    const { rows } = await execute(
      this.dataSource,
      `SELECT 1 FROM revocation_events
       WHERE until > $5 AND ((subject = $1 AND kind = 'jti') OR (subject = $2 AND kind = 'family')
          OR (subject = $3 AND kind = 'user' AND created_at >= $4) OR (subject = $6 AND kind = 'client'))
       LIMIT 1`,
      [token.jti, token.sid ?? null, token.sub, new Date(token.iat * 1000), now, token.client_id],
    );
    return rows.length > 0;
  }

  /**
   * LISTENs on DATABASE_LISTEN_URL when set (a direct connection beside a pooled
   * DATABASE_URL), else on the pool's own server. Probes are sent through the pool, the
   * way revocations' notifications are, and only on a Postgres server: on the embedded
   * PGlite a notification never reaches another connection (the poll covers it).
   */
  subscribe(listener: FeedListener): FeedSubscription {
    // DATABASE_URL itself rather than the pool's URL, which names only the first of several hosts.
    const url = this.config.databaseListenUrl ?? this.config.databaseUrl ?? (this.dataSource.options as { url?: string }).url;
    if (!url) {
      this.logger.warn('no connection URL to LISTEN on: revocations from other processes arrive by polling only');
      return { close: async () => undefined };
    }
    const probes = this.config.databaseUrl
      ? {
          notify: async (channel: string, payload: string) => {
            await execute(this.dataSource, 'SELECT pg_notify($1, $2)', [channel, payload]);
          },
          settled: (returned: boolean) => this.metrics.listenProbe(returned),
        }
      : undefined;
    return new RevocationListener(url, listener, probes).start();
  }
}
