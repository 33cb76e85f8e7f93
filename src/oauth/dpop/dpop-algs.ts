import { constants, createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';

/**
 * The asymmetric JWS algorithms a DPoP proof may use (RFC 9449 §4.3 check 5: not `none`,
 * no MAC, only what the server supports). Each fixes the key type (and curve) it verifies
 * with, so a proof can never pair an algorithm with a key made for another one.
 */
interface AlgSpec {
  readonly kty: 'EC' | 'OKP' | 'RSA';
  readonly crv?: readonly string[];
  /** null for EdDSA, which hashes internally */
  readonly digest: string | null;
  readonly pss?: boolean;
}

const ALGS: Readonly<Record<string, AlgSpec>> = {
  ES256: { kty: 'EC', crv: ['P-256'], digest: 'sha256' },
  ES384: { kty: 'EC', crv: ['P-384'], digest: 'sha384' },
  ES512: { kty: 'EC', crv: ['P-521'], digest: 'sha512' },
  EdDSA: { kty: 'OKP', crv: ['Ed25519', 'Ed448'], digest: null },
  // RFC 9864: the fully-specified name for EdDSA over Ed25519.
  Ed25519: { kty: 'OKP', crv: ['Ed25519'], digest: null },
  RS256: { kty: 'RSA', digest: 'sha256' },
  RS384: { kty: 'RSA', digest: 'sha384' },
  RS512: { kty: 'RSA', digest: 'sha512' },
  PS256: { kty: 'RSA', digest: 'sha256', pss: true },
  PS384: { kty: 'RSA', digest: 'sha384', pss: true },
  PS512: { kty: 'RSA', digest: 'sha512', pss: true },
};

/** For the metadata member dpop_signing_alg_values_supported (RFC 9449 §5.1). */
export const DPOP_SIGNING_ALGS: readonly string[] = Object.keys(ALGS);

// RFC 7517 §9.3 / RFC 7518 §6: members that only a private or symmetric key has.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MIN_RSA_BITS = 2048;

export function supportedAlg(alg: unknown): alg is string {
  return typeof alg === 'string' && Object.hasOwn(ALGS, alg);
}

export function hasPrivateMembers(jwk: Record<string, unknown>): boolean {
  return PRIVATE_MEMBERS.some((member) => member in jwk);
}

/**
 * The public key of `jwk` when it suits `alg`, else undefined: the key type and curve the
 * algorithm names, and RSA keys of at least 2048 bits (RFC 7518 §3.3).
 */
export function publicKeyFor(alg: string, jwk: Record<string, unknown>): KeyObject | undefined {
  const spec = ALGS[alg];
  if (jwk.kty !== spec.kty) return undefined;
  if (spec.crv && !spec.crv.includes(jwk.crv as string)) return undefined;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return undefined;
  }
  if (key.type !== 'public') return undefined;
  if (spec.kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return undefined;
  return key;
}

export function verifiesWith(alg: string, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  const spec = ALGS[alg];
  const options = spec.pss
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : { key, dsaEncoding: 'ieee-p1363' as const };
  try {
    return verify(spec.digest, Buffer.from(signingInput), options, signature);
  } catch {
    return false;
  }
}
