import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AuditService } from '../../audit/audit.service.js';
import { CLOCK, type Clock } from '../../common/clock.js';
import { deriveKey, seal, unseal } from '../../common/crypto.js';
import { DuplicateError } from '../../common/errors.js';
import { oneLineError } from '../../common/one-line-error.js';
import { isDatabaseUnavailable } from '../../persistence/availability.js';
import type { ResolvedConfig, SigningAlg } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { generateKeyPair, JwsSigner, privateKeyFromDer, publicKeyFromJwk } from './jws.js';
import { SigningKeyStore, type StoredSigningKey } from './signing-key.js';

export const ACCESS_TOKEN_TYP = 'at+jwt';
// Verifiers may accept a token a little after exp (clock skew); keep its key published that long.
const SKEW_SECONDS = 60;
const JWKS_CACHE_MS = 5_000;
// Another process (or `tessera keys rotate`) may rotate the key: every process picks up
// the new active key within this time, well inside SKEW_SECONDS, the time the retired
// key stays published beyond the lifetime of the last token it signed.
const RELOAD_EVERY_MS = 10_000;
// Unknown kids reload the keys at most this often, so forged kids cannot flood the database;
// a caller in between waits for the next reload rather than being told "unknown".
const UNKNOWN_KID_RELOAD_MS = 1_000;

/** A key that verifies access tokens: its algorithm is the server's, never the token's. */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly key: KeyObject;
}

export interface Jwks {
  keys: Array<JsonWebKey & { kid: string; alg: string; use: 'sig' }>;
}

@Injectable()
export class KeysService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('keys');
  private readonly sealingKey: Buffer;
  private signer: JwsSigner | undefined;
  private jwksCache: { at: number; value: Jwks } | undefined;
  private verificationKeys: ReadonlyMap<string, VerificationKey> = new Map();
  private reloading: Promise<void> | undefined;
  private unknownKidReload: Promise<void> | undefined;
  /** performance.now() of the last reload for an unknown kid: a rate limit, not a domain time */
  private lastUnknownKidReload = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  /** a reload failed and said so: the next failures stay quiet until one succeeds */
  private reloadFailing = false;

  constructor(
    private readonly store: SigningKeyStore,
    private readonly audit: AuditService,
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
    await this.reload();
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.reload().then(
        () => {
          if (this.reloadFailing) this.logger.log('reading signing keys again');
          this.reloadFailing = false;
        },
        (error: unknown) => {
          if (!this.reloadFailing) this.logger.warn(`cannot reload signing keys, keeping the ones in memory: ${oneLineError(error)}`);
          this.reloadFailing = true;
        },
      );
    }, RELOAD_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The key of a publishable kid, if this process knows it. */
  verificationKey(kid: string): VerificationKey | undefined {
    return this.verificationKeys.get(kid);
  }

  /**
   * Reloads the keys for a kid this process does not know (a key another process just
   * activated). Concurrent callers share one reload, and reloads for unknown kids start
   * at most once per UNKNOWN_KID_RELOAD_MS.
   */
  reloadForUnknownKid(): Promise<void> {
    this.unknownKidReload ??= (async () => {
      const wait = this.lastUnknownKidReload + UNKNOWN_KID_RELOAD_MS - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.lastUnknownKidReload = performance.now();
      // A reload already in flight may have read the keys before the new one existed.
      await this.reloading?.catch(() => undefined);
      await this.reload();
    })().finally(() => {
      this.unknownKidReload = undefined;
    });
    return this.unknownKidReload;
  }

  /** A new key signs from now on; the old one stays published until its last token has expired. */
  async rotate(actor: string): Promise<string> {
    const previous = this.signer?.kid;
    const kid = await this.activateNewKey();
    const active = await this.store.findActive();
    if (active) this.signer = this.toSigner(active);
    this.jwksCache = undefined;
    await this.reload();
    await this.audit.record({ type: 'key_rotated', actor, details: { kid, ...(previous ? { previous_kid: previous } : {}) } });
    return kid;
  }

  accessTokenSigner(): JwsSigner {
    if (!this.signer) throw new Error('signing keys are not loaded');
    return this.signer;
  }

  /**
   * The publishable keys. While the database is away, the last set this process read (at
   * boot, by a reload or for an earlier request): verifiers keep verifying the tokens they
   * hold, and the keys in it are the ones this process verifies and signs with anyway.
   */
  async jwks(): Promise<Jwks> {
    const now = this.clock.now();
    if (this.jwksCache && now - this.jwksCache.at < JWKS_CACHE_MS) return this.jwksCache.value;
    try {
      return this.remember(now, await this.store.findPublishable(new Date(now)));
    } catch (error) {
      if (this.jwksCache && isDatabaseUnavailable(error)) return this.jwksCache.value;
      throw error;
    }
  }

  private remember(at: number, keys: readonly StoredSigningKey[]): Jwks {
    const value: Jwks = { keys: keys.map((key) => ({ ...(key.publicJwk as JsonWebKey), kid: key.kid, alg: key.alg, use: 'sig' })) };
    this.jwksCache = { at, value };
    return value;
  }

  /** Every publishable key for verification, and the active one for signing if it changed. */
  private reload(): Promise<void> {
    this.reloading ??= (async () => {
      const now = this.clock.now();
      const keys = await this.store.findPublishable(new Date(now));
      this.remember(now, keys);
      const verification = new Map<string, VerificationKey>();
      for (const key of keys) {
        verification.set(key.kid, { kid: key.kid, alg: key.alg, key: publicKeyFromJwk(key.publicJwk) });
      }
      this.verificationKeys = verification;
      const active = keys.find((key) => key.retiredAt === null);
      if (active && active.kid !== this.signer?.kid) this.signer = this.toSigner(active);
    })().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async activateNewKey(): Promise<string> {
    const pair = generateKeyPair(this.config.signingAlg);
    const now = this.clock.now();
    const der = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
    const key: StoredSigningKey = {
      kid: pair.kid,
      alg: this.config.signingAlg,
      publicJwk: pair.publicJwk,
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
