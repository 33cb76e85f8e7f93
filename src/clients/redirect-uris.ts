import { InvalidInputError } from '../common/errors.js';

/** Long enough for any real callback, short enough to keep a redirect's Location header sane. */
const MAX_LENGTH = 2000;
export const MAX_REDIRECT_URIS = 20;
// RFC 8252 §7.3: loopback redirects name the IP literal; "localhost" may resolve elsewhere.
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);
// RFC 3986 §3.1 scheme syntax; RFC 8252 §7.1 private-use schemes are reverse domain names,
// so they contain a period: javascript:, data:, file: and the like never qualify.
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/;

export interface RedirectUriPolicy {
  /** NODE_ENV=production: plain http only for loopback IP literals */
  readonly production: boolean;
}

/**
 * A redirect URI as it will be compared (RFC 6749 §3.1.2, exact string match), or
 * InvalidInputError saying why it cannot be registered: not absolute, a fragment
 * (§3.1.2), userinfo (a classic open-redirect disguise), or a scheme that is neither
 * https, loopback or development http, nor an RFC 8252 private-use scheme.
 */
export function validRedirectUri(raw: string, policy: RedirectUriPolicy, field = 'redirect_uris'): string {
  const refuse = (why: string) => new InvalidInputError(field, `${JSON.stringify(raw.slice(0, 100))} ${why}`);
  const url = registrableUri(raw, refuse, { noun: 'URI', fragmentRule: 'RFC 6749 §3.1.2' });
  // The browser would resolve dot segments, so the URI compared would not be the one followed.
  if (hasDotSegments(raw)) throw refuse('has dot segments (RFC 3986 §5.2.4)');
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https' || scheme === 'http') {
    if (url.hostname === '') throw refuse('has no host');
    if (scheme === 'http' && policy.production && !LOOPBACK_HOSTS.has(url.hostname)) {
      throw refuse('uses http: in production only http://127.0.0.1 and http://[::1] are allowed (RFC 8252 §7.3)');
    }
    return raw;
  }
  if (PRIVATE_USE_SCHEME.test(scheme)) return raw;
  throw refuse('must use https, loopback http, or a private-use scheme such as com.example.app: (RFC 8252 §7.1)');
}

/**
 * What every URI a client registers must be, whatever it is for: not too long, no white
 * space or control characters, absolute, no fragment (`fragmentRule` names the spec that
 * forbids it), no userinfo (a classic open-redirect disguise). The parsed URL, or `refuse(why)`.
 */
export function registrableUri(raw: string, refuse: (why: string) => Error, { noun, fragmentRule }: { noun: string; fragmentRule: string }): URL {
  if (raw.length > MAX_LENGTH) throw refuse(`is longer than ${MAX_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(raw)) throw refuse('contains white space or control characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse(`is not an absolute ${noun}`);
  }
  if (raw.includes('#')) throw refuse(`has a fragment (${fragmentRule})`);
  if (url.username !== '' || url.password !== '') throw refuse('has userinfo');
  return url;
}

function hasDotSegments(raw: string): boolean {
  const path = raw.replace(/^[^:]+:(\/\/[^/?]*)?/, '').split('?')[0];
  return /(^|\/)\.\.?(\/|$)/.test(path);
}

/**
 * Every URI checked, duplicates dropped, the registered order kept. `field` names the list
 * in errors: post-logout redirect URIs follow the same rules (RP-Initiated Logout 1.0 §3.1
 * refers to redirect_uris' syntax), since a logout redirect must not be an open one either.
 */
export function validRedirectUris(raw: readonly string[], policy: RedirectUriPolicy, field = 'redirect_uris'): string[] {
  if (raw.length > MAX_REDIRECT_URIS) throw new InvalidInputError(field, `at most ${MAX_REDIRECT_URIS}`);
  return [...new Set(raw.map((uri) => validRedirectUri(uri, policy, field)))];
}
