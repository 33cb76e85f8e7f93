import type { Client } from '../../../clients/client.js';
import { invalidRequest } from '../authorization-error.js';
import type { Parameters } from '../authorization-request.js';

const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(:\d{1,5})?([/?].*)?$/;

/**
 * RFC 6749 §3.1.2.3 with OAuth 2.1's exact string matching. The one exception is RFC
 * 8252 §7.3: a native app listening on a loopback IP literal gets whatever port the
 * system gave it, so for such a registration the port alone may differ.
 */
export function redirectUriMatches(registered: string, presented: string): boolean {
  if (registered === presented) return true;
  const a = LOOPBACK.exec(registered);
  const b = LOOPBACK.exec(presented);
  return a !== null && b !== null && a[1] === b[1] && (a[3] ?? '') === (b[3] ?? '');
}

/**
 * Where the response goes: the redirect_uri sent, when it matches a registered one, or
 * the only registered one. Its errors are shown on Tessera's page, never redirected.
 */
export function checkRedirectUri(params: Parameters, client: Client): { redirectUri: string; sent: boolean } {
  const presented = params.get('redirect_uri');
  if (presented === undefined) {
    if (client.redirectUris.length === 1) return { redirectUri: client.redirectUris[0], sent: false };
    throw invalidRequest('missing parameter: redirect_uri (the client has more than one registered)');
  }
  if (!client.redirectUris.some((registered) => redirectUriMatches(registered, presented))) {
    throw invalidRequest('redirect_uri is not registered for this client');
  }
  return { redirectUri: presented, sent: true };
}
