import { Inject, Injectable, Optional } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { RANDOM, type Random } from '../common/random.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { PushAuthorization } from './push-authorization.js';
import { DELIVERY_METHODS } from './ssf-configuration.js';
import type { SsfStream } from './ssf-stream.js';
import { SsfStreamStore } from './ssf-stream.js';
import { SsfPushSender } from './ssf-push.sender.js';
import { type Delivery, pushEndpointProblem, type StatusChange, type StreamChange, type StreamCreate, type VerificationRequest } from './ssf.schemas.js';
import { eventsDelivered, streamConfiguration, streamStatus } from './stream-configuration.js';
import { EVENTS_SUPPORTED } from './security-event.js';

/** Streams one receiver may hold: enough for blue/green deployments, not a way to fill the outbox. */
export const MAX_STREAMS_PER_CLIENT = 10;

type View = Record<string, unknown>;

/**
 * SSF 1.0 §8.1 stream management for a receiver, i.e. a client with the introspect
 * permission, authenticated by the caller. A stream id of another client is unknown (404),
 * never forbidden: stream ids are not to be probed.
 */
@Injectable()
export class SsfStreamsService {
  private readonly pushAuthorization: PushAuthorization;

  constructor(
    private readonly store: SsfStreamStore,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
    /** told of every change, so that a push stream's backfill or verification goes out at once */
    @Optional() private readonly pushSender?: SsfPushSender,
  ) {
    this.pushAuthorization = new PushAuthorization(config.keyEncryptionSecret);
  }

  /** §8.1.1.1: without delivery, poll; the stream starts with every relevant revocation. */
  async create(clientId: string, input: StreamCreate): Promise<View> {
    const now = new Date(this.clock.now());
    const id = this.random.bytes(16).toString('base64url');
    const stream: SsfStream = {
      id,
      clientId,
      audience: clientId,
      ...this.delivery(id, input.delivery),
      eventsRequested: input.events_requested ?? null,
      description: input.description ?? null,
      status: 'enabled',
      statusReason: null,
      verificationJti: null,
      lapseJti: null,
      eventsLost: 0,
      verificationState: null,
      createdAt: now,
      updatedAt: now,
    };
    const created = await this.store.create(stream, now, MAX_STREAMS_PER_CLIENT);
    this.pushSender?.streamsChanged();
    if (!created) {
      throw OAuthError.invalidRequest(`a client may hold at most ${MAX_STREAMS_PER_CLIENT} streams`);
    }
    return streamConfiguration(this.config.issuer, stream);
  }

  /** §8.1.1.2: one stream, or every stream of the receiver. */
  async read(clientId: string, streamId: string | undefined): Promise<View | View[]> {
    if (streamId !== undefined) return streamConfiguration(this.config.issuer, await this.owned(clientId, streamId));
    return (await this.store.listByClient(clientId)).map((stream) => streamConfiguration(this.config.issuer, stream));
  }

  /** §8.1.1.3 PATCH (`replace` false) and §8.1.1.4 PUT (`replace` true). */
  async change(clientId: string, input: StreamChange, replace: boolean): Promise<View> {
    const stream = await this.owned(clientId, input.stream_id);
    this.checkEchoes(stream, input);
    const changed: SsfStream = {
      ...stream,
      ...(replace || input.delivery ? this.delivery(stream.id, input.delivery) : {}),
      eventsRequested: replace ? (input.events_requested ?? null) : (input.events_requested ?? stream.eventsRequested),
      description: replace ? (input.description ?? null) : (input.description ?? stream.description),
      updatedAt: new Date(this.clock.now()),
    };
    if (!(await this.store.update(changed))) throw unknownStream();
    this.pushSender?.streamsChanged();
    return streamConfiguration(this.config.issuer, changed);
  }

  /** §8.1.1.5 */
  async delete(clientId: string, streamId: string): Promise<void> {
    if (!(await this.store.delete(streamId, clientId))) throw unknownStream();
  }

  /** §8.1.2.1 */
  async status(clientId: string, streamId: string): Promise<View> {
    return streamStatus(await this.owned(clientId, streamId));
  }

  /**
   * §8.1.2.2. Paused: events are held for later. Disabled: nothing is held, and what was
   * queued is dropped (a receiver that enables it again starts from then).
   */
  async setStatus(clientId: string, input: StatusChange): Promise<View> {
    const stream = await this.owned(clientId, input.stream_id);
    const changed: SsfStream = { ...stream, status: input.status, statusReason: input.reason ?? null, updatedAt: new Date(this.clock.now()) };
    if (!(await this.store.update(changed))) throw unknownStream();
    this.pushSender?.streamsChanged();
    if (input.status === 'disabled') await this.dropQueued(stream.id);
    return streamStatus(changed);
  }

  /** §8.1.4.2: the verification event goes out on the stream, with the receiver's state. */
  async requestVerification(clientId: string, input: VerificationRequest): Promise<void> {
    const jti = `${input.stream_id}.verify-${this.random.bytes(9).toString('base64url')}`;
    if (!(await this.store.requestVerification(input.stream_id, clientId, jti, input.state ?? null))) throw unknownStream();
    this.pushSender?.streamsChanged();
  }

  /** Poll, or push to an https endpoint (http to loopback outside production), RFC 8935 §2. */
  private delivery(streamId: string, input: Delivery | undefined): Pick<SsfStream, 'deliveryMethod' | 'endpointUrl' | 'authorizationHeaderSealed'> {
    if (input === undefined || input.method === DELIVERY_METHODS.poll) {
      return { deliveryMethod: DELIVERY_METHODS.poll, endpointUrl: null, authorizationHeaderSealed: null };
    }
    const endpoint = input.endpoint_url!;
    const problem = pushEndpointProblem(endpoint, this.config.production);
    if (problem) throw OAuthError.invalidRequest(problem);
    const header = input.authorization_header;
    return {
      deliveryMethod: DELIVERY_METHODS.push,
      endpointUrl: endpoint,
      authorizationHeaderSealed: header === undefined ? null : this.pushAuthorization.seal(streamId, header),
    };
  }

  private async owned(clientId: string, streamId: string): Promise<SsfStream> {
    const stream = await this.store.find(streamId, clientId);
    if (!stream) throw unknownStream();
    return stream;
  }

  /** §8.1.1.3-4: transmitter-supplied members may be echoed, but must match. */
  private checkEchoes(stream: SsfStream, input: StreamChange): void {
    const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((value) => b.includes(value));
    const mismatched = [
      input.iss !== undefined && input.iss !== this.config.issuer ? 'iss' : undefined,
      input.aud !== undefined && !same([input.aud].flat(), [stream.audience]) ? 'aud' : undefined,
      input.events_supported !== undefined && !same(input.events_supported, EVENTS_SUPPORTED) ? 'events_supported' : undefined,
      input.events_delivered !== undefined && !same(input.events_delivered, eventsDelivered(stream)) ? 'events_delivered' : undefined,
    ].filter((name) => name !== undefined);
    if (mismatched.length > 0) throw OAuthError.invalidRequest(`${mismatched.join(', ')}: set by the transmitter, and not to this value`);
  }

  private async dropQueued(streamId: string): Promise<void> {
    for (;;) {
      const { events } = await this.store.queued(streamId, 1000, new Date(0));
      if (events.length === 0) return;
      await this.store.acknowledge(streamId, events.map((event) => event.id));
    }
  }
}

function unknownStream(): OAuthError {
  return new OAuthError('not_found', 'no such stream');
}
