/**
 * The RFC 7662 §2.2 members of an active token, as introspection returns them. Only
 * ever built for a token that was proven active; everything else is {active: false}.
 */
export interface TokenDescription {
  readonly token_type: 'Bearer' | 'refresh_token';
  readonly scope: string;
  readonly client_id: string;
  /** absent for client_credentials tokens: there is no user */
  readonly username?: string;
  readonly sub: string;
  /** absent for refresh tokens, which are for the authorization server only */
  readonly aud?: string | readonly string[];
  readonly iss: string;
  readonly exp: number;
  readonly iat: number;
  /** absent for refresh tokens */
  readonly jti?: string;
  readonly sid?: string;
}
