import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { PeriodicTask } from '../common/periodic-task.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { isDatabaseUnavailable } from '../persistence/availability.js';
import { PushAuthorization } from './push-authorization.js';
import { queuedSecurityEvent } from './queued-set.js';
import { eventsLostSecurityEvent, verificationSecurityEvent } from './security-event.js';
import { SecurityEventSigner } from './security-event.signer.js';
import { type PushClaim, type SsfStream, SsfStreamStore } from './ssf-stream.js';

const EVERY_MS = 500;
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
 */
@Injectable()
export class SsfPushSender extends PeriodicTask {
  protected readonly logger = new Logger('ssf-push');
  protected readonly everyMs = EVERY_MS;
  private readonly authorization: PushAuthorization;

  constructor(
    private readonly store: SsfStreamStore,
    private readonly signer: SecurityEventSigner,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
    this.authorization = new PushAuthorization(config.keyEncryptionSecret);
  }

  protected async run(): Promise<number> {
    try {
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
      return;
    }
    if (outcome === 'refused' && set) this.logger.warn(`stream ${claim.streamId}: the receiver refused SET ${set.jti}`);
    await this.store.acknowledge(claim.streamId, [claim.id]);
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
