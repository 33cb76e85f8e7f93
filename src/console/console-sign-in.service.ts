import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CONSOLE_CLIENT_ID, consoleRedirectUri } from '../clients/console-client.js';
import { ClientsService } from '../clients/clients.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { constantTimeEqual } from '../common/crypto.js';
import { opaqueToken, RANDOM, type Random } from '../common/random.js';
import { TokenHashers } from '../common/token-hashers.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { AuthorizationCodesService } from '../oauth/authorization/authorization-codes.service.js';
import { s256 } from '../oauth/authorization/pkce.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import type { FormParams } from '../oauth/form/form-params.js';
import type { SessionMeta } from '../sessions/refresh-tokens.service.js';
import { SessionRevoker } from '../sessions/session-revoker.service.js';
import { ADMIN_ROLE, type User } from '../users/user.js';
import { UsersService } from '../users/users.service.js';
import { ConsoleCookie } from './console-cookie.js';
import { type ConsoleSession, ConsoleSessionStore } from './console-session.js';

/** From /console to the callback: a login, perhaps a throttle wait. */
const PENDING_SECONDS = 600;
/** A console sign-in lasts a working day at most, and never longer than its family. */
const SIGNED_IN_SECONDS = 8 * 3600;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface ConsoleAdmin {
  readonly session: ConsoleSession;
  readonly user: User;
}

export interface StartedSignIn {
  readonly token: string;
  readonly maxAge: number;
  /** /oauth/authorize of this issuer, for the console client, with state and S256 challenge */
  readonly location: string;
}

export type FinishedSignIn = { readonly kind: 'admin'; readonly token: string; readonly maxAge: number } | { readonly kind: 'not-admin' };

/**
 * The console signs in as any client would: Tessera's own authorization code flow with
 * PKCE (RFC 7636 S256) and state, as the first-party client `tessera-console`. The code
 * is redeemed in-process through the same redemption as the token endpoint's (one
 * statement, exactly once, replay ends the family); the refresh token it yields never
 * leaves this process, and the console session lives only as long as the family.
 */
@Injectable()
export class ConsoleSignIn {
  readonly cookie: ConsoleCookie;
  private readonly issuer: string;

  constructor(
    private readonly store: ConsoleSessionStore,
    private readonly hashers: TokenHashers,
    private readonly clients: ClientsService,
    private readonly codes: AuthorizationCodesService,
    private readonly revoker: SessionRevoker,
    private readonly users: UsersService,
    @Inject(CONFIG) config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {
    this.issuer = config.issuer;
    this.cookie = new ConsoleCookie(config.issuer);
  }

  /** A pending session, and the authorization request that leads to the callback. */
  async start(): Promise<StartedSignIn> {
    const now = this.clock.now();
    const token = opaqueToken(this.random);
    const state = opaqueToken(this.random);
    const codeVerifier = opaqueToken(this.random);
    await this.store.insertPending(
      { id: randomUUID(), state, codeVerifier, createdAt: new Date(now), expiresAt: new Date(now + PENDING_SECONDS * 1000) },
      this.hashers.consoleSession.hash(token),
    );
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: CONSOLE_CLIENT_ID,
      redirect_uri: consoleRedirectUri(this.issuer),
      state,
      code_challenge: s256(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { token, maxAge: PENDING_SECONDS, location: `${this.issuer.replace(/\/+$/, '')}/oauth/authorize?${params.toString()}` };
  }

  /**
   * The callback: the pending session of this browser is taken (once), its state compared
   * in constant time, iss checked (RFC 9207 §2.4), the code redeemed. A user who is not an
   * admin gets no console session, and the family just started ends.
   */
  async finish(token: string | undefined, query: FormParams, meta: SessionMeta): Promise<FinishedSignIn> {
    const pending = token !== undefined && TOKEN.test(token) ? await this.store.claimPending(this.hashers.consoleSession.hash(token), new Date(this.clock.now())) : undefined;
    const state = query.get('state');
    if (!pending || state === undefined || !constantTimeEqual(Buffer.from(state), Buffer.from(pending.state))) {
      throw new OAuthError('access_denied', 'this sign-in was not started in this browser, or took too long: open the console again');
    }
    const iss = query.get('iss');
    if (iss !== undefined && iss !== this.issuer) throw new OAuthError('access_denied', 'the authorization response came from another issuer');
    const error = query.get('error');
    if (error !== undefined) throw new OAuthError('access_denied', `the sign-in did not complete (${error}): open the console again`);
    const client = await this.clients.findById(CONSOLE_CLIENT_ID);
    if (!client) throw new OAuthError('server_error', 'the console client is missing: run the migrations');
    const redeemed = await this.codes.redeem(query.require('code'), { client, codeVerifier: pending.codeVerifier, redirectUri: consoleRedirectUri(this.issuer) }, meta);
    const user = await this.users.findById(redeemed.family.userId);
    if (!user || !isAdmin(user)) {
      await this.store.delete(pending.id);
      await this.revoker.revoke([redeemed.family.id], 'logout', `user:${redeemed.family.userId}`);
      return { kind: 'not-admin' };
    }
    const signedIn = opaqueToken(this.random);
    const now = this.clock.now();
    const expiresAt = Math.min(now + SIGNED_IN_SECONDS * 1000, redeemed.family.absoluteExpiresAt.getTime());
    await this.store.signIn(pending.id, this.hashers.consoleSession.hash(signedIn), user.id, redeemed.family.id, new Date(expiresAt));
    return { kind: 'admin', token: signedIn, maxAge: Math.max(1, Math.floor((expiresAt - now) / 1000)) };
  }

  /**
   * The admin of this cookie, checked on every request (a role removed or a user disabled
   * elsewhere is honoured within REVOCATION_MAX_STALENESS_MS); 'not-admin' for a signed-in
   * user who is no longer one; undefined without a live console session.
   */
  async current(token: string | undefined): Promise<ConsoleAdmin | 'not-admin' | undefined> {
    if (token === undefined || !TOKEN.test(token)) return undefined;
    const session = await this.store.current(this.hashers.consoleSession.hash(token), new Date(this.clock.now()));
    if (!session) return undefined;
    const user = await this.users.findRecent(session.userId);
    if (!user || !isAdmin(user)) return 'not-admin';
    return { session, user };
  }

  /** Signing out ends the console session and the family it signed in with (its refresh token dies). */
  async signOut(admin: ConsoleAdmin): Promise<void> {
    await this.store.delete(admin.session.id);
    await this.revoker.revoke([admin.session.familyId], 'logout', actorOf(admin));
  }
}

export function isAdmin(user: User): boolean {
  return user.disabledAt === null && user.roles.includes(ADMIN_ROLE);
}

/** The actor the audit log and revoked families record: the admin, as the admin API records them. */
export function actorOf(admin: ConsoleAdmin): string {
  return `user:${admin.user.id}`;
}
