// Authorization codes for the code-redemption scenario, minted through each server's own
// authorization endpoint by a browser that holds a login session (so neither a login page
// nor a consent page is in the way), right before the scenario runs: Tessera's codes live
// 60 s. Minting is seeding, never measured.
import { createHash, randomBytes } from 'node:crypto';

/**
 * One PKCE pair for a whole pool: every redemption still hashes its verifier and compares
 * it with the code's challenge (RFC 7636 §4.6), which is the work being measured; a fresh
 * pair per code would only change the bytes.
 */
export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * Up to `count` codes from `mintOne()` (an authorization request answered by a redirect that
 * carries a code), `concurrency` at a time, in the order they were issued: the scenario
 * redeems the oldest first, so none expires while waiting its turn. Minting stops early
 * after `withinMs`, so that the codes still live through the run however slow the machine.
 */
export async function mintCodes(count, mintOne, { withinMs = Number.POSITIVE_INFINITY, concurrency = 32 } = {}) {
  const codes = [];
  const deadline = performance.now() + withinMs;
  let started = 0;
  const worker = async () => {
    while (started < count && performance.now() < deadline) {
      started++;
      codes.push(await mintOne());
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return codes;
}

/** The code of a redirect to the client (302 or 303 with `code` in the Location), else an error naming what came back. */
export async function codeOf(response, who) {
  const text = await response.text();
  const location = response.headers.get('location');
  const code = location ? new URL(location).searchParams.get('code') : null;
  if (!code) throw new Error(`${who}: the authorization request gave no code (${response.status} ${location ?? text.slice(0, 200)})`);
  return code;
}

/**
 * Connections that share one queue of codes, each request redeeming the next; past the end
 * a connection sends a code already redeemed (counted: the pool was too small, and the
 * answers are then invalid_grant, not redemptions).
 */
export function redeeming(codes, toBody) {
  let next = 0;
  const state = { exhausted: 0 };
  const factory = () => ({
    next() {
      if (next === codes.length) state.exhausted++;
      return { body: toBody(codes[Math.min(next++, codes.length - 1)]) };
    },
  });
  factory.state = state;
  return factory;
}
