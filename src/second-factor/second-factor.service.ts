import { Inject, Injectable } from '@nestjs/common';
import QRCode from 'qrcode';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { deriveKey, seal, unseal } from '../common/crypto.js';
import { RANDOM, type Random } from '../common/random.js';
import { TokenHashers } from '../common/token-hashers.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { PasskeySecondFactor } from '../passkeys/passkey-second-factor.service.js';
import { LoginThrottle } from '../throttle/login-throttle.service.js';
import { UsersService } from '../users/users.service.js';
import { newRecoveryCodes, normalizedRecoveryCode } from './recovery-codes.js';
import { SecondFactorStore, type TotpFactor } from './second-factor.js';
import { matchingStep, newTotpSecret, totpUri } from './totp.js';

export const SECOND_FACTOR_REQUIRED =
  'this user signs in with a second factor, which a password alone cannot satisfy: use the authorization code flow (the hosted login page)';

/** The second step's own throttle: this many codes per user per window, right or wrong. */
export const CODE_ATTEMPTS = 5;
export const CODE_WINDOW_SECONDS = 15 * 60;

/** What the account page shows to enrol: the secret as text, as an otpauth URI, and as a QR code. */
export interface TotpEnrolment {
  readonly secret: string;
  readonly uri: string;
  /** an SVG document made by the qrcode library from the URI alone */
  readonly qrSvg: string;
}

export type CodeCheck =
  /** `otp` and `recovery` for a typed code; `hwk` or `swk` (passkeyAmr) for a passkey */
  | { readonly kind: 'accepted'; readonly method: 'otp' | 'recovery' | 'hwk' | 'swk' }
  | { readonly kind: 'wrong' }
  | { readonly kind: 'throttled'; readonly retryAfter: number };

export type Confirmation = { readonly kind: 'confirmed'; readonly recoveryCodes: readonly string[] } | Exclude<CodeCheck, { kind: 'accepted' }> | { readonly kind: 'no-enrolment' };

/** The second factors a user can answer the second step with. */
export interface SecondFactors {
  readonly totp: boolean;
  readonly passkey: boolean;
}

/** Whether a password alone falls short for a user with these factors (see hasSecondFactor). */
export const anySecondFactor = (factors: SecondFactors): boolean => factors.totp || factors.passkey;

/**
 * TOTP (RFC 6238) as a second factor: enrolment, the check of a code or recovery code, and
 * removal. The secret is sealed under KEY_ENCRYPTION_SECRET as signing keys are (AES-256-GCM,
 * bound to the user id, so a row copied to another user does not open); recovery codes are
 * kept as keyed hashes under TOKEN_HASH_SECRET, as refresh tokens are. A registered passkey
 * counts as a second factor too (hasSecondFactor, checkPasskey).
 */
@Injectable()
export class SecondFactorService {
  private readonly sealingKey: Buffer;
  private readonly issuerName: string;

  constructor(
    private readonly store: SecondFactorStore,
    private readonly hashers: TokenHashers,
    private readonly audit: AuditService,
    private readonly passkeys: PasskeySecondFactor,
    private readonly users: UsersService,
    private readonly throttle: LoginThrottle,
    @Inject(CONFIG) config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {
    this.sealingKey = deriveKey(config.keyEncryptionSecret, 'totp-secret');
    this.issuerName = new URL(config.issuer).host;
  }

  /** A confirmed TOTP factor. */
  async enrolled(userId: string): Promise<boolean> {
    return (await this.store.find(userId))?.confirmedAt != null;
  }

  async factorsOf(userId: string): Promise<SecondFactors> {
    const [totp, passkey] = await Promise.all([this.enrolled(userId), this.passkeys.has(userId)]);
    return { totp, passkey };
  }

  /**
   * The one answer to "does a password alone fall short for this user": a confirmed TOTP
   * factor or a passkey. A passkey proves possession of a key, so after the password it is
   * the second factor, as it is the whole login on its own.
   */
  async hasSecondFactor(userId: string): Promise<boolean> {
    return anySecondFactor(await this.factorsOf(userId));
  }

  async status(userId: string): Promise<{ enrolled: boolean; recoveryCodesLeft: number }> {
    const enrolled = await this.enrolled(userId);
    return { enrolled, recoveryCodesLeft: enrolled ? await this.store.unusedRecoveryCodes(userId) : 0 };
  }

  /** A new secret to scan; undefined when the user already has a confirmed factor. */
  async startEnrolment(userId: string, username: string): Promise<TotpEnrolment | undefined> {
    const secret = newTotpSecret(this.random);
    const sealed = seal(this.sealingKey, Buffer.from(secret), Buffer.from(userId));
    if (!(await this.store.startEnrolment(userId, sealed, new Date(this.clock.now())))) return undefined;
    return this.enrolmentOf(username, secret);
  }

  /** The enrolment waiting for its first code, shown again after a wrong one. */
  async pendingEnrolment(userId: string, username: string): Promise<TotpEnrolment | undefined> {
    const factor = await this.store.find(userId);
    if (!factor || factor.confirmedAt) return undefined;
    return this.enrolmentOf(username, this.secretOf(factor));
  }

  /** The first code proves the app holds the secret; then the ten recovery codes, shown once. */
  async confirmEnrolment(userId: string, typed: string | undefined): Promise<Confirmation> {
    const factor = await this.store.find(userId);
    if (!factor || factor.confirmedAt) return { kind: 'no-enrolment' };
    const throttled = await this.countAttempt(userId);
    if (throttled) return throttled;
    const now = this.clock.now();
    const step = matchingStep(this.secretOf(factor), (typed ?? '').trim(), now);
    if (step === undefined) return { kind: 'wrong' };
    const codes = newRecoveryCodes(this.random);
    const hashes = codes.map((code) => this.hashers.recoveryCode.hash(normalizedRecoveryCode(code)!));
    if (!(await this.store.confirm(userId, step, hashes, new Date(now)))) return { kind: 'no-enrolment' };
    await this.audit.record({ type: 'second_factor_enrolled', userId, actor: `user:${userId}`, details: { method: 'totp' } });
    return { kind: 'confirmed', recoveryCodes: codes };
  }

  /**
   * A code typed at the second step: a TOTP code of a step not used before (RFC 6238 §5.2),
   * or an unused recovery code, each accepted once across processes. Every attempt counts
   * against the throttle before it is looked at.
   */
  async check(userId: string, typed: string | undefined): Promise<CodeCheck> {
    const factor = await this.store.find(userId);
    if (!factor?.confirmedAt) return { kind: 'wrong' };
    const throttled = await this.countAttempt(userId);
    if (throttled) return throttled;
    const code = (typed ?? '').trim();
    const now = this.clock.now();
    const step = matchingStep(this.secretOf(factor), code, now);
    if (step !== undefined && (await this.store.acceptStep(userId, step))) return this.accepted(userId, 'otp');
    const recovery = normalizedRecoveryCode(code);
    if (recovery !== undefined && (await this.store.useRecoveryCode(userId, this.hashers.recoveryCode.hash(recovery), new Date(now)))) {
      await this.audit.record({ type: 'recovery_code_used', userId, details: { remaining: await this.store.unusedRecoveryCodes(userId) } });
      return this.accepted(userId, 'recovery');
    }
    await this.audit.record({ type: 'second_factor_failed', userId });
    return { kind: 'wrong' };
  }

  /**
   * A passkey's answer at the second step (PasskeySecondFactor.verify). It goes through the
   * login throttle of the user's account and this IP, as a passwordless passkey sign-in does:
   * the code counter lives with a TOTP factor, which a passkey-only user does not have.
   */
  async checkPasskey(userId: string, challengeToken: string, credential: string | undefined, ip: string | undefined): Promise<CodeCheck> {
    const user = await this.users.findById(userId);
    if (!user) return { kind: 'wrong' };
    const attempt = { username: user.username, ip };
    try {
      await this.throttle.check(attempt);
    } catch (error) {
      if (!(error instanceof OAuthError) || error.status !== 429) throw error;
      return { kind: 'throttled', retryAfter: Number(error.headers['Retry-After']) };
    }
    const passkey = await this.passkeys.verify(userId, challengeToken, credential);
    // As passkeyAmr names it: a synced credential is a software key, a device-bound one hardware.
    if (passkey) return { kind: 'accepted', method: passkey.backupEligible ? 'swk' : 'hwk' };
    await this.throttle.failed(attempt);
    await this.audit.record({ type: 'second_factor_failed', userId, ip, details: { method: 'passkey' } });
    return { kind: 'wrong' };
  }

  /**
   * A password alone cannot log in a user with a second factor: the password grant and the
   * cookie-mode /auth/login have no second step, so they refuse, pointing at the code flow.
   * Only asked once the password is proven, so it tells nothing to someone without it.
   */
  async requirePasswordOnly(userId: string, clientId: string, ip: string | undefined): Promise<void> {
    if (!(await this.hasSecondFactor(userId))) return;
    await this.audit.record({ type: 'login_failed', userId, clientId, ip, details: { reason: 'second_factor_required' } });
    throw OAuthError.invalidGrant(SECOND_FACTOR_REQUIRED);
  }

  /** The factor and its recovery codes go (the user re-authenticated, or an admin reset it). */
  async remove(userId: string, actor: string): Promise<boolean> {
    const removed = await this.store.remove(userId);
    if (removed) await this.audit.record({ type: 'second_factor_removed', userId, actor, details: { method: 'totp' } });
    return removed;
  }

  private async accepted(userId: string, method: 'otp' | 'recovery'): Promise<CodeCheck> {
    await this.store.clearAttempts(userId);
    return { kind: 'accepted', method };
  }

  private async countAttempt(userId: string): Promise<{ readonly kind: 'throttled'; readonly retryAfter: number } | undefined> {
    const now = this.clock.now();
    const attempts = await this.store.countAttempt(userId, new Date(now), new Date(now - CODE_WINDOW_SECONDS * 1000));
    if (!attempts || attempts.count <= CODE_ATTEMPTS) return undefined;
    const retryAfter = Math.max(1, Math.ceil((attempts.windowStartedAt.getTime() + CODE_WINDOW_SECONDS * 1000 - now) / 1000));
    return { kind: 'throttled', retryAfter };
  }

  private secretOf(factor: TotpFactor): string {
    const secret = unseal(this.sealingKey, factor.secretSealed, Buffer.from(factor.userId));
    if (!secret) throw new Error(`the TOTP secret of user ${factor.userId} cannot be decrypted: KEY_ENCRYPTION_SECRET differs from the one it was sealed with`);
    return secret.toString();
  }

  private async enrolmentOf(username: string, secret: string): Promise<TotpEnrolment> {
    const uri = totpUri(this.issuerName, username, secret);
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret, uri, qrSvg };
  }
}
