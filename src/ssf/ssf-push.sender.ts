import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { PeriodicTask } from '../common/periodic-task.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { isDatabaseUnavailable } from '../persistence/availability.js';
import { RevocationView } from '../sessions/revocation-view.service.js';
import { PushAuthorization } from './push-authorization.js';
import { queuedSecurityEvent } from './queued-set.js';
import { eventsLostSecurityEvent, verificationSecurityEvent } from './security-event.js';
import { SecurityEventSigner } from './security-event.signer.js';
import { type PushClaim, type SsfStream, SsfStreamStore } from './ssf-stream.js';

/**
 * The safety poll: what no revocation wakes (a retry falling due in another process, a
 * push stream or verification request made by another process) waits at most this long.
 */
const EVERY_MS = 5_000;
const BATCH = 50;
/** A claimed push not settled by then (its sender died) is due again. */
const LEASE_MS = 60_000;
const MAX_BACKOFF_MS = 10 * 60_000;
const TIMEOUT_MS = 10_000;

type Outcome = 'delivered' | 'refused' | 'failed';

/**
 * RFC 8935 push delivery from the outbox (ssf_stream_events): never inside a request; any
 * number of processes, each claiming with FOR UPDATE SKIP LOCKED. 2xx: delivered. 400: the
 * receiver refused the SET itself (§2.3), which sending again cannot change: dropped and
 * logged. Anything else, or no answer: tried again after 1, 2, 4 … s, at most 10 min apart,
 * while any token the event concerns can be alive.
 *
 * It runs when the revocation view reads new feed events (the NOTIFY of any process, or the
 * view's own poll) and when this process changes a stream; otherwise on the slow safety
 * poll. Without an enabled push stream (known from the last run) a wake-up costs nothing.
 */
@Injectable()
export class SsfPushSender extends PeriodicTask {
  protected readonly logger = new Logger('ssf-push');
  protected readonly everyMs = EVERY_MS;
  private readonly authorization: PushAuthorization;
  /** whether an enabled push stream existed at the last run; undefined: not known */
  private pushStreams: boolean | undefined;
  private waking: Promise<void> | undefined;
  private again = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly store: SsfStreamStore,
    private readonly signer: SecurityEventSigner,
    private readonly view: RevocationView,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
    this.authorization = new PushAuthorization(config.keyEncryptionSecret);
  }

  override onApplicationBootstrap(): void {
    super.onApplicationBootstrap();
    this.stopped = false;
    this.unsubscribe = this.view.onEvents(() => this.wake());
  }

  override onApplicationShutdown(): void {
    super.onApplicationShutdown();
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.retryTimer);
  }

  /** A stream of this process was created or changed: push streams are looked for again, now. */
  streamsChanged(): void {
    this.pushStreams = undefined;
    this.wake();
  }

  /** Runs now, never twice at once in this process; a wake-up during a run runs once more after it. */
  wake(): void {
    if (this.pushStreams === false) return;
    if (this.waking) {
      this.again = true;
      return;
    }
    this.waking = (async () => {
      do {
        this.again = false;
        // A full batch: more may be due at once.
        if ((await this.sweep()) >= BATCH) this.again = true;
      } while (this.again);
    })().finally(() => (this.waking = undefined));
  }

  /** Resolves when no wake-up is running (tests, and a clean shutdown). */
  async idle(): Promise<void> {
    await this.waking;
  }

  protected async run(): Promise<number> {
    try {
      this.pushStreams = await this.store.hasPushStreams();
      if (!this.pushStreams) return 0;
      const now = this.clock.now();
      const claims = await this.store.claimPushes(new Date(now), new Date(now + LEASE_MS), BATCH);
      const settled = await Promise.all(claims.map((claim) => this.push(claim, now)));
      return settled.length + (await this.verifications());
    } catch (error) {
      // Twice a second would be a line per tick: an outage is reported once, by the outage log.
      if (isDatabaseUnavailable(error)) return 0;
      throw error;
    }
  }

  private async push(claim: PushClaim, now: number): Promise<void> {
    const stream = { id: claim.streamId, audience: claim.audience, eventsRequested: claim.eventsRequested };
    const set = queuedSecurityEvent(claim, stream, this.config.issuer, new Date(now));
    const outcome = set ? await this.send(claim.streamId, claim.endpointUrl, claim.authorizationHeaderSealed, this.signer.sign(set)) : 'refused';
    if (outcome === 'failed') {
      const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(claim.attempts - 1, 20));
      await this.store.retryPushAt(claim.streamId, claim.id, new Date(now + backoff));
      this.retryIn(backoff);
      return;
    }
    if (outcome === 'refused' && set) this.logger.warn(`stream ${claim.streamId}: the receiver refused SET ${set.jti}`);
    await this.store.acknowledge(claim.streamId, [claim.id]);
  }

  /** A retry sooner than the safety poll is woken for; a later one waits for the poll. */
  private retryIn(ms: number): void {
    if (ms >= EVERY_MS || this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.wake();
    }, ms);
    this.retryTimer.unref();
  }

  /**
   * SSF 1.0 §8.1.4: a requested verification event, and an events-lost notice, each sent
   * until the receiver takes it.
   */
  private async verifications(): Promise<number> {
    const streams = await this.store.pushVerifications();
    for (const stream of streams) {
      if (stream.verificationJti !== null) await this.verify(stream);
      if (stream.lapseJti !== null) await this.lapse(stream);
    }
    return streams.length;
  }

  private async lapse(stream: SsfStream): Promise<void> {
    const jti = stream.lapseJti!;
    const claims = eventsLostSecurityEvent(stream.id, stream.eventsLost, { issuer: this.config.issuer, audience: stream.audience, jti, issuedAt: new Date(this.clock.now()) });
    if ((await this.send(stream.id, stream.endpointUrl!, stream.authorizationHeaderSealed, this.signer.sign(claims))) !== 'failed') {
      await this.store.acknowledgeLapse(stream.id, jti);
    }
  }

  private async verify(stream: SsfStream): Promise<void> {
    const jti = stream.verificationJti!;
    const claims = verificationSecurityEvent(stream.id, stream.verificationState ?? undefined, {
      issuer: this.config.issuer,
      audience: stream.audience,
      jti,
      issuedAt: new Date(this.clock.now()),
    });
    if ((await this.send(stream.id, stream.endpointUrl!, stream.authorizationHeaderSealed, this.signer.sign(claims))) !== 'failed') {
      await this.store.acknowledgeVerification(stream.id, jti);
    }
  }

  /** RFC 8935 §2: one SET per POST, application/secevent+jwt; redirects are not followed. */
  private async send(streamId: string, endpoint: string, sealed: Buffer | null, set: string): Promise<Outcome> {
    const headers: Record<string, string> = { 'content-type': 'application/secevent+jwt', accept: 'application/json' };
    if (sealed) {
      const header = this.authorization.open(streamId, sealed);
      if (header === undefined) return 'failed';
      headers.authorization = header;
    }
    try {
      const response = await fetch(endpoint, { method: 'POST', headers, body: set, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) return 'delivered';
      return response.status === 400 ? 'refused' : 'failed';
    } catch {
      return 'failed';
    }
  }
}
