import { randomUUID } from 'node:crypto';

// An incoming X-Request-Id is kept only when it cannot smuggle anything into a log line
// or a header: short, and from a safe alphabet. Anything else gets an id of our own.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The id of a request: the caller's X-Request-Id when it is short and safe, else a new one. */
export function requestIdFor(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * Names the request a log line belongs to: pass it among a Logger call's parameters
 * (`logger.warn(message, inRequest(id))`) and the line gets `request_id`.
 *
 * Explicit, not AsyncLocalStorage: on Node 20 that runs async hooks on every promise of
 * every request, about 15% of repeat-introspection throughput, to serve the few lines
 * written inside a request (a server error, a reuse warning), which all know their request.
 */
export class RequestTag {
  constructor(readonly requestId: string) {}
}

export function inRequest(requestId: string | undefined): RequestTag | undefined {
  return requestId === undefined ? undefined : new RequestTag(requestId);
}
