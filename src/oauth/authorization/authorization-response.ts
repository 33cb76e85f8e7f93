import type { AuthorizationError } from './authorization-error.js';

/**
 * The redirect URI with the response parameters added to its query (RFC 6749 §4.1.2;
 * a query the client registered is kept, §3.1.2) and `iss`, so the client can tell
 * which server answered (RFC 9207 §2).
 */
export function responseLocation(redirectUri: string, issuer: string, params: Readonly<Record<string, string | undefined>>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.append(name, value);
  }
  url.searchParams.append('iss', issuer);
  return url.href;
}

/** An error response (RFC 6749 §4.1.2.1) for an error that may redirect. */
export function errorLocation(error: AuthorizationError, issuer: string): string | undefined {
  if (!error.redirect) return undefined;
  return responseLocation(error.redirect.redirectUri, issuer, {
    error: error.code,
    error_description: error.description,
    state: error.redirect.state,
  });
}
