import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { opaqueToken, RANDOM, type Random } from '../common/random.js';
import { TokenHashers } from '../common/token-hashers.js';
import { authenticationMethods } from '../interaction/authentication-methods.js';
import { SecondFactorStore } from './second-factor.js';
import { SecondFactorService } from './second-factor.service.js';

/** Long enough to open an app and type six digits, short enough that a forgotten tab is dead. */
export const CHALLENGE_TTL_SECONDS = 5 * 60;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface BegunChallenge {
  /** the cookie's value, never stored */
  readonly token: string;
  readonly maxAge: number;
}

export type ChallengeOutcome =
  /** both factors proven: `amr` is what the login session records (RFC 8176) */
  | { readonly kind: 'proven'; readonly userId: string; readonly loginSessionId: string | null; readonly amr: readonly string[] }
  | { readonly kind: 'wrong' }
  | { readonly kind: 'throttled'; readonly retryAfter: number }
  /** no live challenge for this cookie: the password must be entered again */
  | { readonly kind: 'expired' };

/**
 * The state between a proven password and the second factor. It is a row bound to the
 * browser by a random cookie (kept only as its keyed hash), to one user, and for a step-up
 * to one login session; it opens nothing but the second step, and is used once.
 */
@Injectable()
export class SecondFactorChallenges {
  constructor(
    private readonly store: SecondFactorStore,
    private readonly factors: SecondFactorService,
    private readonly hashers: TokenHashers,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {}

  /** `methods`: what the user proved so far (['pwd']); `loginSessionId`: the session a step-up adds to. */
  async begin(userId: string, methods: readonly string[], loginSessionId?: string): Promise<BegunChallenge> {
    const now = this.clock.now();
    const token = opaqueToken(this.random);
    await this.store.insertChallenge(
      this.hashers.secondFactorChallenge.hash(token),
      { userId, loginSessionId: loginSessionId ?? null, methods, expiresAt: new Date(now + CHALLENGE_TTL_SECONDS * 1000) },
      new Date(now),
    );
    return { token, maxAge: CHALLENGE_TTL_SECONDS };
  }

  /** Whether the cookie stands for a live challenge (the page is shown only then). */
  async live(token: string | undefined): Promise<boolean> {
    if (token === undefined || !TOKEN.test(token)) return false;
    return (await this.store.findChallenge(this.hashers.secondFactorChallenge.hash(token), new Date(this.clock.now()))) !== undefined;
  }

  /** The code typed for the challenge of this cookie; proven uses the challenge up. */
  async complete(token: string | undefined, code: string | undefined): Promise<ChallengeOutcome> {
    if (token === undefined || !TOKEN.test(token)) return { kind: 'expired' };
    const hash = this.hashers.secondFactorChallenge.hash(token);
    const challenge = await this.store.findChallenge(hash, new Date(this.clock.now()));
    if (!challenge) return { kind: 'expired' };
    const check = await this.factors.check(challenge.userId, code);
    if (check.kind !== 'accepted') return check;
    // Two posts of one challenge with two good codes: one login.
    const used = await this.store.useChallenge(hash, new Date(this.clock.now()));
    if (!used) return { kind: 'expired' };
    return { kind: 'proven', userId: used.userId, loginSessionId: used.loginSessionId, amr: authenticationMethods([...used.methods, 'otp']) };
  }
}
