import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AuditService } from '../../audit/audit.service.js';
import { CLOCK, type Clock } from '../../common/clock.js';
import { deriveKey } from '../../common/crypto.js';
import { DuplicateError } from '../../common/errors.js';
import { oneLineError } from '../../common/one-line-error.js';
import { isDatabaseUnavailable } from '../../persistence/availability.js';
import type { ResolvedConfig, SigningAlg } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { type JwsSigner, publicKeyFromJwk } from './jws.js';
import { newSigningKey, signerOf } from './key-material.js';
import { type KeyChange, keyState, type KeyState, SigningKeyStore, type StoredSigningKey } from './signing-key.js';

export const ACCESS_TOKEN_TYP = 'at+jwt';
// Verifiers may accept a token a little after exp (clock skew); keep its key published that long.
const SKEW_SECONDS = 60;
const JWKS_CACHE_MS = 5_000;
// Another process (or `tessera keys rotate`) may add a pending key: every process reads it
// within this time, well before it activates (KEY_PUBLISH_DELAY), and then switches by
// its own clock at activates_at, between two reloads.
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

export interface RotatedKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly activatesAt: Date;
}

export interface PublishedKey extends Omit<StoredSigningKey, 'publicJwk' | 'privateKeySealed'> {
  readonly state: KeyState;
}

@Injectable()
export class KeysService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('keys');
  private readonly sealingKey: Buffer;
  /** the publishable keys, newest activation first: the signing key is picked from them by time */
  private keys: readonly StoredSigningKey[] = [];
  private readonly signers = new Map<string, JwsSigner>();
  private jwksCache: { at: number; value: Jwks } | undefined;
  private verificationKeys: ReadonlyMap<string, VerificationKey> = new Map();
  private reloading: Promise<void> | undefined;
  private unknownKidReload: Promise<void> | undefined;
  /** performance.now() of the last reload for an unknown kid: a rate limit, not a domain time */
  private lastUnknownKidReload = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  /** a reload failed and said so: the next failures stay quiet until one succeeds */
  private reloadFailing = false;
  private mismatch: string | undefined;

  constructor(
    private readonly store: SigningKeyStore,
    private readonly audit: AuditService,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.sealingKey = deriveKey(config.keyEncryptionSecret, 'signing-key');
  }

  /**
   * The first boot generates the signing key. Nothing else here changes it: another
   * SIGNING_ALG than the newest key's only earns a warning, since a CLI run or one
   * process booting must never rotate the key of the servers already running.
   */
  async onModuleInit(): Promise<void> {
    if (!(await this.store.findNewest())) await this.createFirstKey();
    await this.reload();
    const newest = this.keys.find((key) => key.retiredAt === null);
    if (newest && newest.alg !== this.config.signingAlg) {
      this.mismatch =
        `SIGNING_ALG is ${this.config.signingAlg} but the signing key is ${newest.alg}, which keeps signing; ` +
        `to change it run \`tessera keys rotate\` with SIGNING_ALG=${this.config.signingAlg}`;
      this.logger.warn(this.mismatch);
    }
    this.accessTokenSigner();
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

  /** Set at boot when SIGNING_ALG differs from the signing key's: one line saying how to rotate. */
  signingAlgWarning(): string | undefined {
    return this.mismatch;
  }

  /** The key of a publishable kid, if this process knows it. */
  verificationKey(kid: string): VerificationKey | undefined {
    return this.verificationKeys.get(kid);
  }

  /**
   * Reloads the keys for a kid this process does not know (a key another process just
   * added). Concurrent callers share one reload, and reloads for unknown kids start
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

  /**
   * Adds the next key, of the configured SIGNING_ALG, as pending: published at once, it
   * signs only KEY_PUBLISH_DELAY seconds later, so that verifiers whose JWKS cache refetches
   * an unknown kid only after a cool-down have fetched it by then. The old key signs until
   * that moment and stays published until its last token has expired. Refused (KeyPendingError)
   * while a key is still pending.
   */
  async rotate(actor: string): Promise<RotatedKey> {
    const now = this.clock.now();
    const activatesAt = new Date(now + this.config.keyPublishDelay * 1000);
    const key = newSigningKey(this.config.signingAlg, this.sealingKey, now, activatesAt);
    const retiredUntil = new Date(activatesAt.getTime() + (this.config.accessTokenTtl + SKEW_SECONDS) * 1000);
    const previous = await this.store.addPending(key, new Date(now), retiredUntil);
    this.jwksCache = undefined;
    await this.audit.record({
      type: 'key_rotated',
      actor,
      details: { kid: key.kid, previous_kid: previous, alg: key.alg, activates_at: activatesAt.toISOString() },
    });
    await this.reload();
    return { kid: key.kid, alg: key.alg, activatesAt };
  }

  /** The published keys (the JWKS) with where each stands, newest activation first; never a private key. */
  async published(): Promise<PublishedKey[]> {
    const now = this.clock.now();
    const keys = await this.store.findPublishable(new Date(now));
    return keys.map((key) => ({ kid: key.kid, alg: key.alg, state: keyState(key, now), createdAt: key.createdAt, activatesAt: key.activatesAt, retiredAt: key.retiredAt, expiresAt: key.expiresAt }));
  }

  /** The key that signs now: picked by the clock at each call, so every process switches at activates_at. */
  accessTokenSigner(): JwsSigner {
    const key = this.signingKeyAt(this.clock.now());
    let signer = this.signers.get(key.kid);
    if (!signer) {
      signer = signerOf(key, this.sealingKey, ACCESS_TOKEN_TYP);
      this.signers.set(key.kid, signer);
    }
    return signer;
  }

  /**
   * The algorithms tokens are signed with: the signing key's first, then those of the other
   * published keys (a pending key about to sign, a retired one whose tokens are still alive).
   */
  signingAlgs(): SigningAlg[] {
    const first = this.signingKeyAt(this.clock.now()).alg;
    return [...new Set([first, ...this.keys.map((key) => key.alg)])];
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

  /** Re-reads the keys and audits the activations and retirements that time has brought. */
  reload(): Promise<void> {
    this.reloading ??= (async () => {
      const now = this.clock.now();
      const keys = await this.store.findPublishable(new Date(now));
      this.remember(now, keys);
      const verification = new Map<string, VerificationKey>();
      for (const key of keys) {
        verification.set(key.kid, { kid: key.kid, alg: key.alg, key: publicKeyFromJwk(key.publicJwk) });
      }
      this.verificationKeys = verification;
      if (keys.length > 0) this.keys = keys;
      for (const kid of this.signers.keys()) if (!verification.has(kid)) this.signers.delete(kid);
      await this.auditChanges(await this.store.claimChanges(new Date(now)));
    })().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private signingKeyAt(now: number): StoredSigningKey {
    const key = this.keys.find((candidate) => candidate.activatesAt.getTime() <= now) ?? this.keys.at(-1);
    if (!key) throw new Error('signing keys are not loaded');
    return key;
  }

  private auditChanges(changes: readonly KeyChange[]): Promise<void> {
    if (changes.length === 0) return Promise.resolve();
    return this.audit.record(
      ...changes.map((change) => ({
        type: change.change === 'activated' ? ('key_activated' as const) : ('key_retired' as const),
        actor: 'system',
        details: { kid: change.kid, at: change.at.toISOString() },
      })),
    );
  }

  private remember(at: number, keys: readonly StoredSigningKey[]): Jwks {
    const value: Jwks = { keys: keys.map((key) => ({ ...(key.publicJwk as JsonWebKey), kid: key.kid, alg: key.alg, use: 'sig' })) };
    this.jwksCache = { at, value };
    return value;
  }

  /**
   * Audited like a rotation, with no previous_kid and the system as the actor, so the
   * key_rotated events list every key that ever signed. Only the process whose key was
   * stored records it.
   */
  private async createFirstKey(): Promise<void> {
    const now = this.clock.now();
    const key = newSigningKey(this.config.signingAlg, this.sealingKey, now, new Date(now));
    try {
      await this.store.createFirst(key);
    } catch (error) {
      // Another process booting at the same moment created its key first: use that one.
      if (!(error instanceof DuplicateError)) throw error;
      return;
    }
    await this.audit.record({ type: 'key_rotated', actor: 'system', details: { kid: key.kid, alg: key.alg, activates_at: key.activatesAt.toISOString() } });
  }
}
