import { Inject, Injectable } from '@nestjs/common';
import type { Client, GrantType } from '../../clients/client.js';
import { CLOCK, type Clock } from '../../common/clock.js';
import { opaqueToken, RANDOM, type Random } from '../../common/random.js';
import { TokenHashers } from '../../common/token-hashers.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { Metrics } from '../../metrics/metrics.js';
import { AccessTokenStore } from '../access-token/access-token.js';
import { KeysService } from '../keys/keys.service.js';
import { formatScope } from '../scope.js';

export interface AccessTokenGrant {
  readonly client: Client;
  /** the grant it is issued under (a browser login is `password`, its refresh `refresh_token`) */
  readonly grantType: GrantType;
  /** the user id, or the client id for client_credentials (RFC 9068 §2.2) */
  readonly subject: string;
  readonly scope: readonly string[];
  /** the family (login session) id, when a user logged in */
  readonly sid?: string;
  /** RFC 9449 §6: the DPoP key the token is bound to */
  readonly dpopJkt?: string;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly expiresIn: number;
  readonly jti: string;
  readonly dpopJkt?: string;
}

/**
 * RFC 9068 JWT access tokens signed with the active key or, for clients registered with
 * format `opaque`, reference tokens: 256 random bits whose keyed hash is stored with the
 * claims, meaningful only through introspection (CONTRACT "Access tokens").
 */
@Injectable()
export class AccessTokenIssuer {
  constructor(
    private readonly keys: KeysService,
    private readonly store: AccessTokenStore,
    private readonly hashers: TokenHashers,
    private readonly metrics: Metrics,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {}

  async issue(grant: AccessTokenGrant): Promise<IssuedAccessToken> {
    const iat = Math.floor(this.clock.now() / 1000);
    const expiresIn = this.config.accessTokenTtl;
    const jti = this.random.bytes(16).toString('base64url');
    const aud = grant.client.audience ?? this.config.accessTokenAudience;
    const scope = formatScope(grant.scope);
    this.metrics.tokenIssued(grant.grantType, 'access_token');
    if (grant.client.accessTokenFormat === 'opaque') {
      const token = opaqueToken(this.random);
      await this.store.insertOpaque({
        hash: this.hashers.opaqueAccessToken.hash(token),
        jti,
        clientId: grant.client.id,
        subject: grant.subject,
        userId: grant.sid === undefined ? null : grant.subject,
        familyId: grant.sid ?? null,
        scope,
        audience: aud,
        issuedAt: new Date(iat * 1000),
        expiresAt: new Date((iat + expiresIn) * 1000),
        dpopJkt: grant.dpopJkt ?? null,
      });
      return { token, expiresIn, jti, dpopJkt: grant.dpopJkt };
    }
    const claims = {
      iss: this.config.issuer,
      sub: grant.subject,
      aud,
      exp: iat + expiresIn,
      iat,
      jti,
      client_id: grant.client.id,
      scope,
      ...(grant.sid === undefined ? {} : { sid: grant.sid }),
      // RFC 9449 §6.1: the confirmation claim names the key a proof must be signed with.
      ...(grant.dpopJkt === undefined ? {} : { cnf: { jkt: grant.dpopJkt } }),
    };
    return { token: this.keys.accessTokenSigner().sign(claims), expiresIn, jti, dpopJkt: grant.dpopJkt };
  }
}
