import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '../../clients/client.js';
import { CLOCK, type Clock } from '../../common/clock.js';
import { opaqueToken, RANDOM, type Random } from '../../common/random.js';
import { TokenHashers } from '../../common/token-hashers.js';
import { AuthorizationError } from './authorization-error.js';
import type { Parameters } from './authorization-request.js';
import { PushedRequestStore } from './pushed-request.js';

/** RFC 9126 §2.2: the URN prefix of a request_uri Tessera hands out. */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** Long enough to send the browser to /oauth/authorize, short enough to bound a leaked one (RFC 9126 §2.2 example). */
export const PUSHED_REQUEST_TTL_SECONDS = 60;
const REFERENCE = /^[A-Za-z0-9_-]{43}$/;

export interface PushedRequest {
  readonly requestUri: string;
  readonly expiresIn: number;
}

/** Pushed authorization requests: stored at /oauth/par, found again by request_uri at /oauth/authorize. */
@Injectable()
export class PushedRequestsService {
  constructor(
    private readonly store: PushedRequestStore,
    private readonly hashers: TokenHashers,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {}

  async push(client: Client, parameters: Parameters): Promise<PushedRequest> {
    const now = this.clock.now();
    const reference = opaqueToken(this.random);
    await this.store.insert(this.hash(reference), client.id, Object.fromEntries(parameters), new Date(now), new Date(now + PUSHED_REQUEST_TTL_SECONDS * 1000));
    return { requestUri: `${REQUEST_URI_PREFIX}${reference}`, expiresIn: PUSHED_REQUEST_TTL_SECONDS };
  }

  /**
   * The pushed parameters a request_uri stands for, for the client that pushed them.
   * Unknown, tampered, expired, used or another client's: invalid_request_uri, shown on
   * Tessera's page (the redirect URI is among the parameters not found).
   */
  async load(requestUri: string, client: Client): Promise<Parameters> {
    const reference = requestUri.startsWith(REQUEST_URI_PREFIX) ? requestUri.slice(REQUEST_URI_PREFIX.length) : '';
    const found = REFERENCE.test(reference) ? await this.store.find(this.hash(reference), client.id, new Date(this.clock.now())) : undefined;
    if (!found) throw new AuthorizationError('invalid_request_uri', 'the request_uri is unknown, expired or already used');
    return new Map(Object.entries(found));
  }

  /** Once per request_uri: the authorization it carried is being answered. */
  async use(requestUri: string): Promise<boolean> {
    return this.store.use(this.hash(requestUri.slice(REQUEST_URI_PREFIX.length)), new Date(this.clock.now()));
  }

  private hash(reference: string): Buffer {
    return this.hashers.pushedRequest.hash(reference);
  }
}
