import type { Clock } from './clock.js';

/** Readings per measurement: the one with the shortest round trip is kept. */
const SAMPLES = 5;

/** The database's time at one instant of the process's monotonic clock. */
interface Anchor {
  readonly databaseMs: number;
  readonly monotonicMs: number;
  /** the database's time minus the process's own clock at that instant */
  readonly offsetMs: number;
}

/**
 * The database's time, for every decision that several processes share (grace windows,
 * expiry, until when a revocation matters): two processes whose own clocks disagree
 * would otherwise judge the same row differently, and one fast process would wipe the
 * grace window of every other one.
 *
 * Measured at boot and again on every `measure()`; in between it advances by the
 * monotonic clock, so a step of the host's clock (a time service correcting a large
 * offset, someone setting the date) changes nothing until the next measurement sees it.
 */
export class DatabaseClock implements Clock {
  private constructor(
    private readonly own: Clock,
    private readonly readDatabase: () => Promise<number>,
    private readonly monotonic: () => number,
    private anchor: Anchor,
  ) {}

  /**
   * @param own the process's clock, only compared with the database's
   * @param readDatabase the database's clock now, in milliseconds since the epoch
   */
  static async start(own: Clock, readDatabase: () => Promise<number>, monotonic: () => number = () => performance.now()): Promise<DatabaseClock> {
    return new DatabaseClock(own, readDatabase, monotonic, await readAnchor(own, readDatabase, monotonic));
  }

  now(): number {
    return this.anchor.databaseMs + (this.monotonic() - this.anchor.monotonicMs);
  }

  /** Seconds the process's own clock was behind the database's at the last measurement (negative: ahead). */
  get offsetSeconds(): number {
    return this.anchor.offsetMs / 1000;
  }

  async measure(): Promise<void> {
    this.anchor = await readAnchor(this.own, this.readDatabase, this.monotonic);
  }

  /** e.g. "20.0 s ahead of the database's" */
  describeOffset(): string {
    const seconds = Math.abs(this.offsetSeconds).toFixed(1);
    return `${seconds} s ${this.offsetSeconds > 0 ? 'behind' : 'ahead of'} the database's`;
  }

  /** Why this process must not serve, when its own clock is more than `maxSeconds` off (0: never). */
  skewRefusal(maxSeconds: number): string | undefined {
    if (maxSeconds === 0 || Math.abs(this.offsetSeconds) <= maxSeconds) return undefined;
    return `the clock is ${this.describeOffset()} (more than CLOCK_SKEW_MAX_SECONDS=${maxSeconds})`;
  }
}

/**
 * Reads the database's clock a few times and keeps the reading with the shortest round
 * trip: the database read its clock somewhere inside the round trip, so the midpoint of
 * the shortest one is the closest guess at when (within half of it).
 */
async function readAnchor(own: Clock, readDatabase: () => Promise<number>, monotonic: () => number): Promise<Anchor> {
  let best: (Anchor & { roundTripMs: number }) | undefined;
  for (let sample = 0; sample < SAMPLES; sample++) {
    const ownStart = own.now();
    const start = monotonic();
    const databaseMs = await readDatabase();
    const roundTripMs = monotonic() - start;
    if (best !== undefined && best.roundTripMs <= roundTripMs) continue;
    const half = roundTripMs / 2;
    best = { databaseMs, monotonicMs: start + half, offsetMs: databaseMs - (ownStart + half), roundTripMs };
  }
  return best!;
}
