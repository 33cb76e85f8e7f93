import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { PeriodicTask } from '../common/periodic-task.js';
import { RANDOM, type Random } from '../common/random.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { Metrics } from '../metrics/metrics.js';
import { isDatabaseUnavailable } from '../persistence/availability.js';
import { RevocationView } from '../sessions/revocation-view.service.js';
import { type BackchannelDelivery, BackchannelLogoutStore } from './backchannel-delivery.js';
import { postLogoutToken, type PostOutcome } from './logout-post.js';
import { logoutTokenClaims } from './logout-token.js';
import { LogoutTokenSigner } from './logout-token.signer.js';

/** The safety poll: retries falling due, and what no revocation event wakes. */
const EVERY_MS = 2_000;
/** Attempts under way in this process, all endpoints together. */
const IN_FLIGHT = 32;
/** Attempts under way in this process to one endpoint: a slow RP never gets a flood. */
const PER_ENDPOINT = 4;
const TIMEOUT_MS = 5_000;
/** A claimed row not settled by then (its process died mid-POST) is due again; well above TIMEOUT_MS. */
const LEASE_MS = 15_000;
const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 30 * 60_000;
/** The queue-depth gauge is refreshed this often, not on every poll. */
const DEPTH_EVERY_MS = 10_000;
const UNREGISTERED: PostOutcome = { kind: 'refused', reason: 'unregistered', error: 'the client no longer registers a backchannel_logout_uri' };

/**
 * Back-Channel Logout 1.0 §2.5 from the outbox (backchannel_logouts), never inside a
 * request. Every revocation writes the feed too, so every process runs when its revocation
 * view reads new events (any process's NOTIFY), and otherwise every 2 s (one probe of an
 * index that is empty unless a logout is owed); it claims due rows with FOR UPDATE SKIP
 * LOCKED, so each attempt is made by one process. 200/204: delivered. Anything else, or no answer within the timeout:
 * tried again after about 2, 4, 8 … s (half of it random, so RPs that were down are not
 * met by every retry at once), at most 30 min apart, until a day after the session ended;
 * then given up, counted and audited. A poll does not wait for the previous one, so a
 * hanging endpoint holds only its own deliveries back.
 */
@Injectable()
export class BackchannelLogoutSender extends PeriodicTask {
  protected readonly logger = new Logger('backchannel-logout');
  protected readonly everyMs = EVERY_MS;
  private readonly busy = new Map<string, number>();
  private inFlight = 0;
  private claiming = false;
  private depthReadAt = -Infinity;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: BackchannelLogoutStore,
    private readonly signer: LogoutTokenSigner,
    private readonly metrics: Metrics,
    private readonly audit: AuditService,
    private readonly view: RevocationView,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {
    super();
  }

  override onApplicationBootstrap(): void {
    super.onApplicationBootstrap();
    this.unsubscribe = this.view.onEvents(() => void this.sweep());
  }

  override onApplicationShutdown(): void {
    super.onApplicationShutdown();
    this.unsubscribe?.();
  }

  /** Claims what is due and attempts it; resolves once those attempts are settled. */
  protected async run(): Promise<number> {
    if (this.claiming) return 0;
    this.claiming = true;
    let claimed: BackchannelDelivery[];
    try {
      const now = this.clock.now();
      await this.refreshDepth(now);
      claimed = await this.store.claim(new Date(now), new Date(now + LEASE_MS), IN_FLIGHT - this.inFlight, PER_ENDPOINT, this.busy);
    } catch (error) {
      // Once a second would be a line per tick: an outage is reported once, by the outage log.
      if (isDatabaseUnavailable(error)) return 0;
      throw error;
    } finally {
      this.claiming = false;
    }
    for (const delivery of claimed) this.take(delivery.endpoint, 1);
    await Promise.all(claimed.map((delivery) => this.attempt(delivery).finally(() => this.take(delivery.endpoint, -1))));
    // A backlog (a user with many sessions) drains without waiting a poll per batch; rows
    // that failed are not due again yet, so this ends.
    return claimed.length === 0 ? 0 : claimed.length + (await this.run());
  }

  private take(endpoint: string, delta: number): void {
    this.inFlight += delta;
    const count = (this.busy.get(endpoint) ?? 0) + delta;
    if (count > 0) this.busy.set(endpoint, count);
    else this.busy.delete(endpoint);
  }

  private async attempt(delivery: BackchannelDelivery): Promise<void> {
    const outcome = delivery.registered ? await this.post(delivery) : UNREGISTERED;
    try {
      await this.settle(delivery, outcome);
    } catch (error) {
      // Unsettled, the row comes due again when its lease ends: sent twice, never lost.
      this.logger.warn(`cannot record the back-channel logout ${delivery.jti}: ${(error as Error).message}`);
    }
  }

  private post(delivery: BackchannelDelivery): Promise<PostOutcome> {
    const token = this.signer.sign(logoutTokenClaims(delivery, this.config.issuer, Math.floor(this.clock.now() / 1000)));
    return postLogoutToken(delivery.endpoint, token, {
      timeoutMs: TIMEOUT_MS,
      publicOnly: this.config.production && !this.config.backchannelAllowPrivateNetworks,
    });
  }

  private async settle(delivery: BackchannelDelivery, outcome: PostOutcome): Promise<void> {
    const now = this.clock.now();
    if (outcome.kind === 'delivered') {
      await this.store.delivered(delivery.id, new Date(now));
      this.metrics.backchannelDelivery('delivered');
      return;
    }
    const error = outcome.kind === 'timeout' ? `no answer within ${TIMEOUT_MS} ms` : outcome.error;
    const retryAt = now + this.backoff(delivery.attempts);
    if (outcome.kind !== 'refused' && retryAt < delivery.giveUpAt.getTime()) {
      await this.store.retryAt(delivery.id, new Date(retryAt), error);
      this.metrics.backchannelDelivery(outcome.kind === 'timeout' ? 'timeout' : 'retried');
      return;
    }
    if (!(await this.store.giveUp(delivery.id, new Date(now), error))) return;
    this.metrics.backchannelDelivery(outcome.kind === 'refused' ? 'refused' : 'expired');
    this.logger.warn(`gave up the back-channel logout ${delivery.jti} to client ${delivery.clientId}: ${error}`);
    await this.audit.record({
      type: 'backchannel_logout_failed',
      actor: 'system',
      clientId: delivery.clientId,
      userId: delivery.subject,
      reason: outcome.kind === 'refused' ? outcome.reason : 'expired',
      details: { jti: delivery.jti, sid: delivery.sid, attempts: delivery.attempts, error },
    });
  }

  /** Exponential with equal jitter: between half and all of 2 s × 2^(attempts-1), capped. */
  private backoff(attempts: number): number {
    const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(attempts - 1, 20));
    const fraction = this.random.bytes(2).readUInt16BE(0) / 0xffff;
    return Math.round(ceiling / 2 + (ceiling / 2) * fraction);
  }

  private async refreshDepth(now: number): Promise<void> {
    if (now - this.depthReadAt < DEPTH_EVERY_MS && now >= this.depthReadAt) return;
    this.depthReadAt = now;
    this.metrics.backchannelQueueDepth(await this.store.depth());
  }
}
