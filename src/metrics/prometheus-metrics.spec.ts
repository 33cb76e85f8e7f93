import { PrometheusMetrics } from './prometheus-metrics.js';

describe('PrometheusMetrics', () => {
  it('counts the requests answered 503 by route and method, apart from other server errors', async () => {
    const metrics = new PrometheusMetrics(() => undefined, { defaultMetrics: false });
    metrics.requestCompleted({ method: 'POST', route: '/oauth/introspect', status: 503, seconds: 0.01 });
    metrics.requestCompleted({ method: 'POST', route: '/oauth/introspect', status: 503, seconds: 0.01 });
    metrics.requestCompleted({ method: 'POST', route: '/oauth/introspect', status: 500, seconds: 0.01 });
    metrics.requestCompleted({ method: 'GET', route: undefined, status: 503, seconds: 0.01 });
    metrics.requestCompleted({ method: 'POST', route: '/oauth/token', status: 200, seconds: 0.01 });
    const text = await metrics.registry.getSingleMetricAsString('tessera_http_unavailable_total');
    expect(text.split('\n').filter((line) => !line.startsWith('#'))).toEqual([
      'tessera_http_unavailable_total{method="POST",route="/oauth/introspect"} 2',
      'tessera_http_unavailable_total{method="GET",route="unmatched"} 1',
    ]);
  });

  it('reports the revocation view through the reader it is given, at scrape time', async () => {
    const metrics = new PrometheusMetrics(() => undefined, { defaultMetrics: false });
    let ageSeconds = 0.5;
    metrics.revocationView(() => ({ ageSeconds, maxAgeSeconds: 5, entries: 3, overflowEntries: 40 }));
    ageSeconds = 7;
    const text = await metrics.registry.metrics();
    expect(text).toContain('\ntessera_revocation_view_age_seconds 7\n');
    expect(text).toContain('\ntessera_revocation_view_max_age_seconds 5\n');
    expect(text).toContain('\ntessera_revocation_view_entries 3\n');
    expect(text).toContain('\ntessera_revocation_view_overflow_entries 40\n');
  });

  it('counts the checks the revocation view makes in the database', async () => {
    const metrics = new PrometheusMetrics(() => undefined, { defaultMetrics: false });
    metrics.revocationViewDatabaseCheck();
    metrics.revocationViewDatabaseCheck();
    const text = await metrics.registry.metrics();
    expect(text).toContain('\ntessera_revocation_view_database_checks_total 2\n');
  });
});
