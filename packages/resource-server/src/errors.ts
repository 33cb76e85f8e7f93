/** The error codes of RFC 6750 §3.1, and the one answer for a verifier that cannot decide. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable';

/**
 * Why a request is refused, with everything its answer needs. `code` is undefined for a
 * request without credentials: RFC 6750 §3.1 says such an answer SHOULD NOT carry one.
 */
export class BearerError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 503,
    readonly code: BearerErrorCode | undefined,
    readonly description?: string,
    /** insufficient_scope: the scopes the resource needs (RFC 6750 §3) */
    readonly scope?: readonly string[],
  ) {
    super(description ?? code ?? 'no bearer token');
    this.name = 'BearerError';
  }
}

export const missingToken = () => new BearerError(401, undefined);
export const invalidRequest = (description: string) => new BearerError(400, 'invalid_request', description);
export const invalidToken = (description: string) => new BearerError(401, 'invalid_token', description);
export const insufficientScope = (scope: readonly string[]) =>
  new BearerError(403, 'insufficient_scope', 'the token lacks a scope this resource needs', scope);
export const unavailable = (description: string) => new BearerError(503, 'temporarily_unavailable', description);

export interface BearerResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: { error?: string; error_description?: string };
}

/** The HTTP answer to a BearerError: status, WWW-Authenticate (RFC 6750 §3) and a JSON body. */
export function bearerResponse(error: BearerError, realm?: string): BearerResponse {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (error.status === 503) {
    headers['retry-after'] = '1';
  } else {
    const params: string[] = [];
    if (realm !== undefined) params.push(`realm="${quotable(realm)}"`);
    if (error.code) params.push(`error="${error.code}"`);
    if (error.code && error.description) params.push(`error_description="${quotable(error.description)}"`);
    if (error.scope?.length) params.push(`scope="${quotable(error.scope.join(' '))}"`);
    headers['www-authenticate'] = params.length ? `Bearer ${params.join(', ')}` : 'Bearer';
  }
  const body = error.code ? { error: error.code, ...(error.description ? { error_description: error.description } : {}) } : {};
  return { status: error.status, headers, body };
}

/** RFC 6750 §3: the attribute values may not hold `"` or `\` (nor controls, nor non-ASCII). */
function quotable(value: string): string {
  return value.replace(/[^\x20-\x7e]|["\\]/g, '');
}
