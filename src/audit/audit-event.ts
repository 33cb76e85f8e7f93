import type { Page, PageRequest } from '../common/page.js';

export type AuditEventType =
  | 'login_succeeded'
  | 'login_failed'
  | 'login_throttled'
  | 'logged_out'
  | 'refresh_token_reuse_detected'
  | 'authorization_code_reuse_detected'
  | 'consent_granted'
  | 'consent_revoked'
  | 'session_revoked'
  | 'access_token_revoked'
  | 'user_disabled'
  | 'user_enabled'
  | 'user_updated'
  | 'user_created'
  | 'credential_changed'
  | 'client_created'
  | 'client_deleted'
  | 'client_updated'
  | 'client_secret_rotated'
  | 'key_rotated'
  | 'key_activated'
  | 'key_retired'
  | 'backchannel_logout_failed'
  | 'second_factor_enrolled'
  | 'second_factor_removed'
  | 'second_factor_failed'
  | 'recovery_code_used';

export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = [
  'login_succeeded',
  'login_failed',
  'login_throttled',
  'logged_out',
  'refresh_token_reuse_detected',
  'authorization_code_reuse_detected',
  'consent_granted',
  'consent_revoked',
  'session_revoked',
  'access_token_revoked',
  'user_disabled',
  'user_enabled',
  'user_updated',
  'user_created',
  'credential_changed',
  'client_created',
  'client_deleted',
  'client_updated',
  'client_secret_rotated',
  'key_rotated',
  'key_activated',
  'key_retired',
  'backchannel_logout_failed',
  'second_factor_enrolled',
  'second_factor_removed',
  'second_factor_failed',
  'recovery_code_used',
];

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

export interface StoredAuditEvent extends AuditEvent {
  /** bigserial, as a string */
  readonly id: string;
}

export interface AuditFilter {
  readonly type?: AuditEventType;
  readonly userId?: string;
  readonly clientId?: string;
  /** at or after */
  readonly since?: Date;
  /** strictly before */
  readonly until?: Date;
}

/** How many events of one type occurred in one hour (UTC). */
export interface HourlyCount {
  /** the start of the hour */
  readonly hour: Date;
  readonly type: AuditEventType;
  readonly count: number;
}

/** A filter over a bounded time: counting needs both ends. */
export type BoundedAuditFilter = Omit<AuditFilter, 'type'> & Required<Pick<AuditFilter, 'since' | 'until'>>;

export abstract class AuditStore {
  abstract append(events: readonly AuditEvent[]): Promise<void>;
  /** Newest first, keyset-paginated by (occurred_at, id). */
  abstract query(filter: AuditFilter, page: PageRequest): Promise<Page<StoredAuditEvent>>;
  /** Events of these types per UTC hour and type, oldest first; an hour without any is left out. */
  abstract countByHour(types: readonly AuditEventType[], filter: BoundedAuditFilter): Promise<HourlyCount[]>;
}
