import { Inject, Injectable } from '@nestjs/common';
import { generateAuthenticationOptions, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { LoginThrottle } from '../throttle/login-throttle.service.js';
import type { User } from '../users/user.js';
import { UsersService } from '../users/users.service.js';
import { verifyAssertion } from './passkey-assertion.js';
import { CHALLENGE_SECONDS, type ChallengeBinding, PasskeyChallenges } from './passkey-challenges.service.js';
import { authenticationResponse } from './passkey-response.js';
import { type Passkey, PasskeyStore } from './passkey.js';
import { RELYING_PARTY, type RelyingParty } from './relying-party.js';

/** Why a passkey sign-in was refused: for the audit log only, the page says one thing. */
export type SignInRefusal = 'malformed' | 'challenge' | 'unknown_credential' | 'user_handle' | 'user_disabled' | 'verification' | 'sign_count';

export type SignInResult =
  | { readonly ok: true; readonly user: User; readonly passkey: Passkey }
  | { readonly ok: false; readonly reason: SignInRefusal; readonly userId?: string };

export interface SignInAttempt {
  /** the login form's CSRF cookie: the browser the challenge was issued to */
  readonly formToken: string;
  readonly credential: string | undefined;
  readonly ip: string | undefined;
  readonly clientId?: string;
  readonly deviceCookie?: string;
}

/**
 * Passwordless sign-in with a discoverable credential (WebAuthn §7.2): no username first,
 * the credential names its user. Refused: a challenge not issued to this browser or used
 * already, an unknown credential, a user handle that is not its owner's, a disabled user,
 * any failed check of the assertion (origin, RP ID hash, user verification, signature),
 * and a signature counter that did not grow (§6.1.1: a cloned authenticator).
 * The login throttle applies to the credential's user as to a password.
 */
@Injectable()
export class PasskeySignIn {
  constructor(
    private readonly store: PasskeyStore,
    private readonly challenges: PasskeyChallenges,
    private readonly users: UsersService,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditService,
    @Inject(RELYING_PARTY) private readonly rp: RelyingParty,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async options(formToken: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const challenge = await this.challenges.issue(bindingOf(formToken));
    return generateAuthenticationOptions({
      rpID: this.rp.id,
      challenge: Buffer.from(challenge, 'base64url'),
      timeout: CHALLENGE_SECONDS * 1000,
      userVerification: 'required',
    });
  }

  /** Throws the throttle's 429 while the credential's user must wait. */
  async signIn(attempt: SignInAttempt): Promise<SignInResult> {
    const result = await this.judge(attempt);
    if (!result.ok) {
      await this.audit.record({ type: 'login_failed', userId: result.userId, clientId: attempt.clientId, ip: attempt.ip, details: { method: 'passkey', reason: result.reason } });
    }
    return result;
  }

  private async judge(attempt: SignInAttempt): Promise<SignInResult> {
    const posted = authenticationResponse(attempt.credential);
    if (!posted) return { ok: false, reason: 'malformed' };
    // Spent first, whatever follows: one challenge, one try (§13.4.3).
    if (!(await this.challenges.consume(posted.challenge, bindingOf(attempt.formToken)))) return { ok: false, reason: 'challenge' };
    const { response } = posted;
    const owner = await this.store.findByCredentialId(response.id);
    if (!owner) return { ok: false, reason: 'unknown_credential' };
    const { passkey } = owner;
    const refused = (reason: SignInRefusal): SignInResult => ({ ok: false, reason, userId: passkey.userId });
    // §7.2 step 6: the user handle, when given, must be the credential owner's.
    if (response.response.userHandle !== undefined && Buffer.from(response.response.userHandle, 'base64url').toString('utf8') !== passkey.userId) {
      return refused('user_handle');
    }
    const user = await this.users.findById(passkey.userId);
    if (!user || owner.userDisabled || user.disabledAt) return refused('user_disabled');
    const throttled = { username: user.username, ip: attempt.ip, clientId: attempt.clientId, deviceCookie: attempt.deviceCookie };
    await this.throttle.check(throttled);
    const verdict = await verifyAssertion({ store: this.store, rp: this.rp, clock: this.clock }, response, posted.challenge, passkey, true);
    if (verdict !== 'verified') {
      await this.throttle.failed(throttled);
      return refused(verdict);
    }
    await this.throttle.succeeded(throttled);
    return { ok: true, user, passkey };
  }
}

function bindingOf(formToken: string): ChallengeBinding {
  return { kind: 'authentication', formToken };
}
