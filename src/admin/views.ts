import type { StoredAuditEvent } from '../audit/audit-event.js';
import type { Client } from '../clients/client.js';
import { INTROSPECT_PERMISSION } from '../clients/client.js';
import type { Family } from '../sessions/family.js';
import type { User } from '../users/user.js';

/** The wire shapes of the admin API (snake_case, RFC 3339 times). Never a hash or a secret. */
export function userView(user: User) {
  return {
    id: user.id,
    username: user.username,
    roles: [...user.roles],
    disabled: user.disabledAt !== null,
    disabled_at: user.disabledAt?.toISOString() ?? null,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

export function sessionView(family: Family) {
  return {
    id: family.id,
    client_id: family.clientId,
    created_at: family.createdAt.toISOString(),
    last_used_at: family.lastUsedAt.toISOString(),
    idle_expires_at: family.idleExpiresAt.toISOString(),
    absolute_expires_at: family.absoluteExpiresAt.toISOString(),
    ip: family.ip,
    user_agent: family.userAgent,
    revoked_at: family.revokedAt?.toISOString() ?? null,
    revoked_reason: family.revokedReason,
  };
}

export function clientView(client: Client) {
  return {
    client_id: client.id,
    type: client.type,
    grant_types: [...client.grantTypes],
    scopes: [...client.scopes],
    introspect: client.permissions.includes(INTROSPECT_PERMISSION),
    origins: [...client.allowedOrigins],
    access_token_format: client.accessTokenFormat,
    audience: client.audience,
    created_at: client.createdAt.toISOString(),
  };
}

export function eventView(event: StoredAuditEvent) {
  return {
    id: event.id,
    type: event.type,
    occurred_at: event.occurredAt.toISOString(),
    actor: event.actor ?? null,
    user_id: event.userId ?? null,
    client_id: event.clientId ?? null,
    family_id: event.familyId ?? null,
    reason: event.reason ?? null,
    ip: event.ip ?? null,
    details: event.details ?? {},
  };
}
