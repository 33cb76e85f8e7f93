import { AggregatorRegistry, Counter, Histogram, type Metric, Registry } from 'prom-client';
import { KeyedCounter, LatencyHistogram } from './keyed-metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
// On, between and beyond the bounds, for two label sets.
const OBSERVATIONS: Array<[method: string, route: string, seconds: number]> = [
  ['GET', '/healthz', 0.0005],
  ['GET', '/healthz', 0.001],
  ['POST', '/oauth/token', 0.0011],
  ['POST', '/oauth/token', 0.1],
  ['POST', '/oauth/token', 2.5],
  ['GET', '/healthz', 0.05],
];
const COUNTS: Array<[grant: string, kind: string, by: number]> = [
  ['password', 'access_token', 1],
  ['refresh_token', 'refresh_token', 1],
  ['password', 'access_token', 2],
  ['client_credentials', 'access_token', 1],
];

interface Pair {
  ours: Registry;
  theirs: Registry;
  counter: KeyedCounter;
}

/** The same observations and counts, into our metrics and into prom-client's own. */
function pair(): Pair {
  const ours = new Registry();
  const theirs = new Registry();
  const latency = new LatencyHistogram('latency_seconds', 'help text', BUCKETS);
  const counter = new KeyedCounter('issued_total', 'help text');
  ours.registerMetric(latency as unknown as Metric);
  ours.registerMetric(counter as unknown as Metric);
  const histogram = new Histogram({ name: 'latency_seconds', help: 'help text', labelNames: ['method', 'route'], buckets: BUCKETS, registers: [theirs] });
  const reference = new Counter({ name: 'issued_total', help: 'help text', labelNames: ['grant_type', 'kind'], registers: [theirs] });
  for (const [method, route, seconds] of OBSERVATIONS) {
    latency.observe(`${method} ${route}`, () => ({ method, route }), seconds);
    histogram.labels(method, route).observe(seconds);
  }
  // Bound but never counted: absent from both, as prom-client shows only what was counted.
  counter.labels('implicit access_token', () => ({ grant_type: 'implicit', kind: 'access_token' }));
  for (const [grant, kind, by] of COUNTS) {
    counter.labels(`${grant} ${kind}`, () => ({ grant_type: grant, kind })).inc(by);
    reference.labels(grant, kind).inc(by);
  }
  return { ours, theirs, counter };
}

describe('keyed metrics', () => {
  it('expose exactly what prom-client metrics fed the same observations expose', async () => {
    const { ours, theirs } = pair();
    const text = await ours.metrics();
    expect(text).toContain('latency_seconds_bucket{le="0.01",method="POST",route="/oauth/token"} 1');
    expect(text).toContain('issued_total{grant_type="password",kind="access_token"} 3');
    expect(text).not.toContain('implicit');
    expect(text).toBe(await theirs.metrics());
  });

  it('are summed across cluster workers like prom-client metrics', async () => {
    const workers = [pair(), pair()];
    const ours = AggregatorRegistry.aggregate(await Promise.all(workers.map((w) => w.ours.getMetricsAsJSON())));
    const theirs = AggregatorRegistry.aggregate(await Promise.all(workers.map((w) => w.theirs.getMetricsAsJSON())));
    const text = await ours.metrics();
    expect(text).toContain('latency_seconds_count{method="GET",route="/healthz"} 6');
    expect(text).toContain('issued_total{grant_type="password",kind="access_token"} 6');
    expect(text).toBe(await theirs.metrics());
  });

  it('start over on reset, and a counter child bound before counts again after', async () => {
    const { ours, counter } = pair();
    const child = counter.labels('password access_token', () => ({ grant_type: 'password', kind: 'access_token' }));
    ours.resetMetrics();
    expect(await ours.metrics()).not.toMatch(/latency_seconds_bucket|issued_total\{/);
    child.inc();
    expect(await ours.metrics()).toContain('issued_total{grant_type="password",kind="access_token"} 1');
    expect(await ours.metrics()).not.toContain('refresh_token');
  });
});
