import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import type { SigningAlg } from '../../config/config.js';

/**
 * Compact JWS over node:crypto. @nestjs/jwt wraps jsonwebtoken 9, which cannot sign
 * EdDSA and signs ES256 several times slower than node:crypto on its own.
 */
const DIGEST: Record<SigningAlg, string | null> = { ES256: 'sha256', RS256: 'sha256', EdDSA: null };

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicJwk: JsonWebKey;
  readonly kid: string;
}

export function generateKeyPair(alg: SigningAlg): KeyPair {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwk = pair.publicKey.export({ format: 'jwk' });
  return { privateKey: pair.privateKey, publicJwk, kid: thumbprint(publicJwk) };
}

/** RFC 7638 JWK thumbprint (SHA-256), used as the kid. */
export function thumbprint(jwk: JsonWebKey): string {
  const required: Record<string, string[]> = { EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'], RSA: ['e', 'kty', 'n'] };
  const members = required[jwk.kty ?? ''];
  if (!members) throw new Error(`unsupported key type ${jwk.kty}`);
  const canonical = JSON.stringify(Object.fromEntries(members.map((name) => [name, jwk[name as keyof JsonWebKey]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

export function privateKeyFromDer(der: Buffer): KeyObject {
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

export function publicKeyFromJwk(jwk: JsonWebKey): KeyObject {
  return createPublicKey({ key: jwk, format: 'jwk' });
}

/** A key ready to sign: the encoded protected header is computed once. */
export class JwsSigner {
  private readonly headerPrefix: string;

  constructor(
    readonly kid: string,
    readonly alg: SigningAlg,
    private readonly key: KeyObject,
    typ: string,
  ) {
    this.headerPrefix = `${b64json({ alg, typ, kid })}.`;
  }

  /** The same key under another explicit type (RFC 8725 §3.11), e.g. secevent+jwt for SETs. */
  withTyp(typ: string): JwsSigner {
    return new JwsSigner(this.kid, this.alg, this.key, typ);
  }

  sign(payload: object): string {
    const input = this.headerPrefix + b64json(payload);
    const signature = sign(DIGEST[this.alg], Buffer.from(input), { key: this.key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }
}

/** Verifies a signature with a key whose algorithm is fixed by the server, never by the token. */
export function verifySignature(alg: SigningAlg, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  try {
    return verify(DIGEST[alg], Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

function b64json(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
