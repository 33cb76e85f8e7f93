import { InvalidInputError } from '../common/errors.js';
import type { RedirectUriPolicy } from './redirect-uris.js';

const MAX_LENGTH = 2000;
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
  if (raw.length > MAX_LENGTH) throw refuse(`is longer than ${MAX_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(raw)) throw refuse('contains white space or control characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('is not an absolute URL');
  }
  if (raw.includes('#')) throw refuse('has a fragment (Back-Channel Logout 1.0 §2.2)');
  if (url.username !== '' || url.password !== '') throw refuse('has userinfo');
  if (url.protocol === 'https:') return raw;
  if (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname)) {
    if (!policy.production) return raw;
    throw refuse('uses http: only https is allowed when NODE_ENV=production');
  }
  throw refuse('must use https (http only to 127.0.0.1 or localhost, outside production)');
}
