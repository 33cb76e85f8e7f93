import type { IssuedAccessToken } from './access-token.issuer.js';
import type { TokenResponse } from './grant-handler.js';

export function tokenResponse(access: IssuedAccessToken, scope: readonly string[], refreshToken?: string, idToken?: string): TokenResponse {
  return {
    access_token: access.token,
    token_type: access.dpopJkt === undefined ? 'Bearer' : 'DPoP',
    expires_in: access.expiresIn,
    ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    scope: scope.join(' '),
    ...(idToken === undefined ? {} : { id_token: idToken }),
  };
}
