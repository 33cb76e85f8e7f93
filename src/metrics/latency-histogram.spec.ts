import { AggregatorRegistry, Histogram, type Metric, Registry } from 'prom-client';
import { LatencyHistogram } from './latency-histogram.js';

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

function both(): { ours: Registry; theirs: Registry } {
  const ours = new Registry();
  const theirs = new Registry();
  const latency = new LatencyHistogram('latency_seconds', 'help text', BUCKETS);
  ours.registerMetric(latency as unknown as Metric);
  const reference = new Histogram({ name: 'latency_seconds', help: 'help text', labelNames: ['method', 'route'], buckets: BUCKETS, registers: [theirs] });
  for (const [method, route, seconds] of OBSERVATIONS) {
    latency.observe(`${method} ${route}`, () => ({ method, route }), seconds);
    reference.labels(method, route).observe(seconds);
  }
  return { ours, theirs };
}

describe('LatencyHistogram', () => {
  it('exposes exactly what a prom-client histogram fed the same observations exposes', async () => {
    const { ours, theirs } = both();
    const text = await ours.metrics();
    expect(text).toContain('latency_seconds_bucket{le="0.01",method="POST",route="/oauth/token"} 1');
    expect(text).toBe(await theirs.metrics());
  });

  it('is summed across cluster workers like a prom-client histogram', async () => {
    const workers = [both(), both()];
    const ours = AggregatorRegistry.aggregate(await Promise.all(workers.map((w) => w.ours.getMetricsAsJSON())));
    const theirs = AggregatorRegistry.aggregate(await Promise.all(workers.map((w) => w.theirs.getMetricsAsJSON())));
    expect(await ours.metrics()).toContain('latency_seconds_count{method="GET",route="/healthz"} 6');
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('starts over on reset', async () => {
    const { ours } = both();
    ours.resetMetrics();
    expect(await ours.metrics()).not.toContain('latency_seconds_bucket');
  });
});
