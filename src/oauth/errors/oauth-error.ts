/** RFC 6749 §5.2 and §4.1.2.1, RFC 6750 §3.1 and RFC 7009 §2.2.1 error codes. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'unsupported_response_type'
  | 'unsupported_token_type'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'access_denied'
  | 'not_found'
  | 'temporarily_unavailable'
  | 'server_error'
  // RFC 9449 §5, §7.1, §8
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  unsupported_response_type: 400,
  unsupported_token_type: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  access_denied: 403,
  not_found: 404,
  temporarily_unavailable: 503,
  server_error: 500,
  invalid_dpop_proof: 400,
  use_dpop_nonce: 400,
};

/**
 * The one error type of the OAuth surface. Its description is shown to the caller,
 * so it never carries a secret, a token or whether a username exists.
 */
export class OAuthError extends Error {
  readonly status: number;

  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly headers: Readonly<Record<string, string>> = {},
    status?: number,
  ) {
    super(`${code}: ${description}`);
    this.name = 'OAuthError';
    this.status = status ?? STATUS[code];
  }

  static invalidRequest(description: string): OAuthError {
    return new OAuthError('invalid_request', description);
  }

  static invalidGrant(description = 'the grant is invalid, expired or revoked'): OAuthError {
    return new OAuthError('invalid_grant', description);
  }

  static invalidClient(basicTried: boolean): OAuthError {
    // RFC 6749 §5.2: 401, with WWW-Authenticate matching the scheme the client tried.
    return new OAuthError(
      'invalid_client',
      'client authentication failed',
      basicTried ? { 'WWW-Authenticate': 'Basic realm="tessera", charset="UTF-8"' } : {},
    );
  }

  /**
   * Too many failed attempts: 429 (RFC 6585 §4) with Retry-After. The code is RFC 6749's
   * temporarily_unavailable, which clients already treat as "retry later"; the body is
   * the same whatever was throttled, so it says nothing about whether a username exists.
   */
  static tooManyAttempts(retryAfterSeconds: number): OAuthError {
    return new OAuthError(
      'temporarily_unavailable',
      'too many failed attempts, retry later',
      { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
      429,
    );
  }

  static unavailable(retryAfterSeconds = 1, description = 'the service is temporarily unavailable, retry later'): OAuthError {
    return new OAuthError('temporarily_unavailable', description, { 'Retry-After': String(retryAfterSeconds) });
  }

  /** The database refused a write as read-only: a standby, or a primary demoted by a failover. */
  static readOnly(): OAuthError {
    return OAuthError.unavailable(1, 'the database is read-only (a standby, or a failover in progress), retry later');
  }
}
