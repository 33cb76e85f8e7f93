import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { CLOCK, type Clock } from '../common/clock.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { queuedSecurityEvent } from './queued-set.js';
import { eventsLostSecurityEvent, type SetEnvelope, verificationSecurityEvent } from './security-event.js';
import { SecurityEventSigner } from './security-event.signer.js';
import { type SsfStream, SsfStreamStore } from './ssf-stream.js';
import type { PollRequest } from './ssf.schemas.js';

/** RFC 8936 §2.4: how long a poll without returnImmediately is held, and how often it looks. */
export const LONG_POLL_MS = 10_000;
const LOOK_EVERY_MS = 250;
const DEFAULT_MAX_EVENTS = 100;

export interface PollResponse {
  sets: Record<string, string>;
  moreAvailable?: boolean;
}

/**
 * RFC 8936 poll delivery: acknowledgements and errors first, then the stream's queued
 * revocations as signed SETs, oldest first. A SET's jti is `<stream id>.<feed id>`, so a
 * SET delivered again (not acknowledged yet) keeps its jti and receivers deduplicate by it.
 */
@Injectable()
export class SsfPollService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('ssf');
  private stopping = false;

  constructor(
    private readonly store: SsfStreamStore,
    private readonly signer: SecurityEventSigner,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  beforeApplicationShutdown(): void {
    // Before the server waits for its requests: held polls answer with what they have, so a
    // shutdown does not wait LONG_POLL_MS for them.
    this.stopping = true;
  }

  async poll(clientId: string, streamId: string, request: PollRequest): Promise<PollResponse> {
    let stream = await this.owned(clientId, streamId);
    // A notice just acknowledged is not sent again in this very answer.
    if (await this.settle(stream, request)) stream = await this.owned(clientId, streamId);
    const max = request.maxEvents ?? DEFAULT_MAX_EVENTS;
    if (max === 0) return { sets: {} };
    // A rate limit of the wait, not a domain time: the injected clock may stand still.
    const deadline = performance.now() + (request.returnImmediately === false ? LONG_POLL_MS : 0);
    for (;;) {
      const response = await this.collect(stream, max);
      if (Object.keys(response.sets).length > 0 || this.stopping || performance.now() + LOOK_EVERY_MS > deadline) return response;
      await sleep(LOOK_EVERY_MS);
      stream = await this.owned(clientId, streamId);
    }
  }

  /**
   * §2.4: acknowledged SETs are done with; so are SETs the receiver could not process.
   * Answers whether a verification event or an events-lost notice was among them.
   */
  private async settle(stream: SsfStream, request: PollRequest): Promise<boolean> {
    const errors = Object.entries(request.setErrs ?? {});
    for (const [jti, error] of errors) {
      this.logger.warn(`stream ${stream.id}: the receiver refused SET ${jti}: ${error.err}${error.description ? ` (${error.description})` : ''}`);
    }
    const done = [...(request.ack ?? []), ...errors.map(([jti]) => jti)];
    const verified = stream.verificationJti !== null && done.includes(stream.verificationJti);
    if (verified) await this.store.acknowledgeVerification(stream.id, stream.verificationJti);
    const told = stream.lapseJti !== null && done.includes(stream.lapseJti);
    if (told) await this.store.acknowledgeLapse(stream.id, stream.lapseJti);
    await this.store.acknowledge(stream.id, done.map((jti) => feedId(stream.id, jti)).filter((id) => id !== undefined));
    return verified || told;
  }

  /** A paused stream holds its events; a disabled one has none. */
  private async collect(stream: SsfStream, max: number): Promise<PollResponse> {
    if (stream.status !== 'enabled') return { sets: {} };
    const now = new Date(this.clock.now());
    const envelope = (jti: string): SetEnvelope => ({ issuer: this.config.issuer, audience: stream.audience, jti, issuedAt: now });
    const sets: Record<string, string> = {};
    if (stream.verificationJti !== null) {
      const claims = verificationSecurityEvent(stream.id, stream.verificationState ?? undefined, envelope(stream.verificationJti));
      sets[stream.verificationJti] = this.signer.sign(claims);
    }
    // First, before anything queued: the receiver learns that its state is incomplete.
    if (stream.lapseJti !== null) sets[stream.lapseJti] = this.signer.sign(eventsLostSecurityEvent(stream.id, stream.eventsLost, envelope(stream.lapseJti)));
    const room = max - Object.keys(sets).length;
    if (room <= 0) return { sets, moreAvailable: true };
    const page = await this.store.queued(stream.id, room, now);
    const dropped: number[] = [];
    for (const event of page.events) {
      const claims = queuedSecurityEvent(event, stream, this.config.issuer, now);
      if (claims) sets[claims.jti] = this.signer.sign(claims);
      else dropped.push(event.id);
    }
    // Events of a type the receiver did not ask for (or of a kind no SET announces yet) are
    // done with as soon as they are seen, so they never hold a page.
    await this.store.acknowledge(stream.id, dropped);
    return page.more ? { sets, moreAvailable: true } : { sets };
  }

  private async owned(clientId: string, streamId: string): Promise<SsfStream> {
    const stream = await this.store.find(streamId, clientId);
    if (!stream) throw new OAuthError('not_found', 'no such stream');
    return stream;
  }
}

/** The feed id in a jti of this stream; undefined for anything else (ignored, as RFC 8936 allows). */
function feedId(streamId: string, jti: string): number | undefined {
  const prefix = `${streamId}.`;
  if (!jti.startsWith(prefix)) return undefined;
  const rest = jti.slice(prefix.length);
  return /^\d{1,15}$/.test(rest) ? Number(rest) : undefined;
}
