/**
 * The RFC 7662 §2.2 members of an active token, as introspection returns them. Only
 * ever built for a token that was proven active; everything else is {active: false}.
 */
export interface TokenDescription {
  /**
   * RFC 7662 §2.2 points to RFC 6749 §7.1 (access token types): access tokens only. A
   * refresh token has no such type, so the member is absent for it (node-oidc-provider
   * does the same); a resource server that requires "Bearer" never takes one for access.
   */
  readonly token_type?: 'Bearer' | 'DPoP';
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
  /** RFC 9449 §6.2: the DPoP key the token is bound to */
  readonly cnf?: { readonly jkt: string };
}
