import { CHART_TYPES, chartOf, chartWindow, MAX_HOURS } from './events-chart.js';

const at = (iso: string) => new Date(iso);
const NOW = Date.parse('2026-03-02T10:37:00Z');

describe('the console events chart', () => {
  it('charts the last 24 hours by default, the current one last', () => {
    expect(chartWindow(NOW)).toEqual({ since: at('2026-03-01T11:00:00Z'), until: at('2026-03-02T11:00:00Z'), first: at('2026-03-01T11:00:00Z'), hours: 24, clipped: false });
    // On the hour: that hour is the current one.
    expect(chartWindow(Date.parse('2026-03-02T10:00:00Z'))).toMatchObject({ first: at('2026-03-01T11:00:00Z'), hours: 24 });
  });

  it('charts the hours of a filtered range, partial ones included', () => {
    expect(chartWindow(NOW, at('2026-03-01T08:30:00Z'), at('2026-03-01T10:31:00Z'))).toEqual({
      since: at('2026-03-01T08:30:00Z'),
      until: at('2026-03-01T10:31:00Z'),
      first: at('2026-03-01T08:00:00Z'),
      hours: 3,
      clipped: false,
    });
    // From only: to the end of the current hour.
    expect(chartWindow(NOW, at('2026-03-02T09:00:00Z'))).toMatchObject({ first: at('2026-03-02T09:00:00Z'), hours: 2 });
    // To only: the 24 hours before it.
    expect(chartWindow(NOW, undefined, at('2026-02-10T00:00:00Z'))).toMatchObject({ first: at('2026-02-09T00:00:00Z'), hours: 24 });
  });

  it('charts nothing for a range that starts after now, and only the last week of a longer one', () => {
    expect(chartWindow(NOW, at('2026-03-03T00:00:00Z')).hours).toBe(0);
    const month = chartWindow(NOW, at('2026-01-01T00:00:00Z'), at('2026-02-01T00:00:00Z'));
    expect(month).toEqual({ since: at('2026-01-25T00:00:00Z'), until: at('2026-02-01T00:00:00Z'), first: at('2026-01-25T00:00:00Z'), hours: MAX_HOURS, clipped: true });
  });

  it('adds the types of a series up per hour and scales each series to its own busiest hour', () => {
    const window = chartWindow(NOW);
    const chart = chartOf(window, [
      { hour: at('2026-03-01T11:00:00Z'), type: 'login_succeeded', count: 4 },
      { hour: at('2026-03-02T10:00:00Z'), type: 'login_succeeded', count: 1 },
      { hour: at('2026-03-02T10:00:00Z'), type: 'refresh_token_reuse_detected', count: 1 },
      { hour: at('2026-03-02T10:00:00Z'), type: 'authorization_code_reuse_detected', count: 2 },
      { hour: at('2026-03-02T10:00:00Z'), type: 'session_revoked', count: 3 },
      { hour: at('2026-03-02T10:00:00Z'), type: 'access_token_revoked', count: 1 },
    ]);
    expect(chart.rows).toEqual([
      { hour: '2026-03-01T11:00:00.000Z', counts: [4, 0, 0] },
      { hour: '2026-03-02T10:00:00.000Z', counts: [1, 3, 4] },
    ]);
    const [logins, reuse, revocations] = chart.series;
    expect(chart).toMatchObject({ width: 240, height: 40 });
    expect(logins).toMatchObject({ label: 'Logins', total: 5, max: 4 });
    expect(logins.bars).toEqual([
      { hour: '2026-03-01T11:00:00.000Z', count: 4, x: 1, y: 0, width: 8, height: 40 },
      { hour: '2026-03-02T10:00:00.000Z', count: 1, x: 231, y: 30, width: 8, height: 10 },
    ]);
    expect(reuse).toMatchObject({ label: 'Reuse detections', total: 3, max: 3, bars: [expect.objectContaining({ count: 3, height: 40 })] });
    expect(revocations).toMatchObject({ total: 4, max: 4 });
  });

  it('shows one event among many as a bar still, and counts only its own types', () => {
    const window = chartWindow(NOW);
    const chart = chartOf(window, [
      { hour: at('2026-03-02T09:00:00Z'), type: 'login_succeeded', count: 1000 },
      { hour: at('2026-03-02T10:00:00Z'), type: 'login_succeeded', count: 1 },
      { hour: at('2026-03-02T10:00:00Z'), type: 'user_created', count: 7 },
    ]);
    expect(chart.series[0].bars[1]).toMatchObject({ count: 1, height: 1, y: 39 });
    expect(chart.rows).toHaveLength(2);
    expect(CHART_TYPES).not.toContain('user_created');
  });
});
