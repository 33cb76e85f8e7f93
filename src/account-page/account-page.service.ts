import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AuditService } from '../audit/audit.service.js';
import { provePassword } from '../browser/guards/local-auth.guard.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { InvalidInputError } from '../common/errors.js';
import type { Consent } from '../interaction/consent.js';
import { ConsentsService } from '../interaction/consents.service.js';
import { type LoginSession, LoginSessionStore } from '../interaction/login-session.js';
import { LogoutService } from '../interaction/logout/logout.service.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import type { Family } from '../sessions/family.js';
import { SessionRevoker } from '../sessions/session-revoker.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { LocalStrategy } from '../users/local.strategy.js';
import type { User } from '../users/user.js';
import { UsersService } from '../users/users.service.js';
import { SecondFactorService } from '../second-factor/second-factor.service.js';
import { AccountSessionStore } from './account-session.store.js';

const MAX_LISTED = 200;

export interface AccountOverview {
  readonly user: User;
  /** live sessions, newest first; `current` marks those of this browser's login session */
  readonly sessions: readonly { readonly family: Family; readonly current: boolean }[];
  readonly consents: readonly Consent[];
  /** whether TOTP is on, and how many recovery codes are left */
  readonly totp: { readonly enrolled: boolean; readonly recoveryCodesLeft: number };
}

export interface PasswordChange {
  readonly current: string | undefined;
  readonly next: string | undefined;
  readonly confirmation: string | undefined;
  /** the client IP, the key of the login throttle the re-authentication goes through */
  readonly ip: string;
}

export type PasswordOutcome = 'changed' | 'wrong-password' | 'mismatch' | 'password-rules';

/**
 * What a signed-in user may do on the account page, in the login session of their
 * browser. Every session ending goes through the SessionRevoker (audit, revocation
 * feed, and so signals and back-channel logout); someone else's session or consent
 * answers like one that does not exist.
 */
@Injectable()
export class AccountPageService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly revoker: SessionRevoker,
    private readonly consents: ConsentsService,
    private readonly store: AccountSessionStore,
    private readonly loginSessions: LoginSessionStore,
    private readonly logouts: LogoutService,
    private readonly strategy: LocalStrategy,
    private readonly audit: AuditService,
    private readonly secondFactors: SecondFactorService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Undefined when the session's user is gone. */
  async overview(session: LoginSession): Promise<AccountOverview | undefined> {
    const user = await this.users.findById(session.userId);
    if (!user) return undefined;
    const [page, mine, consents, totp] = await Promise.all([
      this.sessions.listOfUser(user.id, { limit: MAX_LISTED }, true),
      this.store.liveFamilyIdsOf(session.id),
      this.consents.listOfUser(user.id),
      this.secondFactors.status(user.id),
    ]);
    const current = new Set(mine);
    return { user, sessions: page.items.map((family) => ({ family, current: current.has(family.id) })), consents, totp };
  }

  /** Ends one of the user's sessions; another user's, or none, is not_found and nothing changes. */
  async endSession(session: LoginSession, id: string | undefined): Promise<void> {
    const family = id === undefined ? undefined : await this.sessions.find(id);
    if (!family || family.userId !== session.userId) throw new OAuthError('not_found', 'no such session');
    await this.sessions.revoke(family, 'logout', actorOf(session));
  }

  /**
   * "Log out everywhere else": every family of the user except this login session's
   * ends, and so do the user's other login sessions (else another browser could get new
   * tokens without a password). Returns how many families ended.
   */
  async endOthers(session: LoginSession): Promise<number> {
    const keep = new Set(await this.store.liveFamilyIdsOf(session.id));
    const ended = await this.revoker.revokeAllOfExcept(session.userId, keep, 'logout', actorOf(session));
    await this.loginSessions.endAllOf(session.userId, 'logout', new Date(this.clock.now()), session.id);
    return ended.length;
  }

  async revokeConsent(session: LoginSession, clientId: string | undefined): Promise<void> {
    if (clientId === undefined || !(await this.consents.revoke(session.userId, clientId, actorOf(session)))) {
      throw new OAuthError('not_found', 'no such consent');
    }
  }

  /**
   * A new password, after the current one is proven again through the login throttle
   * and passport-local (a stolen session cookie alone cannot take the account over).
   * Every other session and login session of the user ends; this browser's stay
   * (UsersService.changePassword, the same ending as an admin's new password).
   */
  async changePassword(session: LoginSession, change: PasswordChange, reply: FastifyReply): Promise<PasswordOutcome> {
    const user = await this.users.findById(session.userId);
    if (!user) throw new OAuthError('not_found', 'no such user');
    if (change.next === undefined || change.next !== change.confirmation) return 'mismatch';
    if (!(await this.reauthenticated(user, change.current, change.ip, 'password_change', reply))) return 'wrong-password';
    const keep = { families: new Set(await this.store.liveFamilyIdsOf(session.id)), loginSessionId: session.id };
    try {
      await this.users.changePassword(user.id, change.next, actorOf(session), keep);
    } catch (error) {
      if (error instanceof InvalidInputError) return 'password-rules';
      throw error;
    }
    return 'changed';
  }

  /**
   * Turning TOTP off takes the current password again, as a password change does: a
   * stolen session cookie alone cannot remove the factor that protects the account.
   */
  async removeTotp(session: LoginSession, password: string | undefined, ip: string, reply: FastifyReply): Promise<'totp-removed' | 'wrong-password'> {
    const user = await this.users.findById(session.userId);
    if (!user) throw new OAuthError('not_found', 'no such user');
    if (!(await this.reauthenticated(user, password, ip, 'second_factor_removal', reply))) return 'wrong-password';
    await this.secondFactors.remove(user.id, actorOf(session));
    return 'totp-removed';
  }

  /** The password proven again through the login throttle and passport-local; a failure is audited. */
  private async reauthenticated(user: User, password: string | undefined, ip: string, purpose: string, reply: FastifyReply): Promise<boolean> {
    const proven = password === undefined ? false : await provePassword(this.strategy, { username: user.username, password, ip }, reply);
    if (proven && proven.id === user.id) return true;
    await this.audit.record({ type: 'login_failed', userId: user.id, ip, details: { purpose } });
    return false;
  }

  /**
   * Signing out of Tessera: this login session ends, and every session started in it, the
   * same logout as the end_session_endpoint's (the session first, so that a code redeemed
   * meanwhile starts no family that outlives it).
   */
  async signOut(session: LoginSession, ip: string): Promise<void> {
    await this.logouts.end(session, { ip });
  }
}

function actorOf(session: LoginSession): string {
  return `user:${session.userId}`;
}
