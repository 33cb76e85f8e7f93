import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { RecentCache } from '../common/recent-cache.js';
import type { Page, PageRequest } from '../common/page.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { LoginSessionStore } from '../interaction/login-session.js';
import { RevocationView } from '../sessions/revocation-view.service.js';
import { SessionRevoker } from '../sessions/session-revoker.service.js';
import { PasswordHasher } from './password-hasher.js';
import { ADMIN_ROLE, type ProfileChanges, type User, UserStore } from './user.js';
import { passwordWithinLimit, usernameWithinLimit, validEmail, validName, validPassword, validUsername } from './user-rules.js';

export { passwordWithinLimit } from './user-rules.js';
import { usernameKey, usernameProblem } from './username.js';

/** The OpenID Connect profile claims as admins give them; null removes one. */
export interface UserProfile {
  readonly email?: string | null;
  readonly email_verified?: boolean;
  readonly name?: string | null;
}

/** What an admin may change; undefined members stay as they are. */
export interface UserUpdate extends UserProfile {
  readonly disabled?: boolean;
  readonly password?: string;
  readonly admin?: boolean;
}

/** What a new password leaves alive: the sessions of the browser of a user who changed their own. */
export interface PasswordChangeKeep {
  readonly families: ReadonlySet<string>;
  readonly loginSessionId: string;
}

export interface NewUser extends UserProfile {
  readonly username: string;
  readonly password: string;
  readonly admin?: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class UsersService {
  private readonly recent: RecentCache<string, User>;

  constructor(
    private readonly store: UserStore,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly revoker: SessionRevoker,
    private readonly view: RevocationView,
    private readonly loginSessions: LoginSessionStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.recent = new RecentCache(config.introspectionCacheSize, config.revocationMaxStalenessMs, clock);
  }

  async create(input: NewUser, actor: string): Promise<User> {
    const username = validUsername(input.username);
    validPassword(input.password);
    const profile = validProfile(input);
    const now = new Date(this.clock.now());
    const user: User = {
      id: randomUUID(),
      username,
      passwordHash: await this.hasher.hash(input.password),
      roles: input.admin ? [ADMIN_ROLE] : [],
      disabledAt: null,
      email: profile.email ?? null,
      emailVerified: profile.emailVerified ?? false,
      name: profile.name ?? null,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.insert(user, usernameKey(username));
    await this.audit.record({ type: 'user_created', actor, userId: user.id, details: { admin: Boolean(input.admin) } });
    return user;
  }

  /**
   * The user these credentials prove, or undefined. Unknown user, wrong password and
   * disabled user all cost one argon2id verification and give the same answer.
   */
  async authenticate(username: string, password: string): Promise<User | undefined> {
    if (!passwordWithinLimit(password) || !usernameWithinLimit(username)) return undefined;
    const user = await this.findByUsername(username);
    if (!user) return this.hasher.verifyDummy(password).then(() => undefined);
    const valid = await this.hasher.verify(user.passwordHash, password);
    return valid && !user.disabledAt ? user : undefined;
  }

  findById(id: string): Promise<User | undefined> {
    if (!UUID.test(id)) return Promise.resolve(undefined);
    return this.store.findById(id);
  }

  /** The user whose name is the same username as this one under RFC 8265 (usernameKey). */
  findByUsername(username: string): Promise<User | undefined> {
    // A name the profile refuses was never registered (the migration refused old ones too).
    if (usernameProblem(username) !== undefined) return Promise.resolve(undefined);
    return this.store.findByUsernameKey(usernameKey(username));
  }

  /**
   * `username` narrows the list to the one user with the same username under RFC 8265;
   * `search` to those whose username or email contains the text (the admin console's search).
   */
  list(filter: { readonly username?: string; readonly search?: string }, page: PageRequest): Promise<Page<User>> {
    if (filter.search !== undefined) return this.store.list({ search: filter.search }, page);
    if (filter.username === undefined) return this.store.list({}, page);
    if (usernameProblem(filter.username) !== undefined) return Promise.resolve({ items: [], next: undefined });
    return this.store.list({ usernameKey: usernameKey(filter.username) }, page);
  }

  /**
   * A user read at most REVOCATION_MAX_STALENESS_MS ago, for the admin role check on
   * every admin request: a role removed in another process is honoured no longer than a
   * revocation is unknown. Changes made through this service are seen at once here.
   */
  findRecent(id: string): Promise<User | undefined> {
    return this.recent.get(id, () => this.findById(id));
  }

  /**
   * An admin's change to a user. A new password ends every session and login session
   * (reason password_changed); disabling goes through disable(). False when the user is
   * unknown.
   */
  async update(userId: string, change: UserUpdate, actor: string): Promise<boolean> {
    const user = await this.findById(userId);
    if (!user) return false;
    this.recent.delete(userId);
    if (change.password !== undefined) validPassword(change.password);
    const profile = validProfile(change);
    const roles = change.admin === undefined ? undefined : withRole(user.roles, ADMIN_ROLE, change.admin);
    const passwordHash = change.password === undefined ? undefined : await this.hasher.hash(change.password);
    const profileFields = PROFILE_FIELDS.filter((key) => change[key] !== undefined);
    if (roles !== undefined || passwordHash !== undefined || profileFields.length > 0) {
      const now = this.clock.now();
      if (!(await this.store.update(userId, { roles, passwordHash, profile }, new Date(now), this.revoker.relevantUntil(now)))) return false;
      const fields = [...(roles ? ['admin'] : []), ...(passwordHash ? ['password'] : []), ...profileFields].join(',');
      await this.audit.record({ type: 'user_updated', actor, userId, details: { fields, ...(roles ? { admin: Boolean(change.admin) } : {}) } });
      if (passwordHash !== undefined) await this.passwordChanged(userId, actor, undefined);
    }
    if (change.disabled === true) await this.disable(userId, actor);
    if (change.disabled === false && (await this.store.enable(userId, new Date(this.clock.now())))) {
      await this.audit.record({ type: 'user_enabled', actor, userId });
    }
    this.recent.delete(userId);
    return true;
  }

  /**
   * A user's change of their own password, already re-authenticated by the caller: every
   * session and login session of theirs ends (reason password_changed) except `keep`,
   * those of the browser that changed it. Throws InvalidInputError for a password the
   * rules refuse; false when the user is unknown.
   */
  async changePassword(userId: string, password: string, actor: string, keep: PasswordChangeKeep): Promise<boolean> {
    validPassword(password);
    const passwordHash = await this.hasher.hash(password);
    this.recent.delete(userId);
    const now = this.clock.now();
    if (!(await this.store.update(userId, { passwordHash }, new Date(now), this.revoker.relevantUntil(now)))) return false;
    await this.audit.record({ type: 'user_updated', actor, userId, details: { fields: 'password' } });
    await this.passwordChanged(userId, actor, keep);
    return true;
  }

  /**
   * After a new password is stored, whoever set it: CAEP 1.0 §3.3 credential-change
   * (change_type update, credential_type password) in the audit log (streams hear of it
   * from the `credential` event the store wrote), then every login session ends and every
   * session (family) with it, but those in `keep`. Login sessions first, as at logout: a
   * code redeemed meanwhile in one of them starts no family that outlives it.
   */
  private async passwordChanged(userId: string, actor: string, keep: PasswordChangeKeep | undefined): Promise<void> {
    await this.audit.record({ type: 'credential_changed', actor, userId, details: { credential_type: 'password', change_type: 'update' } });
    await this.loginSessions.endAllOf(userId, 'password_changed', new Date(this.clock.now()), keep?.loginSessionId);
    await this.revoker.revokeAllOfExcept(userId, keep?.families ?? new Set(), 'password_changed', actor);
  }

  /**
   * Disables a user: login refuses them, every access token issued to them before now
   * becomes inactive, and every session of theirs is revoked. False when the user is
   * unknown or already disabled.
   */
  async disable(userId: string, actor: string): Promise<boolean> {
    if (!UUID.test(userId)) return false;
    const now = this.clock.now();
    const changed = await this.store.disable(userId, new Date(now), this.revoker.relevantUntil(now));
    this.recent.delete(userId);
    if (!changed) return false;
    await this.view.catchUp().catch(() => undefined);
    await this.audit.record({ type: 'user_disabled', actor, userId });
    await this.revoker.revokeAllOf(userId, 'user_disabled', actor);
    return true;
  }
}

const PROFILE_FIELDS: readonly (keyof UserProfile)[] = ['email', 'email_verified', 'name'];

function validProfile(input: UserProfile): ProfileChanges {
  const { email, email_verified: emailVerified, name } = input;
  return {
    email: email === undefined || email === null ? email : validEmail(email),
    emailVerified,
    name: name === undefined || name === null ? name : validName(name),
  };
}

function withRole(roles: readonly string[], role: string, present: boolean): string[] {
  const others = roles.filter((r) => r !== role);
  return present ? [...others, role] : others;
}
