import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service.js';
import type { Client } from '../../clients/client.js';
import { CLOCK, type Clock } from '../../common/clock.js';
import { opaqueToken, RANDOM, type Random } from '../../common/random.js';
import { TokenHashers } from '../../common/token-hashers.js';
import { inRequest } from '../../logging/request-context.js';
import { Metrics } from '../../metrics/metrics.js';
import type { Family } from '../../sessions/family.js';
import { RefreshTokensService, type SessionMeta } from '../../sessions/refresh-tokens.service.js';
import { SessionRevoker } from '../../sessions/session-revoker.service.js';
import { OAuthError } from '../errors/oauth-error.js';
import { type AuthorizationCode, AuthorizationCodeStore } from './authorization-code.js';
import { s256 } from './pkce.js';

/** RFC 6749 §4.1.2 recommends at most 10 minutes; a client redeems at once, so 60 s is plenty. */
export const CODE_TTL_SECONDS = 60;

/** What /authorize decided, to be bound to the code. */
export interface CodeGrant {
  readonly client: Client;
  readonly userId: string;
  readonly redirectUri: string;
  readonly redirectUriSent: boolean;
  readonly codeChallenge: string;
  /** RFC 9449 §10: the DPoP key the code must be redeemed with */
  readonly dpopJkt?: string;
  readonly scope: readonly string[];
  readonly nonce?: string;
  readonly authTime: Date;
  /** RFC 8176 amr of the login session's last login; a password alone when not said */
  readonly amr?: readonly string[];
  readonly loginSessionId?: string;
}

/** What the token request presents with the code. */
export interface CodePresentation {
  readonly client: Client;
  readonly codeVerifier: string;
  readonly redirectUri: string | undefined;
  /** RFC 9449 §5: the DPoP key the new family is bound to */
  readonly dpopJkt?: string;
}

export interface RedeemedCode {
  readonly code: AuthorizationCode;
  readonly family: Family;
  readonly refreshToken: string;
}

/** Authorization codes: issued at /authorize, redeemed once at /oauth/token. */
@Injectable()
export class AuthorizationCodesService {
  private readonly logger = new Logger('authorization-code');

  constructor(
    private readonly store: AuthorizationCodeStore,
    private readonly hashers: TokenHashers,
    private readonly refreshTokens: RefreshTokensService,
    private readonly revoker: SessionRevoker,
    private readonly audit: AuditService,
    private readonly metrics: Metrics,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {}

  /** A new code with 256 random bits (RFC 6749 §10.10); only its keyed hash is stored. */
  async issue(grant: CodeGrant): Promise<string> {
    const now = this.clock.now();
    const code = opaqueToken(this.random);
    await this.store.insert(this.hashers.authorizationCode.hash(code), {
      clientId: grant.client.id,
      userId: grant.userId,
      redirectUri: grant.redirectUri,
      redirectUriSent: grant.redirectUriSent,
      codeChallenge: grant.codeChallenge,
      dpopJkt: grant.dpopJkt ?? null,
      scope: grant.scope.join(' '),
      nonce: grant.nonce ?? null,
      authTime: grant.authTime,
      amr: grant.amr ?? ['pwd'],
      loginSessionId: grant.loginSessionId ?? null,
      createdAt: new Date(now),
      expiresAt: new Date(now + CODE_TTL_SECONDS * 1000),
    });
    return code;
  }

  /**
   * Exchanges a code for a new family, exactly once. Every failure is the same
   * invalid_grant (RFC 6749 §5.2), and a code presented again after its redemption ends
   * the family it started (RFC 6749 §4.1.2), whoever presents it.
   */
  async redeem(presented: string, request: CodePresentation, meta: SessionMeta): Promise<RedeemedCode> {
    const now = new Date(this.clock.now());
    const prepared = this.refreshTokens.prepareFor(meta, request.dpopJkt);
    const outcome = await this.store.redeem(
      this.hashers.authorizationCode.hash(presented),
      { clientId: request.client.id, codeChallenge: s256(request.codeVerifier), redirectUri: request.redirectUri, dpopJkt: request.dpopJkt, now },
      prepared.start,
      this.revoker.relevantUntil(now.getTime()),
    );
    switch (outcome.kind) {
      case 'redeemed':
        this.metrics.tokenIssued('authorization_code', 'refresh_token');
        return { code: outcome.code, family: outcome.family, refreshToken: prepared.refreshToken };
      case 'replayed':
        this.logger.warn(`authorization code replayed by client ${request.client.id}: ${outcome.revoked.length} session(s) revoked`, inRequest(meta.requestId));
        await this.audit.record({
          type: 'authorization_code_reuse_detected',
          userId: outcome.userId,
          clientId: request.client.id,
          familyId: outcome.revoked[0]?.id,
          ip: meta.ip,
          details: { code_client_id: outcome.clientId, sessions_revoked: outcome.revoked.length },
        });
        await this.revoker.recorded(outcome.revoked, 'code_reuse', 'system');
        throw OAuthError.invalidGrant();
      case 'invalid':
        throw OAuthError.invalidGrant();
    }
  }
}
