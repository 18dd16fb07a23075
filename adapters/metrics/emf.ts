import type { Registry } from 'prom-client';
import { METRICS } from '../../names/index.ts';
import type { LogEvent } from '../../names/logEvents.ts';
import type { Logger } from '../../runtime/ports.ts';

/**
 * The engine's metrics as CloudWatch Embedded Metric Format (EMF) lines (METRICS_EMF=true), written
 * every `flushMs` from the same prom-client registry that /metrics serves, so both show the same
 * measurements. Each line is one EMF document, following "Specification: Embedded metric format"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 *
 * - the root holds `_aws: { Timestamp, CloudWatchMetrics: [MetricDirective], LogGroupName }` and, as
 *   top-level members, every dimension (a string) and every metric (a number, or an array of at
 *   most 100 numbers) the directive names;
 * - one directive per line: Namespace `FiLot` (by default), one DimensionSet (the series' Prometheus
 *   labels, plus `ServiceName` when given; at most 30 keys), at most 100 MetricDefinitions, each
 *   with the seed's dotted name and CloudWatch unit from names/metrics.ts;
 * - one line per label combination: the series that share the same labels share a line, since the
 *   dimensions of a directive apply to all its metrics. A line that would exceed 100 metrics, or a
 *   histogram with more than 100 observations since the last flush, goes on over further lines
 *   with the same dimensions and timestamp (CloudWatch aggregates them).
 *
 * `_aws.LogGroupName` (and `LogStreamName`) are not part of the specification, whose readers MUST
 * ignore members they do not recognise; they are what the CloudWatch agent's EMF listener reads to
 * choose the log group. AWS's own client library sets them there for the agent
 * (awslabs/aws-embedded-metrics-node, src/sinks/AgentSink.ts: `context.meta.LogGroupName`). When the
 * lines go to stdout under the ECS `awslogs` driver instead, the task definition's `awslogs-group`
 * decides the group and this member is only a label on the line.
 *
 * What each Prometheus type becomes:
 *
 * - counter: the increase since the last flush (a series seen for the first time counts from 0; a
 *   counter that went down was reset and counts from 0 again). A series that did not move writes 0:
 *   a datapoint every flush makes "no data" in CloudWatch mean "this process wrote no metrics", so
 *   an alarm can treat missing data as breaching.
 * - gauge: its current value, every flush.
 * - histogram: the observations since the last flush, as an array of values, one per observation.
 *   The EMF specification allows a metric value to be only a number or an array of numbers (no
 *   per-value counts), and prom-client keeps bucket counts, not the observed values; so each
 *   observation is written as a value inside the bucket it fell in, chosen so that the values add up
 *   to the observed sum. CloudWatch's SampleCount, Sum and Average are therefore exact; percentiles,
 *   Minimum and Maximum are exact to the bucket (as precise as Prometheus' `histogram_quantile`).
 *   A histogram series with no new observation writes nothing.
 *
 * Metrics that names/metrics.ts does not declare (prom-client's default metrics, say) are skipped,
 * as are values that are not finite (EMF has no NaN or Infinity).
 *
 * Delivery is at least once, as EMF's own is: the state a delta is taken from moves on only once the
 * lines carrying the delta were written, so a write that throws loses nothing, and only a histogram
 * series split over several lines, cut off in the middle, can be written twice in part.
 */

/** The event a failed flush is logged under. */
const FLUSH_FAILED: LogEvent = 'metrics.emf_flush_failed';

/**
 * EMF's limits: 100 MetricDefinitions a directive and 100 values an array (the specification); 30
 * keys a DimensionSet (CloudWatch's Dimension limit, and MAX_DIMENSIONS in awslabs/aws-embedded-metrics-java;
 * older copies of the specification said 9).
 */
export const EMF_LIMITS = { metricsPerDirective: 100, valuesPerMetric: 100, dimensionsPerSet: 30 } as const;
/** Keeps one line well under CloudWatch Logs' event size limit (256 KB) whatever the mix of metrics. */
const VALUES_PER_LINE = 1000;
const SERVICE_DIMENSION = 'ServiceName';

export type EmfWriterOptions = {
  registry: Pick<Registry, 'getMetricsAsJSON'>;
  /** CloudWatch namespace; `FiLot` unless told. */
  namespace?: string;
  /** The log group named in each line's `_aws.LogGroupName`. */
  logGroup: string;
  /** How often `start()` flushes, in milliseconds. */
  flushMs: number;
  /** Where a line goes (without its newline); stdout by default. */
  write?: (line: string) => unknown;
  /** The clock for `_aws.Timestamp` (epoch milliseconds). */
  now?: () => number;
  /** Adds the `ServiceName` dimension, with this value, to every line. */
  serviceName?: string;
  logger?: Logger;
};

export type EmfWriter = {
  /** Reads the registry and writes the lines; never rejects (a failure is logged, and the next flush tries again). */
  flush(): Promise<void>;
  /** Flushes every `flushMs` from now on (an unref'd timer); idempotent. */
  start(): void;
  /** Stops the timer and flushes a last time. */
  stop(): Promise<void>;
};

type Labels = Record<string, string>;
type CounterState = { kind: 'counter'; value: number };
type HistogramState = { kind: 'histogram'; buckets: Map<number, number>; sum: number; count: number };
type SeriesState = CounterState | HistogramState;

/** One metric value destined for a line: a number, or a slice of a histogram's values. */
type Entry = { name: string; unit: string; value: number | number[]; size: number; series: string };
/** A label combination and the values it carries this flush. */
type Group = { labels: Labels; entries: Entry[] };

const BY_PROMETHEUS_NAME = new Map<string, { emf: string; unit: string }>(
  Object.values(METRICS).map((metric) => [metric.name, { emf: metric.emf, unit: metric.unit }]),
);

export function createEmfWriter(options: EmfWriterOptions): EmfWriter {
  const namespace = options.namespace ?? 'FiLot';
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const state = new Map<string, SeriesState>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  async function flushOnce(): Promise<void> {
    const metrics = await options.registry.getMetricsAsJSON();
    const timestamp = now();
    const groups = new Map<string, Group>();
    const next = new Map<string, SeriesState>();
    const groupOf = (labels: Labels): Group => {
      const key = labelKey(labels);
      let group = groups.get(key);
      if (group === undefined) {
        group = { labels, entries: [] };
        groups.set(key, group);
      }
      return group;
    };

    for (const metric of metrics) {
      const known = BY_PROMETHEUS_NAME.get(metric.name);
      if (known === undefined) continue;
      const type = String(metric.type);
      if (type === 'counter' || type === 'gauge') {
        for (const { value, labels: raw } of metric.values) {
          const labels = dimensionLabels(raw, options.serviceName);
          if (labels === null || !Number.isFinite(value)) continue;
          const series = `${metric.name}${labelKey(labels)}`;
          let reported = value;
          if (type === 'counter') {
            const previous = state.get(series);
            const before = previous?.kind === 'counter' ? previous.value : 0;
            reported = value >= before ? value - before : value;
            next.set(series, { kind: 'counter', value });
          }
          groupOf(labels).entries.push({ name: known.emf, unit: known.unit, value: reported, size: 1, series });
        }
      } else if (type === 'histogram') {
        for (const [series, { labels, current }] of histogramSeries(metric.name, metric.values, options.serviceName)) {
          const previous = state.get(series);
          const values = observationsSince(previous?.kind === 'histogram' ? previous : undefined, current);
          next.set(series, current);
          for (let start = 0; start < values.length; start += EMF_LIMITS.valuesPerMetric) {
            const slice = values.slice(start, start + EMF_LIMITS.valuesPerMetric);
            groupOf(labels).entries.push({
              name: known.emf,
              unit: known.unit,
              value: slice,
              size: slice.length,
              series,
            });
          }
        }
      }
    }

    // A series the registry no longer reports (reset, or its labels removed) starts from 0 if it comes back.
    for (const series of state.keys()) if (!next.has(series)) state.delete(series);

    const lines: { document: Record<string, unknown>; done: string[] }[] = [];
    for (const group of groups.values()) {
      const documents = pack(group.entries);
      // A series' new state is kept once the last line carrying it is written.
      const lastLine = new Map<string, number>();
      documents.forEach((entries, index) => {
        for (const entry of entries) lastLine.set(entry.series, index);
      });
      documents.forEach((entries, index) => {
        const done = [...lastLine].filter(([, at]) => at === index).map(([series]) => series);
        lines.push({ document: emfDocument(namespace, options.logGroup, timestamp, group.labels, entries), done });
      });
    }
    // Series with nothing to write this flush (a histogram with no new observation) move on at once.
    const carried = new Set(lines.flatMap((line) => line.done));
    for (const [series, value] of next) if (!carried.has(series)) state.set(series, value);

    for (const { document, done } of lines) {
      write(JSON.stringify(document));
      for (const series of done) {
        const value = next.get(series);
        if (value !== undefined) state.set(series, value);
      }
    }
  }

  function flush(): Promise<void> {
    running = running.then(() =>
      flushOnce().catch((error: unknown) => {
        const fields = { writer: 'emf', error: error instanceof Error ? error.message : String(error) };
        if (options.logger) options.logger.error(FLUSH_FAILED, fields);
        else process.emitWarning(`EMF flush failed: ${fields.error}`);
      }),
    );
    return running;
  }

  return {
    flush,
    start() {
      if (timer !== undefined) return;
      timer = setInterval(() => void flush(), options.flushMs);
      timer.unref();
      options.logger?.info('metrics.emf_started', {
        logGroup: options.logGroup,
        flushMs: options.flushMs,
        namespace,
      });
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await flush();
    },
  };
}

/**
 * Prometheus labels as EMF dimensions (strings), plus the service; null when the series cannot be
 * written as EMF (a label would shadow `_aws`, or more than 30 dimensions).
 */
function dimensionLabels(raw: Record<string, unknown>, serviceName: string | undefined): Labels | null {
  const labels: Labels = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'le' || value === undefined) continue;
    if (name === '_aws') return null;
    // A CloudWatch dimension value needs a non-blank character.
    labels[name] = String(value).trim() === '' ? '-' : String(value);
  }
  if (serviceName !== undefined) labels[SERVICE_DIMENSION] = serviceName;
  return Object.keys(labels).length > EMF_LIMITS.dimensionsPerSet ? null : labels;
}

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A histogram's values from getMetricsAsJSON, by series: cumulative bucket counts (by upper bound), sum and count. */
function histogramSeries(
  name: string,
  values: { value: number; labels: Record<string, unknown>; metricName?: string }[],
  serviceName: string | undefined,
): Map<string, { labels: Labels; current: HistogramState }> {
  const series = new Map<string, { labels: Labels; current: HistogramState }>();
  for (const { value, labels: raw, metricName } of values) {
    const labels = dimensionLabels(raw, serviceName);
    if (labels === null) continue;
    const key = `${name}${labelKey(labels)}`;
    let entry = series.get(key);
    if (entry === undefined) {
      entry = { labels, current: { kind: 'histogram', buckets: new Map(), sum: 0, count: 0 } };
      series.set(key, entry);
    }
    if (metricName === `${name}_bucket`) {
      const le = raw.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(raw.le);
      entry.current.buckets.set(le, value);
    } else if (metricName === `${name}_sum`) entry.current.sum = value;
    else if (metricName === `${name}_count`) entry.current.count = value;
  }
  return series;
}

/**
 * The observations a histogram took since `previous`, one value each, in ascending order: each lies
 * within the bounds of the bucket its observation fell in, and together they add up to the observed
 * sum. Each bounded bucket starts at its midpoint, the open-ended one above the last bound at that
 * bound (its least possible value). A sum above that goes to the open-ended bucket when it holds
 * observations (they are the likeliest to be underestimated), otherwise it is spread over the bounded
 * buckets in proportion to their room up to their upper bounds. A sum below it is spread over the
 * bounded buckets in proportion to their room down to their lower bounds (0 for the first bucket),
 * and what they cannot take goes to the first bucket, open-ended below.
 */
function observationsSince(previous: HistogramState | undefined, current: HistogramState): number[] {
  const bounds = [...current.buckets.keys()].filter(Number.isFinite).sort((a, b) => a - b);
  const cumulative = (histogram: HistogramState | undefined, le: number) => histogram?.buckets.get(le) ?? 0;
  let base = previous;
  // A histogram that went down was reset: count from 0.
  if (
    base !== undefined &&
    (current.count < base.count || bounds.some((le) => cumulative(current, le) < cumulative(base, le)))
  )
    base = undefined;

  const total = current.count - (base?.count ?? 0);
  if (total <= 0) return [];
  const sum = current.sum - (base?.sum ?? 0);

  type Bucket = { n: number; lo: number; hi: number; v: number };
  const buckets: Bucket[] = [];
  let below = 0;
  bounds.forEach((le, index) => {
    const upTo = cumulative(current, le) - cumulative(base, le);
    const lo = index === 0 ? Math.min(0, le) : (bounds[index - 1] ?? 0);
    buckets.push({ n: upTo - below, lo, hi: le, v: (lo + le) / 2 });
    below = upTo;
  });
  const last = bounds.at(-1);
  // Above the last bound: open-ended; start at the bound (or, with no bounds at all, at the mean).
  const overflow: Bucket = {
    n: total - below,
    lo: last ?? Number.NEGATIVE_INFINITY,
    hi: Number.POSITIVE_INFINITY,
    v: last ?? (Number.isFinite(sum) ? sum / total : 0),
  };
  buckets.push(overflow);

  if (Number.isFinite(sum)) {
    let residual = sum - buckets.reduce((acc, b) => acc + b.n * b.v, 0);
    const bounded = buckets.filter((b) => b.n > 0 && Number.isFinite(b.hi) && Number.isFinite(b.lo));
    if (residual > 0 && overflow.n > 0) overflow.v += residual / overflow.n;
    else if (residual > 0) {
      const room = bounded.reduce((acc, b) => acc + b.n * (b.hi - b.v), 0);
      const share = room > 0 ? Math.min(1, residual / room) : 0;
      for (const b of bounded) b.v += share * (b.hi - b.v);
    } else if (residual < 0) {
      const room = bounded.reduce((acc, b) => acc + b.n * (b.v - b.lo), 0);
      const share = room > 0 ? Math.min(1, -residual / room) : 0;
      for (const b of bounded) b.v -= share * (b.v - b.lo);
      residual += share * room;
      const first = buckets[0];
      if (residual < 0 && first !== undefined && first.n > 0) first.v += residual / first.n;
    }
  }

  const values: number[] = [];
  for (const b of buckets) for (let i = 0; i < b.n; i++) values.push(b.v);
  return values;
}

/**
 * Packs a label combination's entries into lines: at most 100 metrics a line, no metric twice on a
 * line (its values are one top-level member), and about VALUES_PER_LINE values at most.
 */
function pack(entries: Entry[]): Entry[][] {
  const documents: Entry[][] = [];
  let remaining = entries;
  while (remaining.length > 0) {
    const line: Entry[] = [];
    const names = new Set<string>();
    let size = 0;
    const left: Entry[] = [];
    for (const entry of remaining) {
      const fits =
        !names.has(entry.name) &&
        line.length < EMF_LIMITS.metricsPerDirective &&
        (line.length === 0 || size + entry.size <= VALUES_PER_LINE);
      if (fits) {
        line.push(entry);
        names.add(entry.name);
        size += entry.size;
      } else left.push(entry);
    }
    documents.push(line);
    remaining = left;
  }
  return documents;
}

function emfDocument(
  namespace: string,
  logGroup: string,
  timestamp: number,
  labels: Labels,
  entries: Entry[],
): Record<string, unknown> {
  const dimensions = Object.keys(labels).sort();
  const document: Record<string, unknown> = {
    _aws: {
      Timestamp: timestamp,
      LogGroupName: logGroup,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [dimensions],
          Metrics: entries.map((entry) => ({ Name: entry.name, Unit: entry.unit })),
        },
      ],
    },
  };
  for (const name of dimensions) document[name] = labels[name];
  for (const entry of entries) document[entry.name] = entry.value;
  return document;
}
