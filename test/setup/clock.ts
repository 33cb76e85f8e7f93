import type { Clock } from '../../src/common/clock.js';

/** The injected clock of the tests: expiry is tested by moving it, never by sleeping. */
export class FakeClock implements Clock {
  constructor(private current = Date.parse('2026-01-01T00:00:00Z')) {}

  now(): number {
    return this.current;
  }

  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}
