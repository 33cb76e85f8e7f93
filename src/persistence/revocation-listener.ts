import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { FeedListener, FeedSubscription, RevocationEvent, RevocationKind } from '../sessions/revocation-event.js';
import { connectThrough, hostSelection } from './failover.js';

export const REVOCATION_CHANNEL = 'tessera_revocation_feed';

const KINDS: ReadonlySet<string> = new Set<RevocationKind>(['family', 'user', 'jti', 'client', 'credential']);

/**
 * The events a notification carries (see appendToFeed:
 * `[[position,kind,subject,created_ms,until_ms],…]`), or undefined when it is bare or not in
 * that form: then only a read of the feed tells what happened.
 */
export function carriedEvents(payload: string | undefined): RevocationEvent[] | undefined {
  if (!payload) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return undefined;
  const events: RevocationEvent[] = [];
  for (const item of parsed as unknown[]) {
    if (!Array.isArray(item) || item.length !== 5) return undefined;
    const [position, kind, subject, createdAt, until] = item as unknown[];
    if (!Number.isSafeInteger(position) || typeof kind !== 'string' || !KINDS.has(kind) || typeof subject !== 'string') return undefined;
    if (!Number.isSafeInteger(createdAt) || !Number.isSafeInteger(until)) return undefined;
    events.push({ position: position as number, kind: kind as RevocationKind, subject, createdAt: new Date(createdAt as number), until: new Date(until as number) });
  }
  return events;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;
/** How often a probe is sent, and how long it has to come back. */
export const PROBE_INTERVAL_MS = 5_000;

export interface ListenerProbes {
  /**
   * Sends `payload` on `channel` from another connection than the listener's (the pool),
   * as a revocation's trigger would: a notification sent by the listening session itself
   * is delivered to it even behind a pooler, and would prove nothing.
   */
  notify(channel: string, payload: string): Promise<void>;
  /** each probe's fate: it came back in time, or it did not */
  settled(returned: boolean): void;
}

/**
 * One dedicated connection that LISTENs on the revocation channel (a pooled connection
 * would be handed to other queries). It reconnects with backoff for as long as it is
 * open, and reports each (re)connection so the caller reads the feed again: a NOTIFY
 * sent while the connection was down is never delivered.
 *
 * On the embedded PGlite every socket shares one backend, so a NOTIFY reaches the
 * connection that committed it rather than this one; the caller's poll covers that.
 *
 * With `probes`, it checks that notifications really arrive: every PROBE_INTERVAL_MS it
 * sends itself one on a channel of its own, and says once (a warning, and the metric on
 * each probe) when one does not come back. Behind a transaction-mode pooler LISTEN
 * "succeeds" on whichever server session ran it, and notifications are then dropped
 * without an error: the poll still delivers revocations, but a second or so late.
 */
export class RevocationListener implements FeedSubscription {
  private readonly logger = new Logger('revocation-listener');
  private client: pg.Client | undefined;
  private closed = false;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private down = false;
  private readonly probeChannel = `tessera_probe_${randomBytes(8).toString('hex')}`;
  private probeTimer: NodeJS.Timeout | undefined;
  private probeSeq = 0;
  /** the payload of the probe in flight, if one is */
  private awaited: string | undefined;
  private deaf = false;
  private sending = false;

  constructor(
    private readonly url: string,
    private readonly listener: FeedListener,
    private readonly probes?: ListenerProbes,
  ) {}

  start(): this {
    void this.connect();
    const probes = this.probes;
    if (probes) {
      this.probeTimer = setInterval(() => void this.probe(probes), PROBE_INTERVAL_MS);
      this.probeTimer.unref();
    }
    return this;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.probeTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    // A multi-host URL: connect where the pool does, to the primary a failover left.
    const selection = hostSelection(this.url);
    const client = new pg.Client({ connectionString: selection?.targets.firstHostUrl ?? this.url, keepAlive: true, connectionTimeoutMillis: 5_000 });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = undefined;
      // A probe in flight went to the connection that was lost: it proves nothing.
      this.awaited = undefined;
      client.end().catch(() => undefined);
      if (!this.closed && !this.down) this.logger.warn(`lost the revocation channel, reconnecting${error ? `: ${error.message}` : ''}`);
      this.down = true;
      this.scheduleRetry();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel === this.probeChannel) this.probeReturned(message.payload);
      else this.listener.onNotify(carriedEvents(message.payload));
    });
    try {
      await (selection ? connectThrough(client, selection, () => client.connect()) : client.connect());
      // One message, so that a transaction-mode pooler runs both on one server session.
      await client.query(`LISTEN ${REVOCATION_CHANNEL}; LISTEN ${this.probeChannel}`);
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

  private async probe(probes: ListenerProbes): Promise<void> {
    // A probe still being sent (a pool busy for seconds) is late, not lost: judged next time.
    if (this.sending) return;
    if (this.awaited !== undefined) {
      this.awaited = undefined;
      probes.settled(false);
      if (!this.deaf) {
        this.logger.warn(
          `a probe notification did not come back within ${PROBE_INTERVAL_MS} ms: this process receives no revocation notifications ` +
            '(LISTEN behind a transaction-mode pooler? set DATABASE_LISTEN_URL to a direct connection); ' +
            'revocations from other processes arrive by polling (REVOCATION_POLL_INTERVAL_MS)',
        );
      }
      this.deaf = true;
    }
    // While reconnecting there is nothing to test; the reconnection reads the feed anyway.
    if (!this.client) return;
    const payload = String(++this.probeSeq);
    // Awaited before it is sent: it may come back before the pool's answer does.
    this.awaited = payload;
    this.sending = true;
    try {
      await probes.notify(this.probeChannel, payload);
    } catch {
      // The database is away: the pool's own failures say so; this probe proves nothing.
      if (this.awaited === payload) this.awaited = undefined;
    } finally {
      this.sending = false;
    }
  }

  private probeReturned(payload: string | undefined): void {
    if (this.awaited === undefined || payload !== this.awaited) return;
    this.awaited = undefined;
    this.probes?.settled(true);
    if (this.deaf) this.logger.log('probe notifications come back again: revocation notifications arrive');
    this.deaf = false;
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
