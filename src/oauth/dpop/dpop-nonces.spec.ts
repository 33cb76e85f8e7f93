import { DpopNonces, NONCE_WINDOW_SECONDS } from './dpop-nonces.js';

describe('DpopNonces (RFC 9449 §8)', () => {
  const secret = 'a token hash secret of at least 32 characters';
  const start = 1_800_000_000 - (1_800_000_000 % NONCE_WINDOW_SECONDS);

  it('gives every process the same nonce for a window, with nothing shared but the secret', () => {
    expect(new DpopNonces(secret).current(start + 1)).toBe(new DpopNonces(secret).current(start + NONCE_WINDOW_SECONDS - 1));
    expect(new DpopNonces(secret).current(start)).not.toBe(new DpopNonces(`${secret}!`).current(start));
  });

  it('accepts the current and the previous window, nothing older, nothing made up', () => {
    const nonces = new DpopNonces(secret);
    const issued = nonces.current(start);
    expect(nonces.accepts(issued, start)).toBe(true);
    expect(nonces.accepts(issued, start + NONCE_WINDOW_SECONDS)).toBe(true);
    expect(nonces.accepts(issued, start + 2 * NONCE_WINDOW_SECONDS)).toBe(false);
    expect(nonces.accepts(nonces.current(start + NONCE_WINDOW_SECONDS), start)).toBe(false);
    expect(nonces.accepts('made-up', start)).toBe(false);
    expect(nonces.accepts('', start)).toBe(false);
  });
});
