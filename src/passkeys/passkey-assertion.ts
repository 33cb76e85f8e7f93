import { type AuthenticationResponseJSON, verifyAuthenticationResponse } from '@simplewebauthn/server';
import type { Clock } from '../common/clock.js';
import type { Passkey, PasskeyStore } from './passkey.js';
import type { RelyingParty } from './relying-party.js';

export type AssertionVerdict = 'verified' | 'verification' | 'sign_count';

/**
 * One assertion (WebAuthn §7.2) checked against one stored passkey: Tessera's origin and RP
 * ID, the challenge it names (already consumed by the caller), the signature, and the
 * signature counter, recorded by compare-and-set with the count the check used, so that a
 * second use of one assertion, racing, finds it moved. Shared by the passwordless sign-in
 * and the passkey as a second factor, which differ only in requiring user verification.
 */
export async function verifyAssertion(
  deps: { readonly store: PasskeyStore; readonly rp: RelyingParty; readonly clock: Clock },
  response: AuthenticationResponseJSON,
  challenge: string,
  passkey: Passkey,
  requireUserVerification: boolean,
): Promise<AssertionVerdict> {
  try {
    const { verified, authenticationInfo } = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: deps.rp.origin,
      expectedRPID: deps.rp.id,
      credential: { id: passkey.credentialId, publicKey: passkey.publicKey, counter: passkey.signCount, transports: [...passkey.transports] },
      requireUserVerification,
    });
    if (!verified) return 'verification';
    const recorded = await deps.store.recordUse(passkey.id, passkey.signCount, {
      signCount: authenticationInfo.newCounter,
      backedUp: authenticationInfo.credentialBackedUp,
      at: new Date(deps.clock.now()),
    });
    return recorded ? 'verified' : 'sign_count';
  } catch {
    return signCountRegressed(response.response.authenticatorData, passkey.signCount) ? 'sign_count' : 'verification';
  }
}

/** §6.1.1: a counter that is not 0 on both sides must grow. authenticatorData: rpIdHash(32) flags(1) signCount(4, big-endian). */
function signCountRegressed(authenticatorData: string, stored: number): boolean {
  const data = Buffer.from(authenticatorData, 'base64url');
  if (data.length < 37) return false;
  const count = data.readUInt32BE(33);
  return (count > 0 || stored > 0) && count <= stored;
}
