import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import type { Keyset, Page } from '../common/page.js';
import { opaqueToken, RANDOM, type Random } from '../common/random.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import type { Family } from '../sessions/family.js';
import { SecondFactorService } from '../second-factor/second-factor.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import type { User } from '../users/user.js';
import { UsersService } from '../users/users.service.js';
import { actorOf, type ConsoleAdmin } from './console-sign-in.service.js';

export const USERS_PER_PAGE = 20;
const SESSIONS_LISTED = 100;
const MAX_SEARCH = 256;

export interface UserDetail {
  readonly user: User;
  /** newest first, ended ones included */
  readonly sessions: readonly Family[];
  /** more sessions exist than are listed */
  readonly more: boolean;
  readonly secondFactor: { readonly enrolled: boolean; readonly recoveryCodesLeft: number };
}

/** How a session ended, or that it has not. */
export function sessionState(family: Family, now: number): string {
  if (family.revokedAt !== null) return `revoked (${family.revokedReason ?? 'unknown'})`;
  if (family.idleExpiresAt.getTime() <= now || family.absoluteExpiresAt.getTime() <= now) return 'expired';
  return 'active';
}

/**
 * The console's user pages, through the same services as the admin API (UsersService,
 * SessionsService and so the one SessionRevoker): every action is audited the same way,
 * the admin's id as the actor.
 */
@Injectable()
export class ConsoleUsersService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly secondFactors: SecondFactorService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {}

  /** Users whose username or email contains `q` (all users without one), newest first. */
  search(q: string | undefined, after: Keyset | undefined): Promise<Page<User>> {
    const text = q?.trim().slice(0, MAX_SEARCH);
    return this.users.list(text ? { search: text } : {}, { limit: USERS_PER_PAGE, ...(after ? { after } : {}) });
  }

  async detail(id: string): Promise<UserDetail> {
    const user = await this.found(id);
    const [page, secondFactor] = await Promise.all([this.sessions.listOfUser(user.id, { limit: SESSIONS_LISTED }), this.secondFactors.status(user.id)]);
    return { user, sessions: page.items, more: page.next !== undefined, secondFactor };
  }

  now(): number {
    return this.clock.now();
  }

  /** Ends one session of this user; a session of another user is not_found, as an unknown one. */
  async revokeSession(admin: ConsoleAdmin, userId: string, sessionId: string | undefined): Promise<void> {
    const family = sessionId === undefined ? undefined : await this.sessions.find(sessionId);
    if (!family || family.userId !== userId) throw new OAuthError('not_found', 'no such session');
    await this.sessions.revoke(family, 'admin', actorOf(admin));
  }

  async revokeAll(admin: ConsoleAdmin, userId: string): Promise<number> {
    const user = await this.found(userId);
    return this.sessions.revokeAllOf(user.id, 'admin', actorOf(admin));
  }

  /** The admin API's PATCH {disabled}: disabling ends every session of the user. */
  async setDisabled(admin: ConsoleAdmin, userId: string, disabled: boolean): Promise<void> {
    if (disabled && userId === admin.user.id) throw new OAuthError('invalid_request', 'you cannot disable yourself from the console');
    if (!(await this.users.update(userId, { disabled }, actorOf(admin)))) throw new OAuthError('not_found', 'no such user');
  }

  /**
   * A generated password (256 random bits), set as the admin API's PATCH {password} sets
   * one: every session of the user ends. Returned once, to be shown once; never stored.
   */
  async resetPassword(admin: ConsoleAdmin, userId: string): Promise<{ user: User; password: string }> {
    const user = await this.found(userId);
    const password = opaqueToken(this.random);
    if (!(await this.users.update(user.id, { password }, actorOf(admin)))) throw new OAuthError('not_found', 'no such user');
    return { user, password };
  }

  /** The user's authenticator app and recovery codes go (a lost phone); audited as second_factor_removed. */
  async resetSecondFactor(admin: ConsoleAdmin, userId: string): Promise<void> {
    const user = await this.found(userId);
    await this.secondFactors.remove(user.id, actorOf(admin));
  }

  private async found(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new OAuthError('not_found', 'no such user');
    return user;
  }
}
