/** The error codes of RFC 6750 §3.1 and RFC 9449 §7.1, and the one answer for a verifier that cannot decide. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'temporarily_unavailable';

/** The authentication scheme whose challenge answers a refusal. */
export type AuthScheme = 'Bearer' | 'DPoP';

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
    /** DPoP for a request that used that scheme or sent a DPoP-bound token (RFC 9449 §7.1) */
    readonly scheme: AuthScheme = 'Bearer',
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
export const invalidDpopProof = (description: string) => new BearerError(401, 'invalid_dpop_proof', description, undefined, 'DPoP');

/** The same refusal, answered with the other scheme's challenge. */
export function underScheme(error: BearerError, scheme: AuthScheme): BearerError {
  return error.scheme === scheme ? error : new BearerError(error.status, error.code, error.description, error.scope, scheme);
}

export interface BearerResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: { error?: string; error_description?: string };
}

/**
 * The HTTP answer to a BearerError: status, WWW-Authenticate (RFC 6750 §3, RFC 9449 §7.1)
 * and a JSON body. With `dpopAlgs` (a resource that takes DPoP), a request without
 * credentials is offered both schemes, and a DPoP refusal names the algorithms it takes.
 */
export function bearerResponse(error: BearerError, realm?: string, dpopAlgs?: readonly string[]): BearerResponse {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (error.status === 503) {
    headers['retry-after'] = '1';
  } else {
    const params: string[] = [];
    if (realm !== undefined) params.push(`realm="${quotable(realm)}"`);
    if (error.code) params.push(`error="${error.code}"`);
    if (error.code && error.description) params.push(`error_description="${quotable(error.description)}"`);
    if (error.scope?.length) params.push(`scope="${quotable(error.scope.join(' '))}"`);
    headers['www-authenticate'] = challenge(error, params, realm, dpopAlgs);
  }
  const body = error.code ? { error: error.code, ...(error.description ? { error_description: error.description } : {}) } : {};
  return { status: error.status, headers, body };
}

function challenge(error: BearerError, params: string[], realm: string | undefined, dpopAlgs: readonly string[] | undefined): string {
  const bearer = params.length ? `Bearer ${params.join(', ')}` : 'Bearer';
  if (!dpopAlgs?.length) return bearer;
  const algs = `algs="${quotable(dpopAlgs.join(' '))}"`;
  if (error.scheme === 'DPoP') return `DPoP ${[...params, algs].join(', ')}`;
  // RFC 9449 §7.2: no credentials at all, so either scheme may be what the client lacks.
  if (error.code === undefined) return `${bearer}, DPoP ${[...(realm === undefined ? [] : [`realm="${quotable(realm)}"`]), algs].join(', ')}`;
  return bearer;
}

/** RFC 6750 §3: the attribute values may not hold `"` or `\` (nor controls, nor non-ASCII). */
function quotable(value: string): string {
  return value.replace(/[^\x20-\x7e]|["\\]/g, '');
}
