import { createHash } from 'node:crypto';
import { thumbprint } from '../keys/jws.js';
import { hasPrivateMembers, publicKeyFor, supportedAlg, verifiesWith } from './dpop-algs.js';

/**
 * How far a proof's iat may lie from the server's clock, either way (RFC 9449 §4.3 check
 * 11, §11.1). A minute covers devices synchronised by NTP and a slow request, and it bounds
 * how long a proof's jti must be remembered: the replay table holds two minutes at most.
 * A proof made earlier than that is what server nonces (§8) exist to refuse anyway.
 */
export const IAT_WINDOW_SECONDS = 60;
/** Far above any honest proof (an RSA-4096 jwk is under 1 KiB); a longer one is not parsed. */
export const MAX_PROOF_LENGTH = 8_192;
const MAX_JTI_LENGTH = 256;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** What the server expects of a proof for this request. */
export interface ProofExpectations {
  /** the request's method (RFC 9449 §4.2 htm) */
  readonly htm: string;
  /** the endpoint's URL, built from ISSUER (never from the Host header) */
  readonly htu: string;
  /** the server's clock, in seconds */
  readonly now: number;
  /** the access token presented with the proof, at a resource: ath must be its hash (§4.3 check 12) */
  readonly accessToken?: string;
}

export interface VerifiedProof {
  /** RFC 7638 thumbprint of the proof's key: what tokens are bound to (RFC 9449 §6.1) */
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
  readonly nonce: string | undefined;
}

/** A proof that fails a check of RFC 9449 §4.3; the message says which, and nothing secret. */
export class DpopProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DpopProofError';
  }
}

/**
 * RFC 9449 §4.3, checks 2 to 12, on one proof. The nonce (check 10) and the jti's
 * uniqueness (§11.1) need server state: the caller's, with what this returns.
 */
export function verifyDpopProof(proof: string, expected: ProofExpectations): VerifiedProof {
  if (proof.length > MAX_PROOF_LENGTH) fail(`the DPoP proof is longer than ${MAX_PROOF_LENGTH} characters`);
  const parts = proof.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) fail('the DPoP proof is not a compact JWS');
  const [encodedHeader, encodedPayload, signature] = parts;
  const header = jsonObject(encodedHeader) ?? fail('the DPoP proof header is not a JSON object');
  const jwk = checkHeader(header);
  const key = publicKeyFor(header.alg as string, jwk) ?? fail('the DPoP proof jwk does not suit its alg');
  if (!verifiesWith(header.alg as string, key, `${encodedHeader}.${encodedPayload}`, Buffer.from(signature, 'base64url'))) {
    fail('the DPoP proof signature does not verify with its jwk');
  }
  const payload = jsonObject(encodedPayload) ?? fail('the DPoP proof payload is not a JSON object');
  const claims = checkClaims(payload, expected);
  return { jkt: thumbprint(jwk), ...claims };
}

/** Checks 4 to 7: the typ, an asymmetric alg this server supports, a public jwk. */
function checkHeader(header: Record<string, unknown>): Record<string, unknown> {
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt') fail('the DPoP proof typ must be dpop+jwt');
  if (!supportedAlg(header.alg)) fail('the DPoP proof alg must be an asymmetric algorithm this server supports');
  // RFC 7515 §4.1.11: an extension the server does not understand must not be ignored.
  if ('crit' in header) fail('the DPoP proof header has crit extensions this server does not support');
  const { jwk } = header;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) fail('the DPoP proof header has no jwk');
  // Check 7: a private key in the header is a client handing out its key, never a proof.
  if (hasPrivateMembers(jwk as Record<string, unknown>)) fail('the DPoP proof jwk must be a public key');
  return jwk as Record<string, unknown>;
}

/** Checks 8, 9, 11 and 12: htm, htu, iat and ath, and a jti to remember. */
function checkClaims(payload: Record<string, unknown>, expected: ProofExpectations): Omit<VerifiedProof, 'jkt'> {
  const { jti, htm, htu, iat, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) fail('the DPoP proof needs a jti');
  if (htm !== expected.htm) fail('the DPoP proof htm does not match the request method');
  const normalized = typeof htu === 'string' ? normalizeHtu(htu) : undefined;
  if (normalized === undefined || normalized !== normalizeHtu(expected.htu)) fail('the DPoP proof htu does not match the endpoint');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) fail('the DPoP proof needs a numeric iat');
  if (Math.abs(expected.now - iat) > IAT_WINDOW_SECONDS) fail('the DPoP proof iat is too far from the server time');
  if (expected.accessToken !== undefined && ath !== accessTokenHash(expected.accessToken)) {
    fail('the DPoP proof ath does not match the access token');
  }
  if (nonce !== undefined && typeof nonce !== 'string') fail('the DPoP proof nonce must be a string');
  return { jti, iat: Math.floor(iat), nonce };
}

/**
 * RFC 9449 §4.3 check 9: compared without query and fragment, after RFC 3986 §6.2.2 and
 * §6.2.3 normalisation (WHATWG URL parsing lowercases scheme and host, drops a default
 * port and resolves dot segments). Undefined for anything but an absolute http(s) URL.
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

function jsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function fail(message: string): never {
  throw new DpopProofError(message);
}
