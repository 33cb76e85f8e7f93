import { EVENTS_SUPPORTED } from './security-event.js';
import { DELIVERY_METHODS } from './ssf-configuration.js';
import type { SsfStream } from './ssf-stream.js';

/** Where a poll stream's receiver polls (RFC 8936): under the issuer, one URL per stream. */
export function pollEndpoint(issuer: string, streamId: string): string {
  return `${issuer}/ssf/poll/${encodeURIComponent(streamId)}`;
}

/**
 * SSF 1.0 §8.1.1 events_delivered: the supported events the receiver asked for, or all of
 * them when it asked for nothing in particular. Types it asked for that do not exist here
 * are ignored, as the spec requires.
 */
export function eventsDelivered(stream: Pick<SsfStream, 'eventsRequested'>): string[] {
  return stream.eventsRequested === null ? [...EVENTS_SUPPORTED] : EVENTS_SUPPORTED.filter((type) => stream.eventsRequested!.includes(type));
}

/** The stream as SSF 1.0 §8.1.1 shows it; the push Authorization header is never shown back. */
export function streamConfiguration(issuer: string, stream: SsfStream): Record<string, unknown> {
  const endpoint = stream.deliveryMethod === DELIVERY_METHODS.poll ? pollEndpoint(issuer, stream.id) : stream.endpointUrl;
  return {
    stream_id: stream.id,
    iss: issuer,
    aud: stream.audience,
    delivery: { method: stream.deliveryMethod, endpoint_url: endpoint },
    events_supported: EVENTS_SUPPORTED,
    ...(stream.eventsRequested === null ? {} : { events_requested: stream.eventsRequested }),
    events_delivered: eventsDelivered(stream),
    ...(stream.description === null ? {} : { description: stream.description }),
  };
}

/** SSF 1.0 §8.1.2.1 */
export function streamStatus(stream: SsfStream): Record<string, unknown> {
  return { stream_id: stream.id, status: stream.status, ...(stream.statusReason === null ? {} : { reason: stream.statusReason }) };
}
