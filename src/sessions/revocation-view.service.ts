import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { StorageUnavailableError } from '../common/errors.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { Metrics } from '../metrics/metrics.js';
import { ExpiringBloomFilter } from './expiring-bloom-filter.js';
import { type FeedSubscription, type RevocationEvent, RevocationEventStore } from './revocation-event.js';

/** The parts of an access token that a revocation can concern. */
export interface RevocableToken {
  readonly jti: string;
  readonly sub: string;
  /** seconds */
  readonly iat: number;
  /** the family, for tokens a user logged in for */
  readonly sid?: string;
  readonly client_id: string;
}

/** How the view can judge tokens at the moment (see RevocationView.readiness). */
export type Readiness = 'fresh' | 'catching-up';

// How long a request may wait for a catch-up read when the view is stale, before 503.
const STALE_WAIT_MS = 1_000;
const SWEEP_EVERY_MS = 10_000;
// Events per read of the feed: a mass logout is learned in pages, not in one result set.
const READ_PAGE = 5_000;

/**
 * What this process knows of the revocations that live access tokens can outlive:
 * revoked families, disabled users, deleted clients and revoked jtis of the last
 * ACCESS_TOKEN_TTL (plus a margin). It tails the revocation feed on boot, on every reconnect
 * of the LISTEN connection and on a poll timer, the safety net for lost notifications; a
 * notification carries its events, so it costs a read only when it could not (see
 * `notified`). Fail closed: the view is trusted only while its last successful read is
 * younger than REVOCATION_MAX_STALENESS_MS; past that, callers get StorageUnavailableError.
 *
 * Memory is bounded without a cliff: REVOCATION_VIEW_MAX_ENTRIES revocations are held
 * exactly; the rest (a mass logout) go to a Bloom filter at a few bytes each, so a token
 * none of them concerns is still answered from memory, and only one the filter cannot
 * rule out (one of them, or about one in a thousand others) is checked in the database.
 */
@Injectable()
export class RevocationView implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('revocation-view');
  /** id → until (ms) */
  private readonly families = new Map<string, number>();
  private readonly jtis = new Map<string, number>();
  /** deleted client ids: the id is not registered again before `until` (see clientRevocationRelevantUntil) */
  private readonly clients = new Map<string, number>();
  private readonly users = new Map<string, { revokedAt: number; until: number }>();
  /** the position of the last event read: every one up to it is known */
  private position = 0;
  private loaded = false;
  /** clock time at which the last successful read started; -Infinity: never */
  private freshAsOf = Number.NEGATIVE_INFINITY;
  private lastSweep = Number.NEGATIVE_INFINITY;
  /** clock time at which the last page of the feed came back */
  private pageAt = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private failing = false;
  /** The revocations the maps had no room for (REVOCATION_VIEW_MAX_ENTRIES), by kind-prefixed subject. */
  private readonly overflow = new ExpiringBloomFilter();
  private timer: NodeJS.Timeout | undefined;
  private subscription: FeedSubscription | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly store: RevocationEventStore,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {
    // Before its first read the view is as old as the process: finite, so it crosses the
    // cluster's IPC (JSON has no Infinity) and still grows past the limit.
    const bornAt = this.clock.now();
    metrics.revocationView(() => ({
      ageSeconds: (this.clock.now() - Math.max(this.freshAsOf, bornAt)) / 1000,
      maxAgeSeconds: this.config.revocationMaxStalenessMs / 1000,
      entries: this.size,
      overflowEntries: this.overflowSize,
    }));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.catchUp().catch(() => undefined);
    this.timer = setInterval(() => void this.catchUp().catch(() => undefined), this.config.revocationPollIntervalMs);
    this.timer.unref();
    this.subscription = this.store.subscribe({
      onNotify: (events) => this.notified(events),
      // Notifications sent while the connection was down are lost: read the feed again.
      onConnected: () => void this.catchUp().catch(() => undefined),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.subscription?.close();
  }

  /**
   * True when a revocation this process holds exactly ends the token. False can be
   * incomplete once the view has overflowed: `isRevoked` is the definitive answer.
   */
  revoked(token: RevocableToken): boolean {
    if (this.jtis.has(token.jti) || this.clientDeleted(token.client_id)) return true;
    if (token.sid === undefined) return false;
    if (this.families.has(token.sid)) return true;
    const user = this.users.get(token.sub);
    // A user may be enabled again: only tokens issued before the disabling are dead.
    return user !== undefined && token.iat * 1000 <= user.revokedAt;
  }

  /**
   * A client id registered again once its tombstone is over names another client: the
   * deletion is forgotten at its `until` exactly, not at the next sweep.
   */
  private clientDeleted(clientId: string): boolean {
    const until = this.clients.get(clientId);
    return until !== undefined && this.clock.now() < until;
  }

  /**
   * Whether any revocation ends the token: from memory, or from the feed's table when
   * the overflow filter cannot rule out one that does, or when the view is still catching
   * up (`readiness`).
   */
  async isRevoked(token: RevocableToken, readiness: Readiness = 'fresh'): Promise<boolean> {
    if (this.revoked(token)) return true;
    const now = this.clock.now();
    if (readiness === 'fresh' && !this.mayHaveOverflowed(token, now)) return false;
    this.metrics.revocationViewDatabaseCheck();
    try {
      return await this.store.concerns(token, new Date(now));
    } catch (error) {
      throw new StorageUnavailableError(error);
    }
  }

  private mayHaveOverflowed(token: RevocableToken, now: number): boolean {
    if (this.overflow.size === 0) return false;
    const { overflow } = this;
    return (
      overflow.mightContain(`jti:${token.jti}`, now) ||
      overflow.mightContain(`client:${token.client_id}`, now) ||
      (token.sid !== undefined && (overflow.mightContain(`family:${token.sid}`, now) || overflow.mightContain(`user:${token.sub}`, now)))
    );
  }

  /** Revocations held exactly in memory (bounded by REVOCATION_VIEW_MAX_ENTRIES). */
  get size(): number {
    return this.families.size + this.jtis.size + this.users.size + this.clients.size;
  }

  /** Revocations held only in the overflow filter. */
  get overflowSize(): number {
    return this.overflow.size;
  }

  isFresh(): boolean {
    const age = this.clock.now() - this.freshAsOf;
    // A clock that stepped back makes the age negative: not proof of freshness.
    return age >= 0 && age <= this.config.revocationMaxStalenessMs;
  }

  /**
   * Whether the view can judge tokens now: 'fresh'; or 'catching-up' while a read works
   * through a backlog (a mass logout) and its last page came back within
   * REVOCATION_MAX_STALENESS_MS, so the feed's table is there to answer instead; or,
   * after briefly waiting for a read, StorageUnavailableError.
   */
  async readiness(): Promise<Readiness> {
    if (this.isFresh()) return 'fresh';
    if (this.catchingUp()) return 'catching-up';
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the revocation feed did not answer in time')), STALE_WAIT_MS);
    });
    try {
      await Promise.race([this.catchUp(), timeout]);
    } catch (error) {
      if (this.catchingUp()) return 'catching-up';
      throw new StorageUnavailableError(error);
    } finally {
      clearTimeout(timer);
    }
    if (this.isFresh()) return 'fresh';
    if (this.catchingUp()) return 'catching-up';
    throw new StorageUnavailableError();
  }

  private catchingUp(): boolean {
    const sincePage = this.clock.now() - this.pageAt;
    return this.running !== undefined && sincePage >= 0 && sincePage <= this.config.revocationMaxStalenessMs;
  }

  /** `listener` runs after each read that brought events (NOTIFY, poll); the answer unsubscribes. */
  onEvents(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves once a read that started after this call has finished. A read already in
   * flight may have begun before the caller's revocation committed, so one more is queued.
   */
  catchUp(): Promise<void> {
    if (this.running) {
      this.queued ??= this.running.then(noop, noop).then(() => {
        this.queued = undefined;
        return this.catchUp();
      });
      return this.queued;
    }
    this.running = this.read().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async read(): Promise<void> {
    const startedAt = this.clock.now();
    let learned = 0;
    for (;;) {
      let events: RevocationEvent[];
      try {
        events = await this.store.read(this.position, READ_PAGE);
      } catch (error) {
        if (!this.failing) this.logger.warn(`cannot read the revocation feed: ${(error as Error).message}`);
        this.failing = true;
        throw error;
      }
      if (this.failing) this.logger.log('reading the revocation feed again');
      this.failing = false;
      for (const event of events) this.accept(event, startedAt);
      this.pageAt = this.clock.now();
      learned += events.length;
      if (events.length < READ_PAGE) break;
    }
    if (learned > 0) for (const listener of this.listeners) listener();
    this.loaded = true;
    this.forgetOld(startedAt);
    this.freshAsOf = startedAt;
  }

  /**
   * The events a notification carried: each counts at once. The feed is read only when
   * the notification carried none (too many for its payload, or not understood), before
   * the first read (nothing to place them after), or when one is not the next position
   * after the last one read: the positions between are rows not read yet (an append whose
   * notification was bare, or lost), read at once.
   *
   * Carried events do not make the view fresh. Fresh means "everything committed before
   * then is known", which one notification cannot say: another may have been lost with
   * the connection, or been bare while the read it asked for failed. Only a read (the
   * poll, at most REVOCATION_POLL_INTERVAL_MS apart) vouches for that.
   */
  private notified(events: readonly RevocationEvent[] | undefined): void {
    if (events === undefined || !this.loaded) {
      void this.catchUp().catch(() => undefined);
      return;
    }
    const now = this.clock.now();
    let behind = false;
    for (const event of [...events].sort((a, b) => a.position - b.position)) {
      // Only the next position moves the cursor: above it may lie rows committed but not
      // read yet (a bulk revocation's, whose notification was bare), which a cursor moved
      // past them would never read. Such an event counts at once, and a read places it.
      if (event.position <= this.position + 1) {
        this.accept(event, now);
      } else {
        this.learn(event, now);
        behind = true;
      }
    }
    for (const listener of this.listeners) listener();
    if (behind) void this.catchUp().catch(() => undefined);
  }

  /** Takes one event read from the feed, or carried at the next position. */
  private accept(event: RevocationEvent, now: number): void {
    this.position = Math.max(this.position, event.position);
    this.learn(event, now);
  }

  /** Keeps what the event revokes, for as long as it matters. */
  private learn(event: RevocationEvent, now: number): void {
    const until = event.until.getTime();
    if (until <= now) return;
    switch (event.kind) {
      // A password change refuses no token by itself: the sessions it ends are `family` events.
      case 'credential':
        break;
      case 'family':
      case 'jti':
      case 'client':
        this.remember(event.kind, event.subject, until);
        break;
      case 'user': {
        const known = this.users.get(event.subject);
        if (known === undefined && !this.roomFor('user', event.subject, until)) break;
        this.users.set(event.subject, {
          revokedAt: Math.max(event.createdAt.getTime(), known?.revokedAt ?? 0),
          until: Math.max(until, known?.until ?? 0),
        });
      }
    }
  }

  /**
   * A jti or family revocation this process has just committed, relevant until `until`:
   * known here at once, without waiting for the feed to bring it back (it will, and is
   * then taken again, harmlessly).
   */
  committed(kind: 'jti' | 'family', subject: string, until: Date): void {
    const ms = until.getTime();
    if (ms > this.clock.now()) this.remember(kind, subject, ms);
  }

  /** Keeps `subject` until `until`: exactly, or, when the view is full, in the overflow filter. */
  private remember(kind: 'family' | 'jti' | 'client', subject: string, until: number): void {
    const map = kind === 'family' ? this.families : kind === 'jti' ? this.jtis : this.clients;
    const known = map.get(subject);
    if (known === undefined && !this.roomFor(kind, subject, until)) return;
    map.set(subject, Math.max(until, known ?? 0));
  }

  /** Whether one more exact entry fits; when not, the subject goes to the overflow filter. */
  private roomFor(kind: RevocationEvent['kind'], subject: string, until: number): boolean {
    if (this.size < this.config.revocationViewMaxEntries) return true;
    this.overflow.add(`${kind}:${subject}`, until);
    return false;
  }

  private forgetOld(now: number): void {
    // Memory only: the janitor deletes spent events from the table (src/janitor/).
    if (now - this.lastSweep >= SWEEP_EVERY_MS || now < this.lastSweep) {
      this.lastSweep = now;
      for (const [id, until] of this.families) if (until <= now) this.families.delete(id);
      for (const [id, until] of this.jtis) if (until <= now) this.jtis.delete(id);
      for (const [id, until] of this.clients) if (until <= now) this.clients.delete(id);
      for (const [id, user] of this.users) if (user.until <= now) this.users.delete(id);
      this.overflow.forget(now);
    }
  }
}

function noop(): void {}
