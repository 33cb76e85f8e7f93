import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { Client } from '../clients/client.js';
import { ClientsService } from '../clients/clients.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { AccessTokenIssuer } from '../oauth/token/access-token.issuer.js';
import type { TokenResponse } from '../oauth/token/grant-handler.js';
import { loginScope } from '../oauth/token/grants/password.grant.js';
import { tokenResponse } from '../oauth/token/token-response.js';
import type { Family } from '../sessions/family.js';
import { RefreshTokensService, type SessionMeta } from '../sessions/refresh-tokens.service.js';
import { SessionRevoker } from '../sessions/session-revoker.service.js';
import type { User } from '../users/user.js';
import { CSRF_COOKIE, REFRESH_COOKIE, type RequestCookies } from './cookies.js';
import { CsrfTokens, familyBinding, LOGIN_BINDING } from './csrf-tokens.js';

/** The session a request's refresh cookie names. */
export interface BrowserSession {
  /** the refresh token, as the cookie carried it */
  readonly presented: string;
  readonly family: Family;
  /** undefined when the family's client is gone */
  readonly client: Client | undefined;
}

/** What a login or refresh hands the browser. */
export interface BrowserGrant {
  /** RFC 6749 §5.1 without refresh_token: that one goes in the cookie only */
  readonly body: Omit<TokenResponse, 'refresh_token'>;
  readonly refreshToken: string;
  readonly csrfToken: string;
  /** seconds until the family ends: the cookies' Max-Age */
  readonly maxAge: number;
}

export interface CsrfGrant {
  readonly token: string;
  /** undefined for a pre-login token: it lasts the browser session */
  readonly maxAge: number | undefined;
}

/**
 * Browser sessions on top of the token core: the same families, the same rotation and
 * reuse rules (RefreshTokensService), the same revoker; only the transport differs.
 */
@Injectable()
export class BrowserSessionsService {
  constructor(
    private readonly refreshTokens: RefreshTokensService,
    private readonly accessTokens: AccessTokenIssuer,
    private readonly clients: ClientsService,
    private readonly revoker: SessionRevoker,
    private readonly audit: AuditService,
    private readonly csrf: CsrfTokens,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * The live session of the refresh cookie; undefined when there is none, its token is
   * unknown or its family is over (a session that ended has nothing left to protect).
   */
  async resolve(cookies: RequestCookies): Promise<BrowserSession | undefined> {
    const presented = cookies.one(REFRESH_COOKIE);
    if (presented === undefined) return undefined;
    const record = await this.refreshTokens.describe(presented);
    if (!record || !this.isAlive(record.family)) return undefined;
    return { presented, family: record.family, client: await this.clients.findById(record.family.clientId) };
  }

  /** A new family for a user that the local strategy proved (CONTRACT "Browser sessions"). */
  async login(user: User, client: Client, requested: string[] | undefined, meta: SessionMeta, replaced?: Family): Promise<BrowserGrant> {
    const scope = loginScope(user, client, requested);
    const { family, refreshToken } = await this.refreshTokens.start(user, client, scope.join(' '), meta);
    await this.audit.record({ type: 'login_succeeded', userId: user.id, clientId: client.id, familyId: family.id, ip: meta.ip });
    // A browser holds one session: the one its cookie held loses its token now, so it ends.
    if (replaced) await this.revoker.revoke([replaced.id], 'logout', `user:${replaced.userId}`);
    const access = await this.accessTokens.issue({ client, grantType: 'password', subject: user.id, scope, sid: family.id });
    return this.grant(family, refreshToken, this.csrf.issue(familyBinding(family.id)), tokenResponse(access, scope));
  }

  /**
   * Rotates the cookie's refresh token under the token core's rules, grace included: two
   * tabs sending the same cookie at once both get its one successor. The CSRF token
   * stays the family's, so every tab keeps a valid one.
   */
  async refresh(session: BrowserSession & { client: Client }, csrfToken: string, requestId?: string): Promise<BrowserGrant> {
    const { family, refreshToken } = await this.refreshTokens.rotate(session.presented, session.client, undefined, { requestId });
    const scope = family.scope.split(' ').filter(Boolean);
    const access = await this.accessTokens.issue({ client: session.client, grantType: 'refresh_token', subject: family.userId, scope, sid: family.id });
    return this.grant(family, refreshToken, csrfToken, tokenResponse(access, scope));
  }

  async logout(session: BrowserSession): Promise<void> {
    await this.revoker.revoke([session.family.id], 'logout', `user:${session.family.userId}`);
  }

  /**
   * The CSRF token for the browser's state: its live family's, or a pre-login one. The
   * token the cookie holds is kept while it is valid, so tabs that share it agree.
   */
  csrfToken(cookies: RequestCookies, session: BrowserSession | undefined): CsrfGrant {
    const live = session?.family;
    const binding = live ? familyBinding(live.id) : LOGIN_BINDING;
    const current = cookies.one(CSRF_COOKIE);
    const token = current !== undefined && this.csrf.verify(current, binding) ? current : this.csrf.issue(binding);
    return { token, maxAge: live ? this.remainingLife(live) : undefined };
  }

  private isAlive(family: Family): boolean {
    return family.revokedAt === null && this.remainingLife(family) > 0;
  }

  /** Seconds until the family ends at its idle or absolute expiry, whichever comes first. */
  private remainingLife(family: Family): number {
    const end = Math.min(family.idleExpiresAt.getTime(), family.absoluteExpiresAt.getTime());
    return Math.max(0, Math.floor((end - this.clock.now()) / 1000));
  }

  private grant(family: Family, refreshToken: string, csrfToken: string, response: TokenResponse): BrowserGrant {
    const { refresh_token: _never, ...body } = response;
    return { body, refreshToken, csrfToken, maxAge: this.remainingLife(family) };
  }
}
