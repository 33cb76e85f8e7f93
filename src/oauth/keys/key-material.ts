import type { SigningAlg } from '../../config/config.js';
import { seal, unseal } from '../../common/crypto.js';
import { generateKeyPair, JwsSigner, privateKeyFromDer } from './jws.js';
import type { StoredSigningKey } from './signing-key.js';

/** A fresh key of `alg`, its private half sealed under `sealingKey` (bound to its kid). */
export function newSigningKey(alg: SigningAlg, sealingKey: Buffer, now: number, activatesAt: Date): StoredSigningKey {
  const pair = generateKeyPair(alg);
  const der = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    kid: pair.kid,
    alg,
    publicJwk: pair.publicJwk,
    privateKeySealed: seal(sealingKey, der, Buffer.from(pair.kid)),
    createdAt: new Date(now),
    activatesAt,
    retiredAt: null,
    expiresAt: null,
  };
}

export function signerOf(key: StoredSigningKey, sealingKey: Buffer, typ: string): JwsSigner {
  const der = unseal(sealingKey, key.privateKeySealed, Buffer.from(key.kid));
  if (!der) throw new Error(`signing key ${key.kid} cannot be decrypted: KEY_ENCRYPTION_SECRET differs from the one it was sealed with`);
  return new JwsSigner(key.kid, key.alg, privateKeyFromDer(der), typ);
}
