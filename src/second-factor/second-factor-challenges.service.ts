import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { opaqueToken, RANDOM, type Random } from '../common/random.js';
import { TokenHashers } from '../common/token-hashers.js';
import { authenticationMethods } from '../interaction/authentication-methods.js';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { PasskeySecondFactor } from '../passkeys/passkey-second-factor.service.js';
import { type SecondFactorChallenge, SecondFactorStore } from './second-factor.js';
import { type SecondFactors, SecondFactorService } from './second-factor.service.js';

/** Long enough to open an app and type six digits, short enough that a forgotten tab is dead. */
export const CHALLENGE_TTL_SECONDS = 5 * 60;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface BegunChallenge {
  /** the cookie's value, never stored */
  readonly token: string;
  readonly maxAge: number;
}

/** What the second step's post answers with: a typed code, or a passkey's assertion (JSON). */
export type SecondFactorAnswer = { readonly code: string | undefined } | { readonly credential: string | undefined; readonly ip: string | undefined };

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
    private readonly passkeys: PasskeySecondFactor,
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
    return (await this.find(token)) !== undefined;
  }

  /** The factors the user of this cookie's live challenge can answer with (what the step page offers). */
  async factorsOf(token: string | undefined): Promise<SecondFactors | undefined> {
    const live = await this.find(token);
    return live && this.factors.factorsOf(live.challenge.userId);
  }

  /** WebAuthn options for this cookie's live challenge: its user's passkeys; undefined when there is none to ask. */
  async passkeyOptions(token: string | undefined): Promise<PublicKeyCredentialRequestOptionsJSON | undefined> {
    const live = await this.find(token);
    return live && this.passkeys.options(live.challenge.userId, live.token);
  }

  /** The code typed, or the passkey's answer, for the challenge of this cookie; proven uses the challenge up. */
  async complete(token: string | undefined, answer: SecondFactorAnswer): Promise<ChallengeOutcome> {
    const live = await this.find(token);
    if (!live) return { kind: 'expired' };
    const { userId } = live.challenge;
    const check = 'credential' in answer
      ? await this.factors.checkPasskey(userId, live.token, answer.credential, answer.ip)
      : await this.factors.check(userId, answer.code);
    if (check.kind !== 'accepted') return check;
    // Two posts of one challenge with two good answers: one login.
    const used = await this.store.useChallenge(live.hash, new Date(this.clock.now()));
    if (!used) return { kind: 'expired' };
    const method = check.method === 'recovery' ? 'otp' : check.method;
    return { kind: 'proven', userId: used.userId, loginSessionId: used.loginSessionId, amr: authenticationMethods([...used.methods, method]) };
  }

  private async find(token: string | undefined): Promise<{ token: string; hash: Buffer; challenge: SecondFactorChallenge } | undefined> {
    if (token === undefined || !TOKEN.test(token)) return undefined;
    const hash = this.hashers.secondFactorChallenge.hash(token);
    const challenge = await this.store.findChallenge(hash, new Date(this.clock.now()));
    return challenge && { token, hash, challenge };
  }
}
