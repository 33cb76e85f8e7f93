const MAX_LENGTH = 512;
const PLACEHOLDER_ORIGIN = 'https://return-to.invalid';
// Controls, and the backslash browsers read as a slash (`/\evil.example` is protocol-relative to them).
const UNSAFE = /[\p{Cc}\\]/u;

/**
 * Where the account pages' login goes back to: a path on Tessera's own origin below its
 * base path, never anywhere else (an open redirector would lend Tessera's name to
 * phishing, RFC 9700 §4.11). Anything else falls back to the account page.
 */
export function safeReturnTo(raw: string | undefined, base: string): string {
  const fallback = `${base}/account`;
  if (raw === undefined || raw.length > MAX_LENGTH || !raw.startsWith('/') || raw.startsWith('//') || UNSAFE.test(raw)) return fallback;
  const url = new URL(raw, PLACEHOLDER_ORIGIN);
  if (url.origin !== PLACEHOLDER_ORIGIN) return fallback;
  const path = `${url.pathname}${url.search}`;
  return path.startsWith(`${base}/`) ? path : fallback;
}

/** The login page's address that comes back to `path` once signed in. */
export function loginLocation(base: string, path: string): string {
  return `${base}/login?${new URLSearchParams({ return_to: path }).toString()}`;
}
