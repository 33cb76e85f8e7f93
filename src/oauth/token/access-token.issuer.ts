import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '../../clients/client.js';
import { CLOCK, type Clock } from '../../common/clock.js';
import { RANDOM, type Random } from '../../common/random.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { KeysService } from '../keys/keys.service.js';
import { formatScope } from '../scope.js';

export interface AccessTokenGrant {
  readonly client: Client;
  /** the user id, or the client id for client_credentials (RFC 9068 §2.2) */
  readonly subject: string;
  readonly scope: readonly string[];
  /** the family (login session) id, when a user logged in */
  readonly sid?: string;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly expiresIn: number;
  readonly jti: string;
}

/** RFC 9068 JWT access tokens, signed with the active key. */
@Injectable()
export class AccessTokenIssuer {
  constructor(
    private readonly keys: KeysService,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {}

  issue(grant: AccessTokenGrant): IssuedAccessToken {
    const iat = Math.floor(this.clock.now() / 1000);
    const expiresIn = this.config.accessTokenTtl;
    const jti = this.random.bytes(16).toString('base64url');
    const claims = {
      iss: this.config.issuer,
      sub: grant.subject,
      aud: grant.client.audience ?? this.config.accessTokenAudience,
      exp: iat + expiresIn,
      iat,
      jti,
      client_id: grant.client.id,
      scope: formatScope(grant.scope),
      ...(grant.sid === undefined ? {} : { sid: grant.sid }),
    };
    return { token: this.keys.accessTokenSigner().sign(claims), expiresIn, jti };
  }
}
