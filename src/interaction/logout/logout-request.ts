import type { Client } from '../../clients/client.js';
import type { IdTokenHint } from '../../oauth/oidc/id-token-hint.verifier.js';
import type { LoginSession } from '../login-session.js';

/**
 * The parameters of RP-Initiated Logout 1.0 §2 that Tessera acts on. logout_hint and
 * ui_locales are OPTIONAL hints an OP may ignore; they and any other member are left out.
 */
export const LOGOUT_PARAMETERS = ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state'] as const;

/** A logout request that passed every check. */
export interface LogoutRequest {
  /** the verified id_token_hint, if one was sent */
  readonly hint: IdTokenHint | undefined;
  /** the client named by client_id or by the hint's aud; undefined when neither names a live one */
  readonly client: Client | undefined;
  /** registered for `client`, compared exactly: the only place the browser may be sent back to */
  readonly postLogoutRedirectUri: string | undefined;
  /** repeated to the post-logout redirect URI (§3) */
  readonly state: string | undefined;
}

export type LogoutStep = 'end' | 'confirm' | 'done';

/**
 * What a logout request does to this browser's login session. §2: the OP MUST ask the user
 * whether to log out unless the id_token_hint belongs to the current session (same sid,
 * same user), so that no other site can log the user out by a link (logout CSRF). With no
 * live session there is nothing to end and nothing to ask.
 */
export function logoutStep(hint: IdTokenHint | undefined, session: LoginSession | undefined): LogoutStep {
  if (!session) return 'done';
  if (hint?.sid === session.id && hint.sub === session.userId) return 'end';
  return 'confirm';
}

/**
 * Where the browser goes after the logout: the registered URI with `state` added to its
 * query (§3; a query the client registered is kept), or undefined for the signed-out page.
 */
export function postLogoutLocation(request: LogoutRequest): string | undefined {
  if (request.postLogoutRedirectUri === undefined) return undefined;
  if (request.state === undefined) return request.postLogoutRedirectUri;
  const url = new URL(request.postLogoutRedirectUri);
  url.searchParams.append('state', request.state);
  return url.href;
}

/** The confirmation form carries what was proven, to be checked again when it comes back. */
export function carriedFields(request: LogoutRequest): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  if (request.client) fields.push(['client_id', request.client.id]);
  if (request.postLogoutRedirectUri !== undefined) fields.push(['post_logout_redirect_uri', request.postLogoutRedirectUri]);
  if (request.state !== undefined) fields.push(['state', request.state]);
  return fields;
}
