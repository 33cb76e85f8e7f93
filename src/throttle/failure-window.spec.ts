import { FailureWindow } from './failure-window.js';

describe('FailureWindow', () => {
  it('refuses a key after max failures until its window ends, other keys unaffected', () => {
    const window = new FailureWindow(3, 60_000, 100);
    for (let i = 0; i < 3; i++) {
      expect(window.retryAfter('a', 1_000)).toBe(0);
      window.fail('a', 1_000 + i);
    }
    expect(window.retryAfter('a', 10_000)).toBe(51);
    expect(window.retryAfter('b', 10_000)).toBe(0);
    expect(window.retryAfter('a', 61_000)).toBe(0);
    window.fail('a', 61_000);
    expect(window.retryAfter('a', 61_000)).toBe(0);
  });

  it('holds at most its capacity of keys, forgetting the coldest', () => {
    const window = new FailureWindow(1, 60_000, 2);
    window.fail('a', 0);
    window.fail('b', 0);
    window.fail('c', 0);
    expect(window.retryAfter('a', 1)).toBe(0);
    expect(window.retryAfter('c', 1)).toBe(60);
  });

  it('limits nothing at 0', () => {
    const window = new FailureWindow(0, 60_000, 100);
    for (let i = 0; i < 100; i++) window.fail('a', 0);
    expect(window.retryAfter('a', 1)).toBe(0);
  });
});
