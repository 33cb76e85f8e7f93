/** Time is injected so expiry tests move a clock instead of sleeping (STYLE rule 8). */
export interface Clock {
  /** milliseconds since the epoch */
  now(): number;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => Date.now() };

export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
