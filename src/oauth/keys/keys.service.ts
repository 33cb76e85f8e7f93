import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { JsonWebKey } from 'node:crypto';
import { CLOCK, type Clock } from '../../common/clock.js';
import { deriveKey, seal, unseal } from '../../common/crypto.js';
import { DuplicateError } from '../../common/errors.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { generateKeyPair, JwsSigner, privateKeyFromDer } from './jws.js';
import { SigningKeyStore, type StoredSigningKey } from './signing-key.js';

export const ACCESS_TOKEN_TYP = 'at+jwt';
// Verifiers may accept a token a little after exp (clock skew); keep its key published that long.
const SKEW_SECONDS = 60;
const JWKS_CACHE_MS = 5_000;

export interface Jwks {
  keys: Array<JsonWebKey & { kid: string; alg: string; use: 'sig' }>;
}

@Injectable()
export class KeysService implements OnModuleInit {
  private readonly sealingKey: Buffer;
  private signer: JwsSigner | undefined;
  private jwksCache: { at: number; value: Jwks } | undefined;

  constructor(
    private readonly store: SigningKeyStore,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.sealingKey = deriveKey(config.keyEncryptionSecret, 'signing-key');
  }

  /** The first boot generates the signing key; a changed SIGNING_ALG rotates to a key of that algorithm. */
  async onModuleInit(): Promise<void> {
    let active = await this.store.findActive();
    if (!active || active.alg !== this.config.signingAlg) {
      await this.activateNewKey();
      active = await this.store.findActive();
    }
    if (!active) throw new Error('no active signing key after activation');
    this.signer = this.toSigner(active);
  }

  /** A new key signs from now on; the old one stays published until its last token has expired. */
  async rotate(): Promise<string> {
    const kid = await this.activateNewKey();
    const active = await this.store.findActive();
    if (active) this.signer = this.toSigner(active);
    this.jwksCache = undefined;
    return kid;
  }

  accessTokenSigner(): JwsSigner {
    if (!this.signer) throw new Error('signing keys are not loaded');
    return this.signer;
  }

  async jwks(): Promise<Jwks> {
    const now = this.clock.now();
    if (this.jwksCache && now - this.jwksCache.at < JWKS_CACHE_MS) return this.jwksCache.value;
    const keys = await this.store.findPublishable(new Date(now));
    const value: Jwks = { keys: keys.map((key) => ({ ...(key.publicJwk as JsonWebKey), kid: key.kid, alg: key.alg, use: 'sig' })) };
    this.jwksCache = { at: now, value };
    return value;
  }

  private async activateNewKey(): Promise<string> {
    const pair = generateKeyPair(this.config.signingAlg);
    const now = this.clock.now();
    const der = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
    const key: StoredSigningKey = {
      kid: pair.kid,
      alg: this.config.signingAlg,
      publicJwk: pair.publicJwk as Record<string, unknown>,
      privateKeySealed: seal(this.sealingKey, der, Buffer.from(pair.kid)),
      createdAt: new Date(now),
      retiredAt: null,
      expiresAt: null,
    };
    try {
      await this.store.activate(key, new Date(now + (this.config.accessTokenTtl + SKEW_SECONDS) * 1000));
    } catch (error) {
      // Another process booting at the same moment activated its key first: use that one.
      if (!(error instanceof DuplicateError)) throw error;
    }
    return key.kid;
  }

  private toSigner(key: StoredSigningKey): JwsSigner {
    const der = unseal(this.sealingKey, key.privateKeySealed, Buffer.from(key.kid));
    if (!der) throw new Error(`signing key ${key.kid} cannot be decrypted: KEY_ENCRYPTION_SECRET differs from the one it was sealed with`);
    return new JwsSigner(key.kid, key.alg, privateKeyFromDer(der), ACCESS_TOKEN_TYP);
  }
}
