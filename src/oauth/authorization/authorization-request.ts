import type { Client } from '../../clients/client.js';

export type Prompt = 'none' | 'login' | 'consent';

/** The parameters the authorization endpoint reads; any other is ignored (RFC 6749 §3.1). */
export const AUTHORIZATION_PARAMETERS = [
  'response_type',
  'response_mode',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
  'prompt',
  'max_age',
  'login_hint',
  'request_uri',
  // RFC 9449 §10: the DPoP key the code's tokens must be bound to
  'dpop_jkt',
] as const;
export type AuthorizationParameter = (typeof AUTHORIZATION_PARAMETERS)[number];

/** The parameters of one request, each at most once (a repeated one was refused when read). */
export type Parameters = ReadonlyMap<string, string>;

/** A request every check has passed. */
export interface AuthorizationRequest {
  readonly client: Client;
  readonly redirectUri: string;
  /** the token request must then repeat it (RFC 6749 §4.1.3) */
  readonly redirectUriSent: boolean;
  /** undefined: none asked for, the client's defaults apply */
  readonly scope: readonly string[] | undefined;
  readonly state: string | undefined;
  readonly codeChallenge: string;
  /** RFC 9449 §10: the code is redeemed only with a DPoP proof of this key */
  readonly dpopJkt: string | undefined;
  readonly nonce: string | undefined;
  readonly prompt: ReadonlySet<Prompt>;
  /** seconds (OIDC Core §3.1.2.1) */
  readonly maxAge: number | undefined;
  readonly loginHint: string | undefined;
  /** what the login and consent forms carry back: client_id and request_uri alone for a pushed request */
  readonly carried: Parameters;
  /** the request_uri of a pushed request (RFC 9126), used up when the request is answered */
  readonly requestUri: string | undefined;
}
