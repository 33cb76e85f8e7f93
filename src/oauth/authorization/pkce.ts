import { createHash } from 'node:crypto';

// RFC 7636 §4.1: code-verifier = 43*128unreserved.
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
// RFC 7636 §4.2: BASE64URL(SHA256(verifier)) without padding is always 43 characters.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** OAuth 2.1 §4.1.1: S256 only; `plain` would hand the verifier to whoever sees the request. */
export const CODE_CHALLENGE_METHODS = ['S256'] as const;

export function validCodeVerifier(verifier: string): boolean {
  return VERIFIER.test(verifier);
}

export function validS256Challenge(challenge: string): boolean {
  return S256_CHALLENGE.test(challenge);
}

/** The S256 code challenge of a verifier (RFC 7636 §4.2). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
