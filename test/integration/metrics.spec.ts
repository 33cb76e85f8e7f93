import { createClient, createUser, login, postForm, token, type TestClient, type TestUser } from '../factories/index.js';
import { metricValue, type Sample, scrape } from '../factories/metrics.js';
import { introspect, revoke } from '../factories/resource-server.js';
import { PrometheusMetrics } from '../../src/metrics/prometheus-metrics.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const GRACE = 10;

/** GET /metrics (CONTRACT "Operations"): each counter moves by exactly what happened. */
describe('GET /metrics', () => {
  let t: TestApp;
  let client: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ REFRESH_REUSE_GRACE: String(GRACE) });
    client = await createClient(t);
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const refresh = (refreshToken: string) => token(t, client, { grant_type: 'refresh_token', refresh_token: refreshToken });

  /** How each of `names` (with labels) moved while `act` ran. */
  async function moved(act: () => Promise<void>, series: Record<string, [string, Record<string, string>?]>): Promise<Record<string, number>> {
    const read = (samples: Sample[]) =>
      Object.fromEntries(Object.entries(series).map(([key, [name, labels]]) => [key, metricValue(samples, name, labels)]));
    const before = read(await scrape(t));
    await act();
    const after = read(await scrape(t));
    return Object.fromEntries(Object.keys(series).map((key) => [key, after[key] - before[key]]));
  }

  it('counts a login, a rotation, a grace hit, a reuse and a revocation exactly', async () => {
    const series: Record<string, [string, Record<string, string>?]> = {
      passwordAccess: ['tessera_tokens_issued_total', { grant_type: 'password', kind: 'access_token' }],
      passwordRefresh: ['tessera_tokens_issued_total', { grant_type: 'password', kind: 'refresh_token' }],
      refreshAccess: ['tessera_tokens_issued_total', { grant_type: 'refresh_token', kind: 'access_token' }],
      refreshRefresh: ['tessera_tokens_issued_total', { grant_type: 'refresh_token', kind: 'refresh_token' }],
      rotations: ['tessera_refresh_rotations_total'],
      graceHits: ['tessera_refresh_grace_hits_total'],
      afterGrace: ['tessera_refresh_reuse_detected_total', { reason: 'after_grace' }],
      staleAncestor: ['tessera_refresh_reuse_detected_total', { reason: 'stale_ancestor' }],
      reuseRevoked: ['tessera_sessions_revoked_total', { reason: 'refresh_token_reuse' }],
      revoked: ['tessera_sessions_revoked_total', { reason: 'revoked' }],
    };
    const delta = await moved(async () => {
      const first = await login(t, client, user);
      const rotated = await refresh(first.refresh_token);
      expect(rotated.status).toBe(200);
      // A lost response, retried within the window: the same successor.
      const retried = await refresh(first.refresh_token);
      expect(retried.body.refresh_token).toBe(rotated.body.refresh_token);
      t.clock.advance(GRACE + 1);
      expect((await refresh(first.refresh_token)).status).toBe(400);
      const second = await login(t, client, user);
      expect((await revoke(t, client, second.refresh_token)).status).toBe(200);
    }, series);
    expect(delta).toEqual({
      passwordAccess: 2,
      passwordRefresh: 2,
      refreshAccess: 2,
      refreshRefresh: 1,
      rotations: 1,
      graceHits: 1,
      afterGrace: 1,
      staleAncestor: 0,
      reuseRevoked: 1,
      revoked: 1,
    });
  });

  it('counts client_credentials tokens, access-token revocations and the verified-token cache', async () => {
    const delta = await moved(
      async () => {
        const { body } = await token(t, client, { grant_type: 'client_credentials', scope: 'read' });
        const accessToken = body.access_token as string;
        expect((await introspect(t, client, accessToken)).body.active).toBe(true);
        expect((await introspect(t, client, accessToken)).body.active).toBe(true);
        expect((await revoke(t, client, accessToken)).status).toBe(200);
      },
      {
        issued: ['tessera_tokens_issued_total', { grant_type: 'client_credentials', kind: 'access_token' }],
        hits: ['tessera_introspection_cache_lookups_total', { cache: 'verified_token', result: 'hit' }],
        misses: ['tessera_introspection_cache_lookups_total', { cache: 'verified_token', result: 'miss' }],
        jwtRevoked: ['tessera_access_tokens_revoked_total', { format: 'jwt' }],
      },
    );
    // The first introspection verifies the signature (a miss); the second and the revocation find it cached.
    expect(delta).toEqual({ issued: 1, hits: 2, misses: 1, jwtRevoked: 1 });
  });

  it('keeps one latency histogram series per route pattern, method and status class, never the URL', async () => {
    await login(t, client, user);
    expect((await postForm(t, '/oauth/token', { grant_type: 'password', username: user.username, password: 'wrong' }, { authorization: client.basic })).status).toBe(400);
    await fetch(`${t.url}/no/such/path?token=abcdef`);
    await fetch(`${t.url}/another/unknown/${'x'.repeat(40)}`);
    const samples = await scrape(t);
    const count = (labels: Record<string, string>) => metricValue(samples, 'tessera_http_request_duration_seconds_count', labels);
    expect(count({ method: 'POST', route: '/oauth/token', status_class: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'POST', route: '/oauth/token', status_class: '4xx' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'POST', route: '/oauth/revoke', status_class: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'POST', route: '/oauth/introspect', status_class: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'GET', route: 'unmatched', status_class: '4xx' })).toBe(2);
    const routes = new Set(samples.filter((s) => s.name.startsWith('tessera_http_request_duration_seconds')).map((s) => s.labels.route));
    for (const route of routes) expect(route === 'unmatched' || route.startsWith('/')).toBe(true);
    expect([...routes].some((route) => route.includes('?') || route.includes('no/such'))).toBe(false);
    // Buckets are cumulative and end at the count.
    const inf = metricValue(samples, 'tessera_http_request_duration_seconds_bucket', { route: '/oauth/token', status_class: '2xx', le: '+Inf' });
    expect(inf).toBe(count({ route: '/oauth/token', status_class: '2xx' }));
  });

  it('reports the database pool at scrape time, and process metrics', async () => {
    const samples = await scrape(t);
    const total = metricValue(samples, 'tessera_db_pool_connections');
    expect(total).toBeGreaterThanOrEqual(1);
    expect(total).toBeLessThanOrEqual((t.db.dataSource.driver.options.extra as { max?: number } | undefined)?.max ?? 10);
    expect(metricValue(samples, 'tessera_db_pool_idle_connections')).toBeLessThanOrEqual(total);
    expect(samples.some((s) => s.name === 'tessera_db_pool_waiting_requests')).toBe(true);
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
  });

  it("reports the revocation view's age and the age past which introspection answers 503", async () => {
    const samples = await scrape(t);
    expect(metricValue(samples, 'tessera_revocation_view_max_age_seconds')).toBe(t.config.revocationMaxStalenessMs / 1000);
    const age = metricValue(samples, 'tessera_revocation_view_age_seconds');
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThanOrEqual(t.config.revocationMaxStalenessMs / 1000);
    // Read at scrape time: the clock moves on, the age with it (until the next read of the feed).
    const gauge = t.app.get(PrometheusMetrics).registry.getSingleMetric('tessera_revocation_view_age_seconds')!;
    t.clock.advance(3600);
    const [{ value }] = (await gauge.get()).values;
    expect(value).toBeGreaterThanOrEqual(3600);
  });

  it('is answered with the text format and no-store', async () => {
    const response = await fetch(`${t.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
