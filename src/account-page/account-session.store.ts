/**
 * What the account page needs of a user's login sessions beyond the login flow's own
 * store: which families one login session holds. Owned by account-page/; implemented in
 * persistence/.
 */
export abstract class AccountSessionStore {
  /** The ids of the families started in this login session that are not revoked. */
  abstract liveFamilyIdsOf(loginSessionId: string): Promise<string[]>;
}
