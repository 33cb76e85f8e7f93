import type { Page, PageRequest } from '../common/page.js';

export interface User {
  readonly id: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly roles: readonly string[];
  readonly disabledAt: Date | null;
  /** OpenID Connect profile claims (Core 1.0 §5.1), released by scope through userinfo */
  readonly email: string | null;
  readonly emailVerified: boolean;
  readonly name: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export const ADMIN_ROLE = 'admin';

export interface UserFilter {
  readonly usernameKey?: string;
  readonly search?: string;
}

/** Undefined members stay as they are; a null email or name removes it. */
export interface UserChanges {
  readonly passwordHash?: string;
  readonly roles?: readonly string[];
  readonly profile?: ProfileChanges;
}

export interface ProfileChanges {
  readonly email?: string | null;
  readonly emailVerified?: boolean;
  readonly name?: string | null;
}

/** Owned by its callers (users/, oauth/); implemented in persistence/. */
export abstract class UserStore {
  abstract findById(id: string): Promise<User | undefined>;
  /** By the username's comparison key (usernameKey), never by the name as typed. */
  abstract findByUsernameKey(key: string): Promise<User | undefined>;
  /** Throws DuplicateError when a username with the same comparison key exists. */
  abstract insert(user: User, usernameKey: string): Promise<void>;
  /**
   * Disables an enabled user and appends a `user` revocation event, relevant until
   * `relevantUntil`, in one statement. False when the user is unknown or already disabled.
   */
  abstract disable(id: string, now: Date, relevantUntil: Date): Promise<boolean>;
  /** Enables a disabled user; false when unknown or already enabled. */
  abstract enable(id: string, now: Date): Promise<boolean>;
  /**
   * Applies the changes; false when the user is unknown. A new password hash appends a
   * `credential` event, relevant until `relevantUntil`, in the same statement: no password
   * changes without Shared Signals streams hearing of it.
   */
  abstract update(id: string, changes: UserChanges, now: Date, relevantUntil: Date): Promise<boolean>;
  /**
   * Newest first; `usernameKey` narrows the list to the user with that comparison key,
   * `search` to those whose username or email contains it (case-insensitive).
   */
  abstract list(filter: UserFilter, page: PageRequest): Promise<Page<User>>;
}
