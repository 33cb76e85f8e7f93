import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '../../clients/client.js';
import { CLOCK, type Clock } from '../../common/clock.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import type { Family } from '../../sessions/family.js';
import type { AuthorizationCode } from '../authorization/authorization-code.js';
import { idTokenClaims } from './id-token-claims.js';
import { type FamilyAuthentication, FamilyAuthenticationStore, IdTokenSigner } from './id-token.js';
import { OPENID_SCOPE } from './oidc-scopes.js';

/**
 * ID tokens for code exchanges and refreshes granted scope openid (OIDC Core §3.1.3.3,
 * §12.2), signed by the IdTokenSigner (the active key, header typ JWT).
 */
@Injectable()
export class IdTokenIssuer {
  constructor(
    private readonly authentications: FamilyAuthenticationStore,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly signer: IdTokenSigner,
  ) {}

  forCode(client: Client, code: AuthorizationCode, family: Family, scope: readonly string[]): string | undefined {
    if (!scope.includes(OPENID_SCOPE)) return undefined;
    const sid = code.loginSessionId ?? family.id;
    return this.sign(client, family.userId, { authTime: code.authTime, amr: code.amr, sid }, code.nonce ?? undefined);
  }

  /** Same sid, auth_time and amr as the first one of the family, and no nonce (OIDC Core §12.2). */
  async forRefresh(client: Client, family: Family, scope: readonly string[]): Promise<string | undefined> {
    if (!scope.includes(OPENID_SCOPE)) return undefined;
    const authentication = await this.authentications.find(family.id);
    return authentication && this.sign(client, family.userId, authentication);
  }

  private sign(client: Client, subject: string, authentication: FamilyAuthentication, nonce?: string): string {
    const now = Math.floor(this.clock.now() / 1000);
    const { authTime, amr, sid } = authentication;
    const claims = idTokenClaims({ issuer: this.config.issuer, subject, clientId: client.id, authTime, amr, sid, nonce, now, ttl: this.config.accessTokenTtl });
    return this.signer.sign(claims);
  }
}
