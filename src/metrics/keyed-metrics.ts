/** A sample as a prom-client registry reads it (`Registry.registerMetric`, cluster aggregation). */
interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/**
 * Metrics for what a hot path records on every request (request latency, tokens issued,
 * introspection cache lookups), kept by a key the caller already has. prom-client's
 * children validate and hash their label set again on every observe() and inc(), which
 * cost more than the rest of a cached introspection's bookkeeping together. These are
 * read, and summed across cluster workers, like prom-client's own: same samples, same
 * labels, same order (tested against it); a label set appears once something is recorded.
 */
abstract class KeyedMetric<S extends { readonly labels: Readonly<Record<string, string>> }> {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';
  protected readonly series = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** The series of `key`; `labels` is called the first time only: the key must name them. */
  protected seriesOf(key: string, labels: () => Record<string, string>, create: (labels: Record<string, string>) => S): S {
    let series = this.series.get(key);
    if (series === undefined) {
      series = create(labels());
      this.series.set(key, series);
    }
    return series;
  }

  protected abstract samples(series: S): Sample[];

  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    const values = [...this.series.values()].flatMap((series) => this.samples(series));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  abstract reset(): void;
}

/** One label set of a KeyedCounter: counting is an addition. */
export interface BoundCounter {
  inc(by?: number): void;
}

interface CounterSeries extends BoundCounter {
  readonly labels: Readonly<Record<string, string>>;
  value: number;
  /** counted since the last reset: only those are read */
  counted: boolean;
}

export class KeyedCounter extends KeyedMetric<CounterSeries> {
  readonly type = 'counter';

  /** The child for one label set, to keep or to look up by key on each count. */
  labels(key: string, labels: () => Record<string, string>): BoundCounter {
    return this.seriesOf(key, labels, (own) => ({
      labels: own,
      value: 0,
      counted: false,
      inc(by = 1) {
        this.value += by;
        this.counted = true;
      },
    }));
  }

  protected samples(series: CounterSeries): Sample[] {
    return series.counted ? [{ labels: { ...series.labels }, value: series.value }] : [];
  }

  reset(): void {
    for (const series of this.series.values()) {
      series.value = 0;
      series.counted = false;
    }
  }
}

interface HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class LatencyHistogram extends KeyedMetric<HistogramSeries> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    private readonly bounds: readonly number[],
  ) {
    super(name, help);
  }

  observe(key: string, labels: () => Record<string, string>, seconds: number): void {
    const series = this.seriesOf(key, labels, (own) => ({ labels: own, counts: new Float64Array(this.bounds.length), sum: 0, count: 0 }));
    // prom-client's buckets: the first upper bound the value does not exceed.
    let bucket = 0;
    while (bucket < this.bounds.length && seconds > this.bounds[bucket]) bucket++;
    if (bucket < this.bounds.length) series.counts[bucket]++;
    series.sum += seconds;
    series.count++;
  }

  protected samples({ labels, counts, sum, count }: HistogramSeries): Sample[] {
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    return [
      ...this.bounds.map((le, i) => ({ labels: { le, ...labels }, value: (cumulative += counts[i]), metricName: bucket })),
      { labels: { le: '+Inf', ...labels }, value: count, metricName: bucket },
      { labels: { ...labels }, value: sum, metricName: `${this.name}_sum` },
      { labels: { ...labels }, value: count, metricName: `${this.name}_count` },
    ];
  }

  reset(): void {
    this.series.clear();
  }
}
