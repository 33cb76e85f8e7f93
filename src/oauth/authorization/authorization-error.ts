/** RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6 and RFC 9126 §2.3 error codes of the authorization endpoint. */
export type AuthorizationErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_request_uri'
  | 'login_required'
  | 'interaction_required'
  | 'consent_required'
  | 'server_error'
  | 'temporarily_unavailable';

/** Where an error may be sent once the client and its redirect URI are proven. */
export interface ErrorRedirect {
  readonly redirectUri: string;
  readonly state: string | undefined;
}

/**
 * An error of the authorization endpoint. Without `redirect` it is shown on Tessera's
 * own error page and never sent anywhere (RFC 6749 §4.1.2.1: an unproven redirect URI
 * would make Tessera an open redirector); with it, it goes back to the client.
 */
export class AuthorizationError extends Error {
  constructor(
    readonly code: AuthorizationErrorCode,
    readonly description: string,
    readonly redirect?: ErrorRedirect,
  ) {
    super(`${code}: ${description}`);
    this.name = 'AuthorizationError';
  }

  /** The same error, now sendable to the client. */
  redirectingTo(redirect: ErrorRedirect): AuthorizationError {
    return new AuthorizationError(this.code, this.description, redirect);
  }
}

export function invalidRequest(description: string): AuthorizationError {
  return new AuthorizationError('invalid_request', description);
}
