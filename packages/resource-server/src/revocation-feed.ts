import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { Revocation, RevocationView } from './revocation-view.js';
import { SsfClient, type SsfClientOptions, SsfHttpError } from './ssf-client.js';

export interface RevocationFeedOptions extends SsfClientOptions {
  /** the view the resource server consults; marked fresh after every complete poll */
  readonly view: RevocationView;
  /** JWS algorithms accepted on SETs (default ES256, EdDSA, RS256) */
  readonly algorithms?: readonly string[];
  /** called with each error the feed recovers from by itself (default: none) */
  readonly onError?: (error: unknown) => void;
}

const EVENTS = {
  sessionRevoked: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  accountDisabled: 'https://schemas.openid.net/secevent/risc/event-type/account-disabled',
  accessTokenRevoked: 'urn:tessera:secevent:event-type:access-token-revoked',
  clientDeleted: 'urn:tessera:secevent:event-type:client-deleted',
  /** the stream fell behind: Tessera dropped events it never acknowledged */
  eventsLost: 'urn:tessera:secevent:event-type:events-lost',
};
const MAX_BACKOFF_MS = 30_000;

type SetError = { err: string; description: string };

/**
 * Keeps a RevocationView up to date from Tessera's Shared Signals poll stream (RFC 8936,
 * long polling), with this API's client credentials: it creates the stream once, reuses it
 * after a restart, verifies every SET against the JWKS (typ secevent+jwt, iss, aud = its
 * client id) and acknowledges it once applied. While Tessera cannot be reached the view is
 * not marked fresh, so the resource server fails closed after its maxStaleness.
 */
export class RevocationFeed {
  private readonly client: SsfClient;
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private stream: { id: string; endpoint: string; configuration: string } | undefined;
  private lapsed = false;
  private ack: string[] = [];
  private setErrs: Record<string, SetError> = {};
  private running: Promise<void> | undefined;
  private stopped = false;
  private abort = new AbortController();

  constructor(private readonly options: RevocationFeedOptions) {
    this.client = new SsfClient(options);
  }

  /** Starts polling in the background; stop() ends it. */
  start(): void {
    this.stopped = false;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    this.running ??= this.loop().finally(() => (this.running = undefined));
  }

  /** Ends the loop, abandoning a long poll in flight (its events come again next time). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.running;
  }

  /**
   * One poll: applies what it brings to the view and marks the view fresh as of when the
   * poll was sent. Answers whether more events are waiting.
   */
  async pollOnce(returnImmediately = true): Promise<boolean> {
    const sentAt = Date.now();
    const endpoint = await this.streamEndpoint();
    const request = { ack: this.ack, setErrs: this.setErrs, returnImmediately };
    const answer = await this.client.poll(endpoint, request, this.abort.signal).catch((error: unknown) => this.forget(error));
    this.ack = [];
    this.setErrs = {};
    await this.receive(answer.sets);
    if (this.lapsed) return this.resync();
    if (!answer.moreAvailable) this.options.view.markFresh(sentAt);
    return answer.moreAvailable === true;
  }

  /**
   * Told that the stream fell behind (events dropped before this receiver acknowledged
   * them), the view cannot show it is complete: it is stale at once, so the resource server
   * fails closed (or introspects), and the stream is replaced by a new one, which Tessera
   * starts with every revocation whose tokens may still be alive. Answers true: poll again.
   */
  private async resync(): Promise<boolean> {
    this.options.view.markStale();
    const stream = this.stream!;
    this.stream = undefined;
    this.ack = [];
    this.setErrs = {};
    await this.client.deleteStream(stream.configuration, stream.id);
    this.lapsed = false;
    return true;
  }

  /** Verifies and applies SETs; each is acknowledged (or reported as an error) by the next poll. */
  async receive(sets: Record<string, string>): Promise<void> {
    for (const [jti, set] of Object.entries(sets)) {
      try {
        const { payload } = await jwtVerify(set, await this.keys(), {
          typ: 'secevent+jwt',
          issuer: this.options.issuer,
          audience: this.options.clientId,
          algorithms: [...(this.options.algorithms ?? ['ES256', 'EdDSA', 'RS256'])],
        });
        if (payload.jti !== jti) throw new errors.JWTClaimValidationFailed('jti differs from its key', payload, 'jti', 'check_failed');
        if (isObject(payload.events) && EVENTS.eventsLost in payload.events) this.lapsed = true;
        for (const revocation of revocationsOf(payload)) this.options.view.revoke(revocation);
        this.ack.push(jti);
      } catch (error) {
        // Keys that cannot be had (or a kid not seen yet, after a rotation) say nothing about
        // the SET: it stays unacknowledged and comes again, never reported as bad.
        if (!(error instanceof errors.JOSEError) || keysAway(error)) throw error;
        // RFC 8935 §2.3: the error codes a receiver answers a SET with.
        const err = error instanceof errors.JWTClaimValidationFailed ? (error.claim === 'aud' ? 'invalid_audience' : error.claim === 'iss' ? 'invalid_issuer' : 'invalid_request') : 'invalid_key';
        this.setErrs[jti] = { err, description: 'the SET does not verify' };
      }
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        // Catching up (at start, after a failure) does not wait; after that, long polls.
        const more = await this.pollOnce(failures > 0 || !this.stream);
        failures = 0;
        if (more) continue;
      } catch (error) {
        if (this.stopped) return;
        this.options.onError?.(error);
        failures++;
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures, 6))));
      }
    }
  }

  private async streamEndpoint(): Promise<string> {
    if (this.stream) return this.stream.endpoint;
    const metadata = await this.client.metadata();
    this.jwks ??= createRemoteJWKSet(new URL(metadata.jwks_uri));
    const stream = await this.client.stream(metadata.configuration_endpoint);
    this.stream = { ...stream, configuration: metadata.configuration_endpoint };
    return stream.endpoint;
  }

  private async keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (!this.jwks) await this.streamEndpoint();
    return this.jwks!;
  }

  /** A 401 renews the token next time; a 404 (stream deleted) finds or makes a stream again. */
  private forget(error: unknown): never {
    if (error instanceof SsfHttpError && error.status === 401) this.client.dropToken();
    if (error instanceof SsfHttpError && error.status === 404) this.stream = undefined;
    throw error;
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function keysAway(error: errors.JOSEError): boolean {
  return (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    error instanceof errors.JWKSNoMatchingKey ||
    error.code === 'ERR_JOSE_GENERIC'
  );
}

/** What a verified SET refuses: a session, a user or one token, from the time it happened. */
export function revocationsOf(payload: Record<string, unknown>): Revocation[] {
  const events = (payload.events ?? {}) as Record<string, { event_timestamp?: unknown }>;
  const subject = (payload.sub_id ?? {}) as Record<string, unknown>;
  const out: Revocation[] = [];
  for (const [type, event] of Object.entries(events)) {
    const at = typeof event?.event_timestamp === 'number' ? event.event_timestamp : Number(payload.iat);
    if (!Number.isFinite(at)) continue;
    if (type === EVENTS.sessionRevoked) {
      const session = subject.format === 'complex' ? (subject.session as Record<string, unknown> | undefined) : subject;
      if (typeof session?.id === 'string') out.push({ kind: 'sid', value: session.id, at });
    } else if (type === EVENTS.accountDisabled && typeof subject.sub === 'string') {
      out.push({ kind: 'sub', value: subject.sub, at });
    } else if (type === EVENTS.accessTokenRevoked && typeof subject.jti === 'string') {
      out.push({ kind: 'jti', value: subject.jti, at });
    } else if (type === EVENTS.clientDeleted && typeof subject.id === 'string') {
      out.push({ kind: 'client_id', value: subject.id, at });
    }
  }
  return out;
}
