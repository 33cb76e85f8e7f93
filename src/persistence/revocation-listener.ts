import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { FeedListener, FeedSubscription } from '../sessions/revocation-event.js';

export const REVOCATION_CHANNEL = 'tessera_revocations';

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;

/**
 * One dedicated connection that LISTENs on the revocation channel (a pooled connection
 * would be handed to other queries). It reconnects with backoff for as long as it is
 * open, and reports each (re)connection so the caller reads the feed again: a NOTIFY
 * sent while the connection was down is never delivered.
 *
 * On the embedded PGlite every socket shares one backend, so a NOTIFY reaches the
 * connection that committed it rather than this one; the caller's poll covers that.
 */
export class RevocationListener implements FeedSubscription {
  private readonly logger = new Logger('revocation-listener');
  private client: pg.Client | undefined;
  private closed = false;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private down = false;

  constructor(
    private readonly url: string,
    private readonly listener: FeedListener,
  ) {}

  start(): this {
    void this.connect();
    return this;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url, keepAlive: true, connectionTimeoutMillis: 5_000 });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
      if (!this.closed && !this.down) this.logger.warn(`lost the revocation channel, reconnecting${error ? `: ${error.message}` : ''}`);
      this.down = true;
      this.scheduleRetry();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', () => this.listener.onNotify());
    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
    } catch (error) {
      onLost(error as Error);
      return;
    }
    if (this.closed || lost) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
    if (this.down) this.logger.log('revocation channel connected again');
    this.down = false;
    this.listener.onConnected();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }
}
