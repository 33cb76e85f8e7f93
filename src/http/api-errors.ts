import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { OAuthErrorCode } from '../oauth/errors/oauth-error.js';

/** One way an operation fails: its status, its RFC 6749 §5.2 / RFC 6750 §3.1 code, and when. */
export interface Failure {
  readonly status: number;
  readonly code: OAuthErrorCode;
  readonly when: string;
}

const failure = (status: number, code: OAuthErrorCode, when: string): Failure => ({ status, code, when });

/** The failures operations document; each operation lists only those it can answer with. */
export const Fails = {
  body: failure(400, 'invalid_request', 'the body is not a JSON object of the documented members: each bad, missing or unknown member is named'),
  query: failure(400, 'invalid_request', 'a query member is unknown or malformed: each is named'),
  form: failure(400, 'invalid_request', 'a parameter is missing, repeated or malformed, or the body is not application/x-www-form-urlencoded'),
  rule: failure(400, 'invalid_request', 'a value breaks a rule of the service (e.g. a password too short): the member is named'),
  malformedBearer: failure(400, 'invalid_request', 'the Authorization header is not a valid Bearer credential'),
  bearer: failure(
    401,
    'invalid_token',
    'no Bearer access token, or one that is invalid, expired or revoked, or DPoP-bound but sent as Bearer (WWW-Authenticate: Bearer or DPoP)',
  ),
  dpop: failure(401, 'invalid_dpop_proof', 'Authorization: DPoP without a valid proof for this request, this token and the key it is bound to (RFC 9449 §7.1)'),
  notAdmin: failure(403, 'insufficient_scope', 'the token lacks scope admin, or its user is no longer an enabled admin'),
  clientAuth: failure(401, 'invalid_client', 'client authentication failed (WWW-Authenticate: Basic when Basic was tried)'),
  taken: failure(409, 'invalid_request', 'the name is taken'),
  tooLarge: failure(413, 'invalid_request', 'the body is over 64 KiB'),
  throttled: failure(429, 'temporarily_unavailable', 'too many failed attempts from this client or address: retry after Retry-After seconds'),
  unavailable: failure(503, 'temporarily_unavailable', 'the database cannot be reached: retry after Retry-After seconds'),
  notFound: (what: string) => failure(404, 'not_found', `no such ${what}`),
  /** Anything else an operation's rules refuse, e.g. `Fails.other(400, 'invalid_grant', '...')`. */
  other: failure,
} as const;

/** What every Bearer-authenticated operation can answer before it starts. */
export const BEARER_FAILURES: readonly Failure[] = [Fails.malformedBearer, Fails.bearer, Fails.dpop, Fails.unavailable];
export const ADMIN_FAILURES: readonly Failure[] = [...BEARER_FAILURES, Fails.notAdmin];

const ERROR_REF = '#/components/schemas/Error';

const HEADERS: Record<number, Record<string, { description: string; schema: { type: 'string' | 'integer' } }>> = {
  401: { 'WWW-Authenticate': { description: 'RFC 6750 §3 / RFC 9449 §7.1 / RFC 7617 challenge', schema: { type: 'string' } } },
  429: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } },
  503: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } },
};

/** One documented response per status, naming its codes and when each is answered. */
export function ApiFailures(failures: readonly Failure[]): MethodDecorator {
  const byStatus = new Map<number, Failure[]>();
  for (const entry of failures) byStatus.set(entry.status, [...(byStatus.get(entry.status) ?? []), entry]);
  return applyDecorators(
    ...[...byStatus].map(([status, entries]) =>
      ApiResponse({
        status,
        description: entries.map((entry) => `${entry.code}: ${entry.when}`).join('; '),
        headers: HEADERS[status],
        schema: {
          allOf: [{ $ref: ERROR_REF }],
          properties: { error: { type: 'string', enum: [...new Set(entries.map((entry) => entry.code))] } },
        },
      }),
    ),
  );
}
