import type { FeedRevocation } from './security-event.js';

export type StreamStatus = 'enabled' | 'paused' | 'disabled';

/** An SSF 1.0 §8.1.1 event stream, as stored. */
export interface SsfStream {
  /** SSF 1.0 §8.1.1 stream_id: random, URL-safe */
  readonly id: string;
  /** the receiver: a client with the introspect permission */
  readonly clientId: string;
  /** the `aud` of its SETs */
  readonly audience: string;
  readonly deliveryMethod: string;
  /** push: the receiver's endpoint; poll: null (the transmitter's endpoint is derived) */
  readonly endpointUrl: string | null;
  /** push: the Authorization header to send, sealed at rest */
  readonly authorizationHeaderSealed: Buffer | null;
  /** null: the receiver asked for nothing in particular */
  readonly eventsRequested: readonly string[] | null;
  readonly description: string | null;
  readonly status: StreamStatus;
  readonly statusReason: string | null;
  /** a verification event waiting for delivery (SSF 1.0 §8.1.4.2): its jti, and the state to echo */
  readonly verificationJti: string | null;
  readonly verificationState: string | null;
  /** an events-lost notice waiting for delivery (the janitor dropped events the stream never acknowledged) */
  readonly lapseJti: string | null;
  /** how many events it missed since the receiver last acknowledged such a notice */
  readonly eventsLost: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A queued revocation of one stream (the outbox row joined with its feed row). */
export interface QueuedRevocation extends FeedRevocation {
  readonly streamId: string;
}

export interface QueuedPage {
  readonly events: QueuedRevocation[];
  /** RFC 8936 §2.4 moreAvailable */
  readonly more: boolean;
}

/** A queued revocation claimed for push delivery, with what sending it needs. */
export interface PushClaim extends QueuedRevocation {
  /** this one included */
  readonly attempts: number;
  readonly audience: string;
  readonly endpointUrl: string;
  readonly authorizationHeaderSealed: Buffer | null;
  readonly eventsRequested: readonly string[] | null;
}

/**
 * Streams and their outbox (migration SsfStreams). Revocations are queued by the database
 * itself, in the transaction that writes the feed row. Owned by ssf/; implemented in persistence/.
 */
export abstract class SsfStreamStore {
  /**
   * Creates the stream and queues every revocation still relevant at `now`, in one
   * transaction that no revocation can slip past. False (nothing created) when the client
   * already has `maxPerClient` streams.
   */
  abstract create(stream: SsfStream, now: Date, maxPerClient: number): Promise<boolean>;

  /** The stream, only if `clientId` owns it: another client's stream id is unknown. */
  abstract find(id: string, clientId: string): Promise<SsfStream | undefined>;

  abstract listByClient(clientId: string): Promise<SsfStream[]>;

  /** Writes every mutable member; false when the stream is gone. */
  abstract update(stream: SsfStream): Promise<boolean>;

  abstract delete(id: string, clientId: string): Promise<boolean>;

  /**
   * The oldest queued revocations of a stream that can still concern a live token, at
   * most `limit`, each family with the user whose session it was (while that is known).
   */
  abstract queued(streamId: string, limit: number, now: Date): Promise<QueuedPage>;

  /** Sets (or replaces) the verification event waiting on the stream. */
  abstract requestVerification(id: string, clientId: string, jti: string, state: string | null): Promise<boolean>;

  /** Forgets the waiting verification event once acknowledged, if it is still that one. */
  abstract acknowledgeVerification(id: string, jti: string): Promise<boolean>;

  /**
   * Claims up to `limit` due events of enabled push streams, oldest first, skipping those
   * another sender holds: each counts one more attempt and is not due again before
   * `leaseUntil` unless rescheduled, so a sender that dies mid-send is retried then.
   */
  abstract claimPushes(now: Date, leaseUntil: Date, limit: number): Promise<PushClaim[]>;

  /** When a failed push is tried again. */
  abstract retryPushAt(streamId: string, eventId: number, at: Date): Promise<void>;

  /** Whether any enabled push stream exists: none, and the push sender has nothing to do. */
  abstract hasPushStreams(): Promise<boolean>;

  /** Enabled push streams with a verification event or an events-lost notice waiting. */
  abstract pushVerifications(): Promise<SsfStream[]>;

  /** Forgets the events-lost notice once acknowledged, if it is still that one (a newer lapse keeps its own). */
  abstract acknowledgeLapse(id: string, jti: string): Promise<boolean>;

  /** Removes acknowledged events (RFC 8936 §2.4 ack); answers how many were queued. */
  abstract acknowledge(streamId: string, eventIds: readonly number[]): Promise<number>;
}
