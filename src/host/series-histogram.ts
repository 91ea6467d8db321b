/**
 * @module host/series-histogram
 * A Prometheus histogram for the hot paths (every store call, every activity): the same metric
 * prom-client's `Histogram` renders — registered on its `Registry`, the same `# HELP`/`# TYPE`
 * lines, buckets, `_sum` and `_count` samples in the same order — observed through a series
 * looked up once per label values instead of prom-client's per-call label validation, sorted-key
 * hash and bucket object copy (~1 µs per observation, ~10 observations per workflow over
 * `swirl serve`: bench/README.md "Declarative over HTTP").
 */
import type { Registry } from 'prom-client';

/** One label set's counts. */
export interface HistogramSeries {
  /** The label object, in label-name order (what the exposition prints). */
  readonly labels: Record<string, string>;
  /** Observations per bucket, not cumulative; the last slot counts values above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** A sample as prom-client's Registry formats it (`getForPromString`). */
interface Sample {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

/** The label values of a series, in label-name order. */
export type LabelValues<L extends string> = Record<L, string>;

export class SeriesHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The series of these label values (created empty on first use). */
  seriesOf(values: LabelValues<L>): HistogramSeries {
    const names = this.labelNames;
    // One label (the store and activity histograms): its value is the key, no join. Several: each
    // value with its length, so no two label sets share a key whatever characters they hold.
    const key = names.length === 1 ? values[names[0]!] : names.map((n) => `${values[n].length}:${values[n]}`).join('');
    let s = this.series.get(key);
    if (s === undefined) {
      const labels: Record<string, string> = {};
      for (const n of names) labels[n] = values[n];
      s = { labels, counts: new Array<number>(this.upperBounds.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  /** Adds one value (seconds) to a series; a non-finite value throws, as prom-client's does. */
  observe(s: HistogramSeries, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }

  /** The samples for the text exposition, as prom-client's Histogram gives them. */
  async getForPromString(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: string }> {
    const bucket = `${this.name}_bucket`;
    const values: Sample[] = [];
    for (const s of this.series.values()) {
      let acc = 0;
      for (let i = 0; i < this.upperBounds.length; i++) {
        acc += s.counts[i]!;
        values.push({ labels: { le: this.upperBounds[i]! }, sharedLabels: s.labels, value: acc, metricName: bucket, exemplar: null });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum`, exemplar: undefined });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count`, exemplar: undefined });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The samples with each series' labels merged in (the registry's JSON form). */
  async get(): Promise<{ name: string; help: string; type: string; values: Omit<Sample, 'sharedLabels'>[]; aggregator: string }> {
    const data = await this.getForPromString();
    return { ...data, values: data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) };
  }

  /** Forgets every series. */
  reset(): void {
    this.series.clear();
  }
}
