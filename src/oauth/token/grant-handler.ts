import type { Client, GrantType } from '../../clients/client.js';
import type { SessionMeta } from '../../sessions/refresh-tokens.service.js';
import type { FormParams } from '../form/form-params.js';

export interface TokenRequest {
  readonly client: Client;
  readonly form: FormParams;
  readonly meta: SessionMeta;
  /** RFC 9449 §5: the thumbprint of the key of a valid DPoP proof sent with the request */
  readonly dpopJkt?: string;
}

/** RFC 6749 §5.1 */
export interface TokenResponse {
  readonly access_token: string;
  /** RFC 9449 §5: DPoP when the access token is bound to the client's DPoP key */
  readonly token_type: 'Bearer' | 'DPoP';
  readonly expires_in: number;
  readonly refresh_token?: string;
  readonly scope: string;
  /** OIDC Core §3.1.3.3: with scope openid, once ID tokens can be signed */
  readonly id_token?: string;
}

/** One class per grant; the token endpoint never switches on grant_type (STYLE rule 1). */
export interface GrantHandler {
  readonly grantType: GrantType;
  handle(request: TokenRequest): Promise<TokenResponse>;
}

export const GRANT_HANDLERS = Symbol('GRANT_HANDLERS');
