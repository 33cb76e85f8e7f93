import type { Client } from '../../clients/client.js';

/**
 * The scopes OpenID Connect gives a meaning to (Core 1.0 §3.1.2.1, §5.4, §11). As in
 * node-oidc-provider, they are the provider's, not the client's: a client that may run the
 * code flow may ask for them without registering them, and its registered scopes limit only
 * the scopes of its APIs. offline_access is accepted so that stock relying parties can send
 * it; whether a refresh token is issued still depends on the client's refresh_token grant.
 */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

export const OPENID_SCOPE = 'openid';

/** The scopes `client` may ask /authorize for: its registered ones and, with the code grant, the OIDC ones. */
export function authorizableScopes(client: Pick<Client, 'scopes' | 'grantTypes'>): readonly string[] {
  return client.grantTypes.includes('authorization_code') ? [...new Set([...client.scopes, ...OIDC_SCOPES])] : client.scopes;
}
