/** What a user allowed a third-party client: remembered until revoked. */
export interface Consent {
  readonly userId: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly grantedAt: Date;
}

/** Owned by interaction/; implemented in persistence/. */
export abstract class ConsentStore {
  abstract find(userId: string, clientId: string): Promise<Consent | undefined>;
  /** Adds scopes to what the user allowed the client (a wider request asked again). */
  abstract grant(userId: string, clientId: string, scopes: readonly string[], now: Date): Promise<void>;
  abstract listOfUser(userId: string): Promise<Consent[]>;
  /** False when there was nothing to revoke. */
  abstract revoke(userId: string, clientId: string): Promise<boolean>;
}

/**
 * Does this request need the user's consent? Not for the operator's own (first-party)
 * clients, not when every scope asked for was allowed before, unless prompt=consent
 * asks again (OIDC Core §3.1.2.1).
 */
export function consentNeeded(
  client: { readonly firstParty: boolean },
  scope: readonly string[],
  remembered: Consent | undefined,
  promptConsent: boolean,
): boolean {
  if (client.firstParty) return false;
  if (promptConsent) return true;
  return remembered === undefined || scope.some((s) => !remembered.scopes.includes(s));
}
