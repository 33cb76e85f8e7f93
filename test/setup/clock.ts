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

/**
 * A running clock `seconds` off the real time: the own clock of a host whose time service
 * is broken. `advance` shifts it further.
 */
export class ShiftedClock extends FakeClock {
  constructor(seconds: number) {
    super(seconds * 1000);
  }

  override now(): number {
    return Date.now() + super.now();
  }
}
