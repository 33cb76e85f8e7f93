import { type Agent, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import type { HttpResult } from '../factories/index.js';

/** Polls `probe` until it returns a value; bounded, so a missing recovery fails the test. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// What must never reach a caller: a stack frame, SQL, a driver's or the OS's error text.
const LEAK = /\bat .+:\d+:\d+|\b(SELECT|INSERT|UPDATE|DELETE)\b|relation|ECONN|terminat|postgres|QueryFailed/i;

/** CONTRACT "Endpoints": 503 temporarily_unavailable, Retry-After, no-store, and nothing leaked. */
export function expectUnavailable(result: HttpResult): void {
  expect({ status: result.status, body: result.body }).toEqual({
    status: 503,
    body: { error: 'temporarily_unavailable', error_description: expect.any(String) },
  });
  expect(result.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(result.headers.get('cache-control')).toBe('no-store');
  expect(result.text).not.toMatch(LEAK);
}

/** Any answer: never a 5xx other than 503, and an error body without a leak. */
export function expectNoServerError(result: { status: number; text: string }): void {
  expect(result.status === 503 || result.status < 500).toBe(true);
  expect(result.text).not.toMatch(LEAK);
}

export type Answer =
  | { readonly status: number; readonly text: string; readonly headers: IncomingHttpHeaders; readonly at: number }
  | { readonly error: string; readonly at: number };

/**
 * One HTTP/1.1 request through `agent` (keep-alive sockets a test controls), answering
 * the status and body, or the socket error (ECONNREFUSED, ECONNRESET) instead of throwing.
 */
export function send(
  agent: Agent | false,
  url: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve) => {
    const request = httpRequest(new URL(path, url), { method, agent, headers: options.headers }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text, headers: response.headers, at: performance.now() }));
      response.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message, at: performance.now() }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message, at: performance.now() }));
    request.end(options.body);
  });
}
