/**
 * Security Event Tokens (RFC 8417) for the revocations on Tessera's feed, shaped by the
 * Shared Signals Framework 1.0 (§4.1: explicit typing, a top-level `sub_id`, no `sub`, no
 * `exp`), CAEP 1.0 and RISC 1.0. Pure: the caller supplies time, audience and ids.
 */

/** RFC 8417 §2.3 */
export const SECURITY_EVENT_TYP = 'secevent+jwt';

export const EVENT_TYPES = {
  /** CAEP 1.0 §3.1: every ended session (family), whatever ended it */
  sessionRevoked: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  /** RISC 1.0 §2.3: a disabled user */
  accountDisabled: 'https://schemas.openid.net/secevent/risc/event-type/account-disabled',
  /** CAEP 1.0 §3.3: a user's password changed (the `credential` feed row) */
  credentialChange: 'https://schemas.openid.net/secevent/caep/event-type/credential-change',
  /** Tessera's own: one access token revoked by RFC 7009, named by its jti */
  accessTokenRevoked: 'urn:tessera:secevent:event-type:access-token-revoked',
  /** Tessera's own: a deleted client, every token it held ended (client_credentials ones too) */
  clientDeleted: 'urn:tessera:secevent:event-type:client-deleted',
  /**
   * Tessera's own: the stream fell behind. Revocations it had not acknowledged were dropped
   * once no token they concerned could be alive; state built from the stream may lack them.
   */
  eventsLost: 'urn:tessera:secevent:event-type:events-lost',
  /** SSF 1.0 §8.1.4.1 */
  verification: 'https://schemas.openid.net/secevent/ssf/event-type/verification',
} as const;

/** The event types a stream can deliver (SSF 1.0 §8.1.1 events_supported). */
export const EVENTS_SUPPORTED: readonly string[] = [
  EVENT_TYPES.sessionRevoked,
  EVENT_TYPES.accountDisabled,
  EVENT_TYPES.credentialChange,
  EVENT_TYPES.accessTokenRevoked,
  EVENT_TYPES.clientDeleted,
];

/** One row of the revocation feed, with the user of a revoked session when it is known. */
export interface FeedRevocation {
  readonly id: number;
  readonly kind: 'family' | 'user' | 'jti' | 'client' | 'credential';
  /** family id (the tokens' `sid`), user id (`sub`; user, credential), jti or client id */
  readonly subject: string;
  readonly createdAt: Date;
  /** family: the user whose session it was */
  readonly userId?: string;
}

export interface SetEnvelope {
  readonly issuer: string;
  /** the stream's audience (SSF 1.0 §4.1.8) */
  readonly audience: string | readonly string[];
  readonly jti: string;
  readonly issuedAt: Date;
}

type SubjectIdentifier = Record<string, unknown> & { format: string };

export interface SecurityEventClaims {
  readonly iss: string;
  readonly aud: string | readonly string[];
  readonly jti: string;
  readonly iat: number;
  /** SSF 1.0 §4.1.9: the same for every SET of one revocation, on every stream */
  readonly txn: string;
  readonly sub_id: SubjectIdentifier;
  readonly events: Record<string, Record<string, unknown>>;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** The SET that announces a feed revocation. */
export function revocationSecurityEvent(revocation: FeedRevocation, envelope: SetEnvelope): SecurityEventClaims {
  const [subject, type] = subjectAndType(revocation, envelope.issuer);
  // CAEP 1.0 §2: event_timestamp is when the revocation happened, not when it was sent.
  const event = { event_timestamp: seconds(revocation.createdAt), ...eventFields(revocation) };
  return securityEvent(envelope, `revocation-${revocation.id}`, subject, type, event);
}

/** The claims every SET shares (RFC 8417 §2.2), around its one event about `subject`. */
function securityEvent(envelope: SetEnvelope, txn: string, subject: SubjectIdentifier, type: string, event: Record<string, unknown>): SecurityEventClaims {
  return {
    iss: envelope.issuer,
    aud: envelope.audience,
    jti: envelope.jti,
    iat: seconds(envelope.issuedAt),
    txn,
    sub_id: subject,
    events: { [type]: event },
  };
}

/** An event about the stream itself (SSF 1.0 §8.1.4.1), in a transaction of its own. */
function streamSecurityEvent(streamId: string, type: string, event: Record<string, unknown>, envelope: SetEnvelope): SecurityEventClaims {
  return securityEvent(envelope, envelope.jti, { format: 'opaque', id: streamId }, type, event);
}

/**
 * CAEP 1.0 §3.3: credential_type and change_type are required. Tessera's only credential
 * is a password, and a user's password can only be replaced (never created apart from the
 * user, nor deleted).
 */
function eventFields(revocation: FeedRevocation): Record<string, unknown> {
  return revocation.kind === 'credential' ? { credential_type: 'password', change_type: 'update' } : {};
}

function subjectAndType(revocation: FeedRevocation, issuer: string): [SubjectIdentifier, string] {
  switch (revocation.kind) {
    case 'family': {
      // SSF 1.0 §3.3: a complex subject, the session and (when known) the user it belonged to.
      const session = { format: 'opaque', id: revocation.subject };
      const user = revocation.userId === undefined ? {} : { user: { format: 'iss_sub', iss: issuer, sub: revocation.userId } };
      return [{ format: 'complex', session, ...user }, EVENT_TYPES.sessionRevoked];
    }
    case 'user':
      return [{ format: 'iss_sub', iss: issuer, sub: revocation.subject }, EVENT_TYPES.accountDisabled];
    case 'credential':
      return [{ format: 'iss_sub', iss: issuer, sub: revocation.subject }, EVENT_TYPES.credentialChange];
    case 'jti':
      // SSF 1.0 §3.5.1: the jwt_id format names one JWT by its issuer and jti.
      return [{ format: 'jwt_id', iss: issuer, jti: revocation.subject }, EVENT_TYPES.accessTokenRevoked];
    case 'client':
      // No SSF subject format names an OAuth client: its id, opaque to the receiver.
      return [{ format: 'opaque', id: revocation.subject }, EVENT_TYPES.clientDeleted];
  }
}

/** SSF 1.0 §8.1.4.1: the answer to a verification request, echoing the receiver's state. */
export function verificationSecurityEvent(streamId: string, state: string | undefined, envelope: SetEnvelope): SecurityEventClaims {
  return streamSecurityEvent(streamId, EVENT_TYPES.verification, state === undefined ? {} : { state }, envelope);
}

/**
 * The notice of a stream that fell behind (EVENT_TYPES.eventsLost), about the stream itself
 * like a verification event (SSF 1.0 §8.1.4.1); sent whatever events the receiver asked for.
 */
export function eventsLostSecurityEvent(streamId: string, eventsLost: number, envelope: SetEnvelope): SecurityEventClaims {
  return streamSecurityEvent(
    streamId,
    EVENT_TYPES.eventsLost,
    { events_lost: eventsLost, reason: 'revocations were dropped before this stream acknowledged them; rebuild what was derived from it' },
    envelope,
  );
}
