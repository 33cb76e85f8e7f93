export type AuditEventType =
  | 'login_succeeded'
  | 'login_failed'
  | 'refresh_token_reuse_detected'
  | 'session_revoked'
  | 'access_token_revoked'
  | 'user_disabled'
  | 'user_created'
  | 'client_created';

/** No token text, hash or password ever goes in here; `details` holds identifiers only. */
export interface AuditEvent {
  readonly type: AuditEventType;
  readonly occurredAt: Date;
  readonly actor?: string;
  readonly userId?: string;
  readonly clientId?: string;
  readonly familyId?: string;
  readonly reason?: string;
  readonly ip?: string;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export abstract class AuditStore {
  abstract append(events: readonly AuditEvent[]): Promise<void>;
}
