/** What a registry reads of a metric: prom-client's histogram shape (`Registry.registerMetric`). */
interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

class Series {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    buckets: number,
  ) {
    this.counts = new Float64Array(buckets);
  }
}

/**
 * A histogram recorded by a precomputed key, for the one observation every request makes.
 * prom-client's own child validates and hashes its labels again on each observation,
 * which cost more than the rest of a cached introspection's bookkeeping together; here an
 * observation is a map lookup and a bucket increment. It is read (and summed across
 * cluster workers) like a prom-client histogram: same samples, same labels, same order.
 */
export class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {}

  /** `labels` is called only the first time `key` is seen: the key must name the label set. */
  observe(key: string, labels: () => Record<string, string>, seconds: number): void {
    let series = this.series.get(key);
    if (series === undefined) {
      series = new Series(labels(), this.bounds.length);
      this.series.set(key, series);
    }
    // prom-client's buckets: the first upper bound the value does not exceed.
    let bucket = 0;
    while (bucket < this.bounds.length && seconds > this.bounds[bucket]) bucket++;
    if (bucket < this.bounds.length) series.counts[bucket]++;
    series.sum += seconds;
    series.count++;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += series.counts[i];
        values.push({ labels: { le, ...series.labels }, value: cumulative, metricName: bucket });
      });
      values.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: bucket });
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}
