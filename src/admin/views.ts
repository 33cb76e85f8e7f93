import { z } from 'zod';
import type { StoredAuditEvent } from '../audit/audit-event.js';
import { AUDIT_EVENT_TYPES } from '../audit/audit-event.js';
import type { Client } from '../clients/client.js';
import { GRANT_TYPES, INTROSPECT_PERMISSION } from '../clients/client.js';
import { pageSchema } from '../http/pagination.js';
import type { Family } from '../sessions/family.js';
import type { User } from '../users/user.js';

/*
 * The wire shapes of the admin API (snake_case, RFC 3339 times), never a hash or a secret.
 * Each view returns its schema's type, so the document cannot drift from what is sent.
 */

const id = z.string().meta({ format: 'uuid' });
const time = z.string().meta({ format: 'date-time' });

export const UserView = z
  .object({
    id,
    username: z.string(),
    roles: z.array(z.string()),
    disabled: z.boolean(),
    disabled_at: time.nullable(),
    email: z.string().nullable(),
    email_verified: z.boolean(),
    name: z.string().nullable(),
    created_at: time,
    updated_at: time,
  })
  .meta({ id: 'User' });

export const SessionView = z
  .object({
    id,
    client_id: z.string(),
    created_at: time,
    last_used_at: time,
    idle_expires_at: time,
    absolute_expires_at: time,
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    revoked_at: time.nullable(),
    revoked_reason: z.string().nullable(),
  })
  .meta({ id: 'Session', description: 'a login session: one refresh-token family' });

export const ClientView = z
  .object({
    client_id: z.string(),
    type: z.enum(['confidential', 'public']),
    grant_types: z.array(z.enum(GRANT_TYPES)),
    scopes: z.array(z.string()),
    introspect: z.boolean(),
    origins: z.array(z.string()),
    access_token_format: z.enum(['jwt', 'opaque']),
    audience: z.string().nullable(),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    first_party: z.boolean(),
    require_par: z.boolean(),
    client_name: z.string().nullable(),
    dpop_bound_access_tokens: z.boolean().meta({ description: 'token requests without a DPoP proof are refused (RFC 9449 §5.2)' }),
    require_mfa: z.boolean().meta({ description: 'authorizations need a login with a second factor (amr mfa)' }),
    backchannel_logout_uri: z.string().nullable(),
    backchannel_logout_session_required: z.boolean(),
    created_at: time,
  })
  .meta({ id: 'Client' });

export const EventView = z
  .object({
    id: z.string(),
    type: z.enum(AUDIT_EVENT_TYPES as readonly [string, ...string[]]),
    occurred_at: time,
    actor: z.string().nullable(),
    user_id: id.nullable(),
    client_id: z.string().nullable(),
    family_id: id.nullable(),
    reason: z.string().nullable(),
    ip: z.string().nullable(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  })
  .meta({ id: 'Event', description: 'an audit log entry' });

export const UserPage = pageSchema('UserPage', UserView);
export const ClientPage = pageSchema('ClientPage', ClientView);
export const EventPage = pageSchema('EventPage', EventView);

export const Revoked = z.object({ revoked: z.int().min(0) }).meta({ id: 'Revoked', description: 'how many sessions were ended' });

export function userView(user: User): z.output<typeof UserView> {
  return {
    id: user.id,
    username: user.username,
    roles: [...user.roles],
    disabled: user.disabledAt !== null,
    disabled_at: user.disabledAt?.toISOString() ?? null,
    email: user.email,
    email_verified: user.emailVerified,
    name: user.name,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

export function sessionView(family: Family): z.output<typeof SessionView> {
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

export function clientView(client: Client): z.output<typeof ClientView> {
  return {
    client_id: client.id,
    type: client.type,
    grant_types: [...client.grantTypes],
    scopes: [...client.scopes],
    introspect: client.permissions.includes(INTROSPECT_PERMISSION),
    origins: [...client.allowedOrigins],
    access_token_format: client.accessTokenFormat,
    audience: client.audience,
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: [...client.postLogoutRedirectUris],
    first_party: client.firstParty,
    require_par: client.requirePar,
    client_name: client.name,
    dpop_bound_access_tokens: client.requireDpop,
    require_mfa: client.requireMfa,
    backchannel_logout_uri: client.backchannelLogoutUri,
    backchannel_logout_session_required: client.backchannelLogoutSessionRequired,
    created_at: client.createdAt.toISOString(),
  };
}

export function eventView(event: StoredAuditEvent): z.output<typeof EventView> {
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
