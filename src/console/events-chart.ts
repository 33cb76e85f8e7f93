import type { AuditEventType, HourlyCount } from '../audit/audit-event.js';

const HOUR_MS = 3_600_000;
/** Without a time filter: the last 24 hours, the current one included. */
const DEFAULT_HOURS = 24;
/** A longer range is charted over its last week: past that a bar would be narrower than a pixel or two. */
export const MAX_HOURS = 168;
/** The SVG's user units: each hour 10 wide (a bar of 8 and a gap of 2), the tallest bar 40 high. */
const SLOT = 10;
const BAR = 8;
const HEIGHT = 40;

export interface ChartSeries {
  readonly name: string;
  readonly label: string;
  readonly types: readonly AuditEventType[];
}

/**
 * What the chart counts. Refreshes are not audited (a rotation writes no audit row: it is
 * the hot path, counted in /metrics as tessera_refresh_rotations_total), so they have no series.
 */
export const CHART_SERIES: readonly ChartSeries[] = [
  { name: 'logins', label: 'Logins', types: ['login_succeeded'] },
  { name: 'reuse', label: 'Reuse detections', types: ['refresh_token_reuse_detected', 'authorization_code_reuse_detected'] },
  { name: 'revocations', label: 'Revocations', types: ['session_revoked', 'access_token_revoked'] },
];

export const CHART_TYPES: readonly AuditEventType[] = CHART_SERIES.flatMap((series) => series.types);

/** The hours charted: [since, until), cut into `hours` UTC hours from `first` on. */
export interface ChartWindow {
  readonly since: Date;
  readonly until: Date;
  /** the start of the first hour */
  readonly first: Date;
  readonly hours: number;
  /** the range asked for was longer than MAX_HOURS: only its last hours are charted */
  readonly clipped: boolean;
}

export interface ChartBar {
  readonly hour: string;
  readonly count: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Chart {
  readonly window: ChartWindow;
  /** the SVG's viewBox width */
  readonly width: number;
  readonly height: number;
  readonly series: ReadonlyArray<{ readonly name: string; readonly label: string; readonly total: number; readonly max: number; readonly bars: readonly ChartBar[] }>;
  /** the data table: each hour with at least one event, its count per series */
  readonly rows: ReadonlyArray<{ readonly hour: string; readonly counts: readonly number[] }>;
}

const floorHour = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

/** The events page's time filter as hours to chart: by default the last 24 hours, the current one last. */
export function chartWindow(now: number, since?: Date, until?: Date): ChartWindow {
  // Without an end, to the end of the current hour: an event of this very instant counts too.
  const end = until?.getTime() ?? floorHour(now) + HOUR_MS;
  const last = floorHour(end - 1);
  let start = since?.getTime() ?? last - (DEFAULT_HOURS - 1) * HOUR_MS;
  let first = floorHour(start);
  const hours = start >= end ? 0 : (last - first) / HOUR_MS + 1;
  const clipped = hours > MAX_HOURS;
  if (clipped) start = first = last - (MAX_HOURS - 1) * HOUR_MS;
  return { since: new Date(start), until: new Date(end), first: new Date(first), hours: Math.min(hours, MAX_HOURS), clipped };
}

/** The counts of one grouped read laid out per series and hour, with the bars' geometry. */
export function chartOf(window: ChartWindow, counts: readonly HourlyCount[]): Chart {
  const perHour = new Map<number, number[]>();
  for (const { hour, type, count } of counts) {
    const index = CHART_SERIES.findIndex((series) => series.types.includes(type));
    const slot = (hour.getTime() - window.first.getTime()) / HOUR_MS;
    if (index === -1 || slot < 0 || slot >= window.hours) continue;
    const row = perHour.get(slot) ?? CHART_SERIES.map(() => 0);
    row[index] += count;
    perHour.set(slot, row);
  }
  const slots = [...perHour.keys()].sort((a, b) => a - b);
  const hourOf = (slot: number) => new Date(window.first.getTime() + slot * HOUR_MS).toISOString();
  return {
    window,
    width: Math.max(window.hours, 1) * SLOT,
    height: HEIGHT,
    series: CHART_SERIES.map((series, index) => {
      const max = Math.max(0, ...slots.map((slot) => perHour.get(slot)![index]));
      const bars = slots
        .map((slot) => ({ slot, count: perHour.get(slot)![index] }))
        .filter(({ count }) => count > 0)
        .map(({ slot, count }) => {
          // Never flatter than one unit: a single event must still show.
          const height = Math.max(1, Math.round((count / max) * HEIGHT));
          return { hour: hourOf(slot), count, x: slot * SLOT + (SLOT - BAR) / 2, y: HEIGHT - height, width: BAR, height };
        });
      return { name: series.name, label: series.label, total: bars.reduce((sum, bar) => sum + bar.count, 0), max, bars };
    }),
    rows: slots.map((slot) => ({ hour: hourOf(slot), counts: perHour.get(slot)! })),
  };
}
