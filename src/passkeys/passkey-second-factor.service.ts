import { Inject, Injectable } from '@nestjs/common';
import { generateAuthenticationOptions, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { CLOCK, type Clock } from '../common/clock.js';
import { verifyAssertion } from './passkey-assertion.js';
import { CHALLENGE_SECONDS, type ChallengeBinding, PasskeyChallenges } from './passkey-challenges.service.js';
import { authenticationResponse } from './passkey-response.js';
import { type Passkey, PasskeyStore } from './passkey.js';
import { RELYING_PARTY, type RelyingParty } from './relying-party.js';

/**
 * A passkey as the second factor after a proven password (WebAuthn §7.2 with a known user):
 * the options list that user's credentials only, and the WebAuthn challenge is bound to the
 * pending second-factor challenge (its cookie), so it verifies that login and no other, once.
 * User verification is preferred, not required: the password is the knowledge factor here.
 */
@Injectable()
export class PasskeySecondFactor {
  constructor(
    private readonly store: PasskeyStore,
    private readonly challenges: PasskeyChallenges,
    @Inject(RELYING_PARTY) private readonly rp: RelyingParty,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async has(userId: string): Promise<boolean> {
    return (await this.store.listOfUser(userId)).length > 0;
  }

  /** Undefined when the user has no passkey to offer. */
  async options(userId: string, challengeToken: string): Promise<PublicKeyCredentialRequestOptionsJSON | undefined> {
    const passkeys = await this.store.listOfUser(userId);
    if (passkeys.length === 0) return undefined;
    const challenge = await this.challenges.issue(bindingOf(challengeToken));
    return generateAuthenticationOptions({
      rpID: this.rp.id,
      challenge: Buffer.from(challenge, 'base64url'),
      timeout: CHALLENGE_SECONDS * 1000,
      allowCredentials: passkeys.map((passkey) => ({ id: passkey.credentialId, transports: [...passkey.transports] })),
      userVerification: 'preferred',
    });
  }

  /**
   * The passkey that answered for `userId`, or undefined: a malformed answer, a challenge not
   * issued to this pending login or used already, a credential that is not this user's, a
   * failed check of the assertion, or a counter that did not grow.
   */
  async verify(userId: string, challengeToken: string, credential: string | undefined): Promise<Passkey | undefined> {
    const posted = authenticationResponse(credential);
    // Spent first, whatever follows: one challenge, one try (§13.4.3).
    if (!posted || !(await this.challenges.consume(posted.challenge, bindingOf(challengeToken)))) return undefined;
    const owner = await this.store.findByCredentialId(posted.response.id);
    if (!owner || owner.passkey.userId !== userId) return undefined;
    const verdict = await verifyAssertion({ store: this.store, rp: this.rp, clock: this.clock }, posted.response, posted.challenge, owner.passkey, false);
    return verdict === 'verified' ? owner.passkey : undefined;
  }
}

function bindingOf(challengeToken: string): ChallengeBinding {
  return { kind: 'second-factor', challengeToken };
}
