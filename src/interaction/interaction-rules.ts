import type { Prompt } from '../oauth/authorization/authorization-request.js';

/** What the authorization endpoint does next for a request that passed every check. */
export type NextStep =
  | { readonly kind: 'login' }
  | { readonly kind: 'consent' }
  | { readonly kind: 'issue' }
  | { readonly kind: 'refuse'; readonly error: 'login_required' | 'consent_required'; readonly description: string };

export interface StepInput {
  readonly prompt: ReadonlySet<Prompt>;
  readonly maxAge: number | undefined;
  /** when the login session's user last entered their password; undefined: no session */
  readonly authTime: Date | undefined;
  readonly now: number;
  /** the password was entered in this very request (a prompt=login is then satisfied) */
  readonly freshLogin: boolean;
  /** consentNeeded() for this user, client and scope */
  readonly consentNeeded: boolean;
  /** the user allowed it in this very request (a prompt=consent is then satisfied) */
  readonly freshConsent: boolean;
}

/**
 * OIDC Core §3.1.2.1: prompt=login and an exceeded max_age ask for the password again,
 * prompt=none shows no page at all (login_required / consent_required instead).
 */
export function nextStep(input: StepInput): NextStep {
  if (loginNeeded(input)) {
    if (input.prompt.has('none')) return { kind: 'refuse', error: 'login_required', description: 'the user is not logged in' };
    return { kind: 'login' };
  }
  if (input.consentNeeded && !input.freshConsent) {
    if (input.prompt.has('none')) return { kind: 'refuse', error: 'consent_required', description: 'the user has not allowed this client' };
    return { kind: 'consent' };
  }
  return { kind: 'issue' };
}

function loginNeeded({ prompt, maxAge, authTime, now, freshLogin }: StepInput): boolean {
  if (authTime === undefined) return true;
  if (freshLogin) return false;
  if (prompt.has('login')) return true;
  return maxAge !== undefined && now - authTime.getTime() > maxAge * 1000;
}
