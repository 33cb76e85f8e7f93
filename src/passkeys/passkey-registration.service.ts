import { Inject, Injectable } from '@nestjs/common';
import { generateRegistrationOptions, type PublicKeyCredentialCreationOptionsJSON, verifyRegistrationResponse } from '@simplewebauthn/server';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { DuplicateError } from '../common/errors.js';
import type { LoginSession } from '../interaction/login-session.js';
import type { User } from '../users/user.js';
import { CHALLENGE_SECONDS, type ChallengeBinding, PasskeyChallenges } from './passkey-challenges.service.js';
import { registrationResponse } from './passkey-response.js';
import { type Passkey, PasskeyStore } from './passkey.js';
import { RELYING_PARTY, type RelyingParty } from './relying-party.js';

export type RegistrationOutcome = 'passkey-added' | 'passkey-failed' | 'passkey-exists';

const MAX_NAME = 64;

/**
 * Registering a passkey from the account page (WebAuthn §7.1): options with a challenge
 * bound to the login session, then the authenticator's answer verified against that
 * challenge, Tessera's origin and RP ID, with user verification, and the credential stored.
 */
@Injectable()
export class PasskeyRegistration {
  constructor(
    private readonly store: PasskeyStore,
    private readonly challenges: PasskeyChallenges,
    private readonly audit: AuditService,
    @Inject(RELYING_PARTY) private readonly rp: RelyingParty,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async options(session: LoginSession, user: User): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.store.listOfUser(user.id);
    const challenge = await this.challenges.issue(bindingOf(session));
    return generateRegistrationOptions({
      rpName: this.rp.name,
      rpID: this.rp.id,
      userName: user.username,
      userDisplayName: user.name ?? user.username,
      // The user handle (§14.6.1): the user's id, no personal data.
      userID: new TextEncoder().encode(user.id),
      challenge: Buffer.from(challenge, 'base64url'),
      timeout: CHALLENGE_SECONDS * 1000,
      attestationType: 'none',
      // One passkey per authenticator: it would only replace the one it holds (§5.4.3).
      excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: [...passkey.transports] })),
      // A passkey is a discoverable credential; passwordless sign-in needs user verification.
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    });
  }

  /** The authenticator's answer, verified and stored; the challenge is spent whatever the outcome. */
  async register(session: LoginSession, user: User, credential: string | undefined, name: string | undefined): Promise<RegistrationOutcome> {
    const posted = registrationResponse(credential);
    if (!posted || !(await this.challenges.consume(posted.challenge, bindingOf(session)))) return 'passkey-failed';
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response: posted.response,
        expectedChallenge: posted.challenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        requireUserVerification: true,
      });
    } catch {
      return 'passkey-failed';
    }
    if (!verified.verified) return 'passkey-failed';
    const info = verified.registrationInfo;
    const passkey: Passkey = {
      id: randomUUID(),
      userId: user.id,
      credentialId: info.credential.id,
      publicKey: info.credential.publicKey,
      signCount: info.credential.counter,
      transports: info.credential.transports ?? [],
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
      name: passkeyName(name),
      createdAt: new Date(this.clock.now()),
      lastUsedAt: null,
    };
    try {
      await this.store.insert(passkey);
    } catch (error) {
      if (error instanceof DuplicateError) return 'passkey-exists';
      throw error;
    }
    await this.audit.record({ type: 'credential_changed', actor: `user:${user.id}`, userId: user.id, details: { credential_type: 'fido2', change_type: 'create' } });
    return 'passkey-added';
  }

  async remove(session: LoginSession, id: string | undefined): Promise<boolean> {
    if (id === undefined || !/^[0-9a-f-]{36}$/.test(id) || !(await this.store.delete(session.userId, id))) return false;
    await this.audit.record({ type: 'credential_changed', actor: `user:${session.userId}`, userId: session.userId, details: { credential_type: 'fido2', change_type: 'delete' } });
    return true;
  }
}

function bindingOf(session: LoginSession): ChallengeBinding {
  return { kind: 'registration', sessionId: session.id };
}

/** The name the user gave, trimmed and without control characters; "Passkey" when none. */
export function passkeyName(raw: string | undefined): string {
  const name = Array.from((raw ?? '').replace(/\p{Cc}/gu, ' ').trim()).slice(0, MAX_NAME).join('').trim();
  return name === '' ? 'Passkey' : name;
}
