import type { Page, PageRequest } from '../common/page.js';

export interface User {
  readonly id: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly roles: readonly string[];
  readonly disabledAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export const ADMIN_ROLE = 'admin';

export interface UserChanges {
  readonly passwordHash?: string;
  readonly roles?: readonly string[];
}

/** Owned by its callers (users/, oauth/); implemented in persistence/. */
export abstract class UserStore {
  abstract findById(id: string): Promise<User | undefined>;
  abstract findByUsername(username: string): Promise<User | undefined>;
  /** Throws DuplicateError when the username is taken. */
  abstract insert(user: User): Promise<void>;
  /**
   * Disables an enabled user and appends a `user` revocation event, relevant until
   * `relevantUntil`, in one statement. False when the user is unknown or already disabled.
   */
  abstract disable(id: string, now: Date, relevantUntil: Date): Promise<boolean>;
  /** Enables a disabled user; false when unknown or already enabled. */
  abstract enable(id: string, now: Date): Promise<boolean>;
  /** Applies the changes; false when the user is unknown. */
  abstract update(id: string, changes: UserChanges, now: Date): Promise<boolean>;
  /** Newest first; `username` narrows the list to that exact name. */
  abstract list(filter: { readonly username?: string }, page: PageRequest): Promise<Page<User>>;
}
