import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, type JWK, jwtVerify } from 'jose';
import { invalidDpopProof } from './errors.js';

/** Far above any honest proof (an RSA-4096 jwk is under 1 KiB); a longer one is not parsed. */
const MAX_PROOF_LENGTH = 8_192;
const MAX_JTI_LENGTH = 256;
// RFC 7517 §9.3 / RFC 7518 §6: members only a private or symmetric key has.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** What a proof must say about the request it came with. */
export interface ProofExpectations {
  /** the request's method (RFC 9449 §4.2 htm) */
  readonly htm: string;
  /** the request's public URL (htu), query and fragment ignored */
  readonly htu: string;
  /** the access token it comes with: ath must be its SHA-256 (§4.3 check 12) */
  readonly accessToken: string;
  /** the resource server's clock, in ms */
  readonly now: number;
  /** seconds the proof's iat may lie from `now`, either way */
  readonly iatWindow: number;
  readonly algorithms: readonly string[];
}

export interface VerifiedProof {
  /** RFC 7638 thumbprint of the proof's key, to compare with the token's cnf.jkt */
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
}

/**
 * RFC 9449 §4.3 checks 1 to 9, 11 and 12 on one proof. The jti's uniqueness (§11.1)
 * needs state: the caller's, with what this returns.
 */
export async function verifyDpopProof(proof: string, expected: ProofExpectations): Promise<VerifiedProof> {
  // Check 1: one proof. Node joins repeated headers with ", ", which no compact JWS holds.
  if (/[\s,]/.test(proof)) throw invalidDpopProof('a request carries at most one DPoP proof');
  if (proof.length > MAX_PROOF_LENGTH) throw invalidDpopProof(`the DPoP proof is longer than ${MAX_PROOF_LENGTH} characters`);
  const jwk = checkHeader(proof, expected.algorithms);
  let payload: Record<string, unknown>;
  try {
    // EmbeddedJWK verifies with the header's own key, and refuses one that is not public.
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...expected.algorithms],
      requiredClaims: ['jti', 'htm', 'htu', 'iat'],
      currentDate: new Date(expected.now),
    }));
  } catch {
    throw invalidDpopProof('the DPoP proof does not verify with its jwk');
  }
  const { jti, iat } = checkClaims(payload, expected);
  return { jkt: await calculateJwkThumbprint(jwk, 'sha256'), jti, iat };
}

/** Checks 4 to 7 with a message each: typ, an allowed asymmetric alg, a public jwk. */
function checkHeader(proof: string, algorithms: readonly string[]): JWK {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalidDpopProof('the DPoP proof is not a compact JWS');
  }
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt') throw invalidDpopProof('the DPoP proof typ must be dpop+jwt');
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
    throw invalidDpopProof('the DPoP proof alg must be an asymmetric algorithm this resource accepts');
  }
  const { jwk } = header;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalidDpopProof('the DPoP proof header has no jwk');
  // Check 7: a private key in the header is a client handing out its key, never a proof.
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) throw invalidDpopProof('the DPoP proof jwk must be a public key');
  return jwk;
}

/** Checks 8, 9, 11 and 12: htm, htu, iat, ath; and a jti to remember. */
function checkClaims(payload: Record<string, unknown>, expected: ProofExpectations): { jti: string; iat: number } {
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) throw invalidDpopProof('the DPoP proof needs a jti');
  if (htm !== expected.htm.toUpperCase()) throw invalidDpopProof('the DPoP proof htm does not match the request method');
  const normalized = typeof htu === 'string' ? normalizeHtu(htu) : undefined;
  if (normalized === undefined || normalized !== normalizeHtu(expected.htu)) throw invalidDpopProof('the DPoP proof htu does not match the request URL');
  if (typeof iat !== 'number' || Math.abs(expected.now / 1000 - iat) > expected.iatWindow) {
    throw invalidDpopProof('the DPoP proof iat is too far from the resource server time');
  }
  if (ath !== accessTokenHash(expected.accessToken)) throw invalidDpopProof('the DPoP proof ath does not match the access token');
  return { jti, iat };
}

/**
 * The same rule as Tessera's own endpoints apply, written again here because this package
 * imports nothing from the server: a change to one belongs in both.
 *
 * RFC 9449 §4.3 check 9: compared without query and fragment, after RFC 3986 §6.2.2-6.2.3
 * normalisation (WHATWG URL parsing lowercases scheme and host, drops a default port and
 * resolves dot segments). Undefined for anything but an absolute http(s) URL.
 */
export function normalizeHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** RFC 9449 §4.2 ath: base64url of the SHA-256 of the access token's ASCII. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}
