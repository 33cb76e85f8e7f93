import { revocationSecurityEvent, type SecurityEventClaims } from './security-event.js';
import type { QueuedRevocation, SsfStream } from './ssf-stream.js';
import { eventsDelivered } from './stream-configuration.js';

const ANNOUNCED_KINDS = new Set(['family', 'user', 'jti', 'client', 'credential']);

/**
 * The SET of a queued revocation for its stream, with the jti `<stream id>.<feed id>`
 * that stays the same however often it is delivered; undefined when the stream does not
 * deliver its event type, or no SET announces its kind (yet): such an event is done with.
 */
export function queuedSecurityEvent(
  event: QueuedRevocation,
  stream: Pick<SsfStream, 'id' | 'audience' | 'eventsRequested'>,
  issuer: string,
  now: Date,
): SecurityEventClaims | undefined {
  if (!ANNOUNCED_KINDS.has(event.kind)) return undefined;
  const claims = revocationSecurityEvent(event, { issuer, audience: stream.audience, jti: `${stream.id}.${event.id}`, issuedAt: now });
  const delivered = new Set(eventsDelivered(stream));
  return Object.keys(claims.events).every((type) => delivered.has(type)) ? claims : undefined;
}
