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
