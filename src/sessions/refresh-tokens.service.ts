import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service.js';
import type { Client } from '../clients/client.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { deriveKey, seal, unseal } from '../common/crypto.js';
import { opaqueToken, RANDOM, type Random } from '../common/random.js';
import { TokenHashers } from '../common/token-hashers.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { Metrics } from '../metrics/metrics.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import type { User } from '../users/user.js';
import { type Family, type FamilyStart, FamilyStore, type NewFamily, type RefreshOutcome, type RefreshTokenRecord } from './family.js';
import { inRequest } from '../logging/request-context.js';
import { judgeRefresh } from './refresh-judge.js';
import { SessionRevoker } from './session-revoker.service.js';

export interface SessionMeta {
  readonly ip?: string;
  readonly userAgent?: string;
  /** the HTTP request's id, for the log lines written on its behalf */
  readonly requestId?: string;
}

export interface IssuedRefresh {
  readonly family: Family;
  readonly refreshToken: string;
}

/** A family and its first refresh token, built but not stored yet. */
export interface PreparedFamily {
  readonly newFamily: NewFamily;
  readonly refreshToken: string;
}

const MAX_USER_AGENT = 512;

/** Families and their refresh-token chains: start, rotate with grace, detect reuse. */
@Injectable()
export class RefreshTokensService {
  private readonly logger = new Logger('refresh');

  constructor(
    private readonly families: FamilyStore,
    private readonly hashers: TokenHashers,
    private readonly revoker: SessionRevoker,
    private readonly audit: AuditService,
    private readonly metrics: Metrics,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {}

  /** A login: a new family and its first refresh token. */
  async start(user: User, client: Client, scope: string, meta: SessionMeta, dpopJkt?: string): Promise<IssuedRefresh> {
    const { newFamily, refreshToken } = this.prepare(user.id, client, scope, meta, dpopJkt);
    if (!(await this.families.start(newFamily))) {
      // Disabled between the password check and now: the same answer as a wrong password.
      throw OAuthError.invalidGrant('invalid username or password');
    }
    this.metrics.tokenIssued('password', 'refresh_token');
    return { family: newFamily.family, refreshToken };
  }

  /**
   * A new family with the lifetimes of every login session, for the caller to store
   * (start, in its own transaction).
   */
  prepare(userId: string, client: Client, scope: string, meta: SessionMeta, dpopJkt?: string): PreparedFamily {
    const { start, refreshToken } = this.prepareFor(meta, dpopJkt);
    return { newFamily: { family: { ...start.family, userId, clientId: client.id, scope }, firstTokenHash: start.firstTokenHash }, refreshToken };
  }

  /**
   * The same, before its user, client and scope are known: an authorization code's
   * redemption reads them from the code in the statement that starts the family.
   */
  prepareFor(meta: SessionMeta, dpopJkt?: string): { start: FamilyStart; refreshToken: string } {
    const now = this.clock.now();
    const refreshToken = opaqueToken(this.random);
    const absolute = now + this.config.refreshAbsoluteTtl * 1000;
    const family = {
      id: randomUUID(),
      createdAt: new Date(now),
      lastUsedAt: new Date(now),
      idleExpiresAt: new Date(Math.min(now + this.config.refreshIdleTtl * 1000, absolute)),
      absoluteExpiresAt: new Date(absolute),
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
      revokedAt: null,
      revokedReason: null,
      dpopJkt: dpopJkt ?? null,
    };
    return { start: { family, firstTokenHash: this.hashers.refreshToken.hash(refreshToken) }, refreshToken };
  }

  /**
   * Exchanges a refresh token for its one successor (RFC 6749 §6, RFC 9700 §4.14.2).
   * A retry of the immediate parent inside the grace window gets the same successor;
   * any other reuse revokes the whole family.
   */
  async rotate(
    presented: string,
    client: Client,
    requestedScope: readonly string[] | undefined,
    meta: Pick<SessionMeta, 'requestId'> = {},
    dpopJkt?: string,
  ): Promise<IssuedRefresh> {
    const now = new Date(this.clock.now());
    const presentedHash = this.hashers.refreshToken.hash(presented);
    // The successor is readable only by someone holding the presented token: a copy of
    // the database alone cannot open it (the token has 256 bits; HKDF needs no salt).
    const sealingKey = deriveKey(presented, 'grace-successor');
    const successor = opaqueToken(this.random);
    const prepared = {
      hash: this.hashers.refreshToken.hash(successor),
      sealed: seal(sealingKey, Buffer.from(successor), presentedHash),
    };
    const outcome = await this.families.refresh(
      presentedHash,
      { clientId: client.id, requestedScope, dpopJkt },
      (snapshot) =>
        judgeRefresh(snapshot, { clientId: client.id, now, graceSeconds: this.config.refreshReuseGrace, requestedScope, dpopJkt }),
      prepared,
      now,
      this.config.refreshIdleTtl,
      this.revoker.relevantUntil(now.getTime()),
    );
    if (!outcome) throw OAuthError.invalidGrant();
    return this.settle(outcome, client, successor, sealingKey, presentedHash, meta);
  }

  private async settle(
    outcome: RefreshOutcome,
    client: Client,
    successor: string,
    sealingKey: Buffer,
    presentedHash: Buffer,
    meta: Pick<SessionMeta, 'requestId'>,
  ): Promise<IssuedRefresh> {
    const { verdict, family } = outcome;
    switch (verdict.kind) {
      case 'rotate':
        this.metrics.refreshRotated();
        this.metrics.tokenIssued('refresh_token', 'refresh_token');
        return { family, refreshToken: successor };
      case 'grace': {
        const opened = outcome.sealedSuccessor && unseal(sealingKey, outcome.sealedSuccessor, presentedHash);
        if (!opened) throw OAuthError.invalidGrant();
        this.metrics.refreshGraceHit();
        return { family, refreshToken: opened.toString() };
      }
      case 'reuse':
        this.metrics.refreshReuseDetected(verdict.reason);
        this.logger.warn(`refresh token reuse (${verdict.reason}) in family ${family.id}: family revoked`, inRequest(meta.requestId));
        await this.audit.record({
          type: 'refresh_token_reuse_detected',
          reason: verdict.reason,
          userId: family.userId,
          clientId: client.id,
          familyId: family.id,
          details: { family_client_id: family.clientId },
        });
        await this.revoker.recorded([family], 'refresh_token_reuse', 'system');
        throw OAuthError.invalidGrant();
      case 'expired':
        await this.revoker.recorded([family], 'expired', 'system');
        throw OAuthError.invalidGrant();
      case 'reject':
        if (verdict.reason === 'invalid_scope') {
          throw new OAuthError('invalid_scope', 'the requested scope exceeds the scope of the refresh token');
        }
        if (verdict.reason === 'dpop_key_mismatch') {
          throw OAuthError.invalidGrant('the refresh token is bound to another DPoP key (RFC 9449 §5)');
        }
        throw OAuthError.invalidGrant();
    }
  }

  /** The refresh token as it stands, for introspection and revocation; undefined when unknown. */
  describe(presented: string): Promise<RefreshTokenRecord | undefined> {
    return this.families.describe(this.hashers.refreshToken.hash(presented));
  }

  /**
   * RFC 7009 §2.1 for a refresh token that `clientId` presents: ends its session (the
   * family, and so every access token of it) in one statement, if it is that client's.
   * False when it ended none: an unknown token, another client's, or a session already over.
   */
  async revokeAsOwner(presented: string, clientId: string, actor: string): Promise<boolean> {
    return (await this.revoker.revokeByToken(this.hashers.refreshToken.hash(presented), clientId, 'revoked', actor)) !== undefined;
  }

  /**
   * Active in the sense of RFC 7662 §2.2: unused (a rotated token is dead even inside
   * its grace window), its family neither revoked nor expired, its user enabled.
   */
  isActive(record: RefreshTokenRecord): boolean {
    const now = this.clock.now();
    const { family } = record;
    return (
      record.usedAt === null &&
      family.revokedAt === null &&
      now < family.idleExpiresAt.getTime() &&
      now < family.absoluteExpiresAt.getTime() &&
      !record.userDisabled
    );
  }

  /** Wipes sealed successors whose grace window has closed, JANITOR_BATCH_SIZE rows per statement. */
  wipeClosedGraceWindows(): Promise<number> {
    const usedBefore = new Date(this.clock.now() - this.config.refreshReuseGrace * 1000);
    return this.families.wipeSealedSuccessors(usedBefore, this.config.janitorBatchSize);
  }
}
