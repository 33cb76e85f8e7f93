import type { LoginSessionEnd } from '../interaction/login-session.js';

/**
 * What the account page needs of a user's login sessions beyond the login flow's own
 * store: which families one login session holds, and the ending of the others.
 * Owned by account-page/; implemented in persistence/.
 */
export abstract class AccountSessionStore {
  /** The ids of the families started in this login session that are not revoked. */
  abstract liveFamilyIdsOf(loginSessionId: string): Promise<string[]>;

  /** Ends every live login session of the user except `keepId`; returns how many ended. */
  abstract endOthers(userId: string, keepId: string, reason: LoginSessionEnd, now: Date): Promise<number>;
}
