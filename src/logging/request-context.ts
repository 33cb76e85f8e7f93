import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

interface RequestContext {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

// An incoming X-Request-Id is kept only when it cannot smuggle anything into a log line
// or a header: short, and from a safe alphabet. Anything else gets an id of our own.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The id of a request: the caller's X-Request-Id when it is short and safe, else a new one. */
export function requestIdFor(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** Runs `fn` (and everything it schedules) as part of the request `requestId`. */
export function runInRequest<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}

/** The id of the request being handled, when there is one. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
