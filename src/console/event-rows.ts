import { eventView } from '../admin/views.js';
import type { StoredAuditEvent } from '../audit/audit-event.js';
import type { ReuseReason } from '../sessions/family.js';

/** CONTRACT "Refresh tokens, rotation and reuse detection": the reasons, in words an admin reads at a glance. */
const REFRESH_REUSE: Readonly<Record<string, string | undefined>> = {
  after_grace: 'a rotated refresh token was presented again after the grace window',
  stale_ancestor: 'an older refresh token of the session was presented after its successor had been used',
  other_client: 'the refresh token was presented by another client than the session\'s',
} satisfies Record<ReuseReason, string>;
const CODE_REUSE = 'an authorization code was redeemed a second time';

/** One event as the events page lists it (the admin API's view of it); a reuse detection carries why it was one. */
export function eventRow(event: StoredAuditEvent) {
  const view = eventView(event);
  return {
    ...view,
    reuse: reuseExplained(event),
    details: Object.entries(view.details).map(([key, value]) => `${key}=${String(value)}`).join(' '),
  };
}

/** Why a reuse detection was one, or undefined for any other event. */
function reuseExplained(event: StoredAuditEvent): string | undefined {
  if (event.type === 'authorization_code_reuse_detected') return CODE_REUSE;
  if (event.type !== 'refresh_token_reuse_detected') return undefined;
  return REFRESH_REUSE[event.reason ?? ''] ?? 'a rotated refresh token was presented again';
}
