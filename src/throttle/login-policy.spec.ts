import { backoffSeconds, type LoginPolicy, retryAfterSeconds } from './login-policy.js';

const POLICY: LoginPolicy = { maxFailures: 5, lockoutMax: 900, accountMaxFailures: 20, accountWindow: 900 };
const NOW = Date.parse('2026-01-01T00:00:00Z');
const at = (secondsFromNow: number) => new Date(NOW + secondsFromNow * 1000);

describe('login policy', () => {
  it('lets the first failures through, then doubles the wait from 1 s up to the cap', () => {
    expect([1, 4, 5, 6, 7, 14, 15, 16, 200].map((f) => backoffSeconds(f, POLICY))).toEqual([0, 0, 1, 2, 4, 512, 900, 900, 900]);
  });

  it('counts the wait from the last failure of that account and IP', () => {
    const state = { accountIp: { failures: 8, lastFailedAt: at(-3), knownUntil: null } };
    expect(retryAfterSeconds(state, NOW, POLICY)).toBe(5);
    expect(retryAfterSeconds(state, NOW + 5_000, POLICY)).toBe(0);
  });

  it('forgets account+IP failures twice the cap after the last one', () => {
    const state = { accountIp: { failures: 50, lastFailedAt: at(-1800), knownUntil: null } };
    expect(retryAfterSeconds(state, NOW, POLICY)).toBe(0);
    expect(retryAfterSeconds({ accountIp: { ...state.accountIp, lastFailedAt: at(-1799) } }, NOW, POLICY)).toBe(0);
    expect(retryAfterSeconds({ accountIp: { ...state.accountIp, lastFailedAt: at(-10) } }, NOW, POLICY)).toBe(890);
  });

  it('holds every IP once the account reaches its threshold, until the window ends', () => {
    const account = { failures: 20, windowStartedAt: at(-100), expiresAt: at(800) };
    expect(retryAfterSeconds({ account }, NOW, POLICY)).toBe(800);
    expect(retryAfterSeconds({ account: { ...account, failures: 19 } }, NOW, POLICY)).toBe(0);
  });

  it('exempts an IP the account recently logged in from, from the account-wide limit only', () => {
    const account = { failures: 40, windowStartedAt: at(-100), expiresAt: at(800) };
    const known = { failures: 0, lastFailedAt: null, knownUntil: at(86_400) };
    expect(retryAfterSeconds({ account, accountIp: known }, NOW, POLICY)).toBe(0);
    expect(retryAfterSeconds({ account, accountIp: { ...known, knownUntil: at(-1) } }, NOW, POLICY)).toBe(800);
    const knownButGuessing = { failures: 6, lastFailedAt: at(0), knownUntil: at(86_400) };
    expect(retryAfterSeconds({ account, accountIp: knownButGuessing }, NOW, POLICY)).toBe(2);
  });

  it('rounds a partial second up', () => {
    const state = { accountIp: { failures: 5, lastFailedAt: new Date(NOW - 200), knownUntil: null } };
    expect(retryAfterSeconds(state, NOW, POLICY)).toBe(1);
  });
});
