import { InvalidInputError } from '../common/errors.js';
import { type RedirectUriPolicy, registrableUri } from './redirect-uris.js';

// Development only: a relying party running on the operator's own machine.
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Back-Channel Logout 1.0 §2.2: an absolute URL the OP POSTs logout tokens to, which MAY
 * have a query but MUST NOT have a fragment. It receives signed statements about the
 * user's sessions, so it is https; plain http only to this machine, and only outside
 * production. Where the host resolves to is checked again at each delivery (SSRF).
 */
export function validBackchannelLogoutUri(raw: string, policy: RedirectUriPolicy): string {
  const refuse = (why: string) => new InvalidInputError('backchannel_logout_uri', `${JSON.stringify(raw.slice(0, 100))} ${why}`);
  const url = registrableUri(raw, refuse, { noun: 'URL', fragmentRule: 'Back-Channel Logout 1.0 §2.2' });
  if (url.protocol === 'https:') return raw;
  if (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname)) {
    if (!policy.production) return raw;
    throw refuse('uses http: only https is allowed when NODE_ENV=production');
  }
  throw refuse('must use https (http only to 127.0.0.1 or localhost, outside production)');
}
