import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { createEmfWriter } from '../../../adapters/metrics/emf.ts';
import { createMetrics } from '../../../adapters/metrics/registry.ts';
import { METRICS } from '../../../names/index.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';

const LOG_GROUP = '/ecs/filot-ocr-gpu-worker';
const T0 = 1_767_225_600_000;

/** CloudWatch's units (MetricDatum; the EMF specification's JSON schema lists the same). */
const UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

type Doc = Record<string, unknown> & {
  _aws: {
    Timestamp: number;
    LogGroupName: string;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit?: string }[] }[];
  };
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isName = (value: unknown): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= 255;

/**
 * Checks one line against "Specification: Embedded metric format": a JSON object and nothing else on
 * the line; `_aws` an object with a numeric `Timestamp` (epoch ms) and a `CloudWatchMetrics` array of
 * MetricDirectives (Namespace, Dimensions: DimensionSets of at most 30 keys, Metrics: at most 100
 * MetricDefinitions with a Name and a CloudWatch Unit), no other members in those objects; every
 * dimension a string member of the root, every metric a number or an array of at most 100 numbers
 * at the root; plus this engine's choices: namespace FiLot, the configured LogGroupName.
 */
function validateEmf(line: string): Doc {
  assert.ok(!line.includes('\n'), 'one document a line');
  assert.ok(Buffer.byteLength(line) < 256 * 1024, 'within the CloudWatch Logs event size');
  const document: unknown = JSON.parse(line);
  assert.ok(isObject(document), 'the root is an object');
  const aws = document._aws;
  assert.ok(isObject(aws), '_aws is an object');
  for (const key of Object.keys(aws))
    assert.ok(['Timestamp', 'CloudWatchMetrics', 'LogGroupName', 'LogStreamName'].includes(key), `_aws.${key}`);
  assert.ok(Number.isInteger(aws.Timestamp) && (aws.Timestamp as number) > 0, 'Timestamp is epoch milliseconds');
  assert.equal(aws.LogGroupName, LOG_GROUP);
  assert.ok(Array.isArray(aws.CloudWatchMetrics) && aws.CloudWatchMetrics.length > 0, 'CloudWatchMetrics');
  for (const directive of aws.CloudWatchMetrics) {
    assert.ok(isObject(directive));
    assert.deepEqual(Object.keys(directive).sort(), ['Dimensions', 'Metrics', 'Namespace']);
    assert.equal(directive.Namespace, 'FiLot');
    assert.ok(Array.isArray(directive.Dimensions) && directive.Dimensions.length >= 1, 'Dimensions');
    for (const set of directive.Dimensions) {
      assert.ok(Array.isArray(set) && set.length <= 30, 'a DimensionSet has at most 30 keys');
      for (const name of set) {
        assert.ok(isName(name), 'a dimension key is a string');
        const value = document[name];
        assert.ok(typeof value === 'string' && value.trim() !== '', `dimension ${name} is a string member of the root`);
      }
    }
    assert.ok(Array.isArray(directive.Metrics) && directive.Metrics.length >= 1, 'Metrics');
    assert.ok(directive.Metrics.length <= 100, 'at most 100 MetricDefinitions');
    for (const definition of directive.Metrics) {
      assert.ok(isObject(definition));
      for (const key of Object.keys(definition)) assert.ok(['Name', 'Unit', 'StorageResolution'].includes(key), key);
      assert.ok(isName(definition.Name), 'a metric Name is a string');
      if (definition.Unit !== undefined) assert.ok(UNITS.has(definition.Unit as string), `unit ${definition.Unit}`);
      if (definition.StorageResolution !== undefined)
        assert.ok([1, 60].includes(definition.StorageResolution as number));
      const value = document[definition.Name];
      if (Array.isArray(value)) {
        assert.ok(value.length >= 1 && value.length <= 100, `${definition.Name}: at most 100 values`);
        for (const item of value) assert.ok(Number.isFinite(item), `${definition.Name}: numbers`);
      } else assert.ok(Number.isFinite(value), `${definition.Name} is a number member of the root`);
    }
  }
  return document as Doc;
}

/** The seed's metrics that the tests record, built as registry.ts builds them (same names, labels and buckets). */
function seedRegistry() {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    ocrFallbacks: new Counter({ ...METRICS.ocrFallbacks, labelNames: ['reason'] as const, registers }),
    evaluationOutcomes: new Counter({ ...METRICS.evaluationOutcomes, labelNames: ['status'] as const, registers }),
    buli2Retries: new Counter({ ...METRICS.buli2RetryCount, labelNames: ['operation'] as const, registers }),
    gpuActiveJobs: new Gauge({ ...METRICS.gpuActiveJobs, registers }),
    circuit: new Gauge({ ...METRICS.buli2CircuitState, registers }),
    ocrMs: new Histogram({
      ...METRICS.ocrProcessingMs,
      labelNames: ['device'] as const,
      buckets: [50, 100, 150, 250, 400, 650, 1000, 2000, 5000],
      registers,
    }),
    forwardMs: new Histogram({
      ...METRICS.buli2ForwardMs,
      labelNames: ['outcome'] as const,
      buckets: [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    // Not in names/metrics.ts: never written.
    other: new Counter({ name: 'process_other_total', help: 'not ours', registers }),
  };
}

function harness() {
  const metrics = seedRegistry();
  const lines: string[] = [];
  let clock = T0;
  const { logger, entries } = recordingLogger();
  const writer = createEmfWriter({
    registry: metrics.registry,
    logGroup: LOG_GROUP,
    flushMs: 60_000,
    write: (line) => lines.push(line),
    now: () => clock,
    logger,
  });
  /** Flushes and returns the documents written by that flush, each checked against the specification. */
  const flush = async () => {
    const from = lines.length;
    await writer.flush();
    return lines.slice(from).map(validateEmf);
  };
  const advance = (ms: number) => {
    clock += ms;
  };
  return { ...metrics, writer, lines, entries, flush, advance };
}

/** The value of a metric in the documents whose dimensions are exactly `dimensions`. */
function valuesOf(documents: Doc[], name: string, dimensions: Record<string, string> = {}): (number | number[])[] {
  return documents
    .filter((document) => {
      const set = document._aws.CloudWatchMetrics[0]?.Dimensions[0] ?? [];
      return (
        set.length === Object.keys(dimensions).length &&
        Object.entries(dimensions).every(([key, value]) => set.includes(key) && document[key] === value)
      );
    })
    .filter((document) => name in document)
    .map((document) => document[name] as number | number[]);
}

const sum = (values: number[]) => values.reduce((acc, value) => acc + value, 0);

describe('the EMF validator of these tests', () => {
  it('should refuse documents the specification refuses', () => {
    const valid = {
      _aws: {
        Timestamp: T0,
        LogGroupName: LOG_GROUP,
        CloudWatchMetrics: [{ Namespace: 'FiLot', Dimensions: [['device']], Metrics: [{ Name: 'm', Unit: 'Count' }] }],
      },
      device: 'cpu',
      m: 1,
    };
    validateEmf(JSON.stringify(valid));
    const broken = (change: (document: typeof valid & Record<string, unknown>) => void) => {
      const document = structuredClone(valid);
      change(document);
      return JSON.stringify(document);
    };
    const directive = (document: typeof valid) => document._aws.CloudWatchMetrics[0] as Record<string, unknown>;
    for (const line of [
      broken((d) => Reflect.deleteProperty(d, '_aws')),
      broken((d) => Reflect.set(d._aws, 'Timestamp', '2026-01-01')),
      broken((d) => Reflect.set(d._aws, 'LogGroupName', '/ecs/other')),
      broken((d) => Reflect.set(directive(d), 'Namespace', 'Other')),
      broken((d) => Reflect.set(directive(d), 'Dimensions', [Array.from({ length: 31 }, (_, i) => `d${i}`)])),
      broken((d) => Reflect.set(d, 'device', 3)),
      broken((d) => Reflect.deleteProperty(d, 'm')),
      broken((d) =>
        Reflect.set(
          d,
          'm',
          Array.from({ length: 101 }, () => 1),
        ),
      ),
      broken((d) => Reflect.set(d, 'm', 'one')),
      broken((d) => Reflect.set(directive(d), 'Metrics', [{ Name: 'm', Unit: 'Widgets' }])),
      broken((d) =>
        Reflect.set(
          directive(d),
          'Metrics',
          Array.from({ length: 101 }, () => ({ Name: 'm' })),
        ),
      ),
      `${JSON.stringify(valid)} trailing`,
    ])
      assert.throws(() => validateEmf(line), line.slice(0, 120));
  });
});

describe('the EMF writer', () => {
  it('should write valid EMF lines, one per label combination, with the seed names and units', async () => {
    const h = harness();
    h.ocrFallbacks.inc({ reason: 'cuda_unavailable' }, 2);
    h.evaluationOutcomes.inc({ status: 'verified' });
    h.evaluationOutcomes.inc({ status: 'rejected' }, 3);
    h.gpuActiveJobs.set(4);
    h.circuit.set(2);
    h.ocrMs.observe({ device: 'cuda' }, 120);
    h.ocrMs.observe({ device: 'cpu' }, 900);

    const documents = await h.flush();
    for (const document of documents) assert.equal(document._aws.Timestamp, T0);
    // One line per label combination: none (the gauges), reason, status ×2, device ×2.
    const combinations = documents.map((document) =>
      (document._aws.CloudWatchMetrics[0]?.Dimensions[0] ?? []).map((key) => `${key}=${document[key]}`).join(','),
    );
    assert.deepEqual(combinations.sort(), [
      '',
      'device=cpu',
      'device=cuda',
      'reason=cuda_unavailable',
      'status=rejected',
      'status=verified',
    ]);

    assert.deepEqual(valuesOf(documents, 'filot.ocr.fallbacks', { reason: 'cuda_unavailable' }), [2]);
    assert.deepEqual(valuesOf(documents, 'filot.evaluation.outcomes', { status: 'rejected' }), [3]);
    assert.deepEqual(valuesOf(documents, 'filot.evaluation.outcomes', { status: 'verified' }), [1]);
    assert.deepEqual(valuesOf(documents, 'filot.gpu.active_jobs'), [4]);
    assert.deepEqual(valuesOf(documents, 'filot.buli2.circuit_state'), [2]);
    assert.equal(valuesOf(documents, 'filot.gpu.processing_time_ms', { device: 'cuda' }).flat().length, 1);

    const units = new Map(
      documents.flatMap((document) =>
        (document._aws.CloudWatchMetrics[0]?.Metrics ?? []).map((metric) => [metric.Name, metric.Unit]),
      ),
    );
    assert.equal(units.get('filot.gpu.processing_time_ms'), 'Milliseconds');
    assert.equal(units.get('filot.ocr.fallbacks'), 'Count');
    assert.equal(units.get('filot.buli2.circuit_state'), 'None');
    assert.ok(!h.lines.some((line) => line.includes('process_other')), 'metrics not in names/metrics.ts are skipped');
  });

  it('should report counters as the increase since the last flush, and gauges as they are', async () => {
    const h = harness();
    h.ocrFallbacks.inc({ reason: 'cuda_unavailable' }, 5);
    h.gpuActiveJobs.set(3);
    await h.flush();

    h.advance(60_000);
    h.ocrFallbacks.inc({ reason: 'cuda_unavailable' }, 2);
    h.ocrFallbacks.inc({ reason: 'session_failed' });
    h.gpuActiveJobs.set(1);
    const second = await h.flush();
    for (const document of second) assert.equal(document._aws.Timestamp, T0 + 60_000);
    assert.deepEqual(valuesOf(second, 'filot.ocr.fallbacks', { reason: 'cuda_unavailable' }), [2]);
    // Never seen before: counts from 0.
    assert.deepEqual(valuesOf(second, 'filot.ocr.fallbacks', { reason: 'session_failed' }), [1]);
    assert.deepEqual(valuesOf(second, 'filot.gpu.active_jobs'), [1]);

    // A reset counter counts from 0 again.
    h.ocrFallbacks.reset();
    h.ocrFallbacks.inc({ reason: 'cuda_unavailable' });
    const third = await h.flush();
    assert.deepEqual(valuesOf(third, 'filot.ocr.fallbacks', { reason: 'cuda_unavailable' }), [1]);
    assert.deepEqual(valuesOf(third, 'filot.ocr.fallbacks', { reason: 'session_failed' }), []);
  });

  it("should write a histogram's observations since the last flush: exact count and sum, each value in its bucket", async () => {
    const h = harness();
    const bounds = [50, 100, 150, 250, 400, 650, 1000, 2000, 5000, Number.POSITIVE_INFINITY];
    const bucketOf = (value: number) => bounds.findIndex((le) => value <= le);
    // 250 observations, spread over every bucket, the open-ended one included.
    const observed = Array.from({ length: 250 }, (_, i) => ((i * 7919) % 6500) + 0.5 + (i % 3) * 0.25);
    for (const value of observed) h.ocrMs.observe({ device: 'cuda' }, value);

    const first = await h.flush();
    const lines = valuesOf(first, 'filot.gpu.processing_time_ms', { device: 'cuda' });
    assert.deepEqual(
      lines.map((values) => (values as number[]).length),
      [100, 100, 50],
      'over several lines, 100 values at most each',
    );
    const written = (lines.flat() as number[]).sort((a, b) => a - b);
    const sorted = [...observed].sort((a, b) => a - b);
    assert.equal(written.length, observed.length, 'SampleCount is exact');
    assert.ok(Math.abs(sum(written) - sum(observed)) < 1e-6 * sum(observed), 'Sum is exact');
    for (const [i, value] of written.entries()) {
      const bucket = bucketOf(sorted[i] ?? Number.NaN);
      const lo = bucket === 0 ? 0 : (bounds[bucket - 1] ?? 0);
      const hi = bounds[bucket] ?? Number.POSITIVE_INFINITY;
      assert.ok(value >= lo - 1e-9 && value <= hi + 1e-9, `value ${value} in (${lo}, ${hi}] as ${sorted[i]} was`);
    }

    // The next flush carries only what was observed since.
    h.ocrMs.observe({ device: 'cuda' }, 42);
    h.ocrMs.observe({ device: 'cuda' }, 3000);
    const second = await h.flush();
    const since = valuesOf(second, 'filot.gpu.processing_time_ms', { device: 'cuda' }).flat() as number[];
    assert.equal(since.length, 2);
    assert.ok(Math.abs(sum(since) - 3042) < 1e-9);
    assert.ok((since[0] ?? 0) <= 50 && (since[1] ?? 0) > 2000 && (since[1] ?? 0) <= 5000);

    // One observation alone is written exactly.
    h.forwardMs.observe({ outcome: 'ok' }, 37.5);
    assert.deepEqual(valuesOf(await h.flush(), 'filot.buli2.forward_latency_ms', { outcome: 'ok' }), [[37.5]]);
    // So are observations that share a bucket and a value, whichever side of its midpoint.
    for (const value of [24, 24, 24, 11, 11]) h.forwardMs.observe({ outcome: value > 20 ? 'ok' : 'failed' }, value);
    const skewed = await h.flush();
    assert.deepEqual(valuesOf(skewed, 'filot.buli2.forward_latency_ms', { outcome: 'ok' }), [[24, 24, 24]]);
    assert.deepEqual(valuesOf(skewed, 'filot.buli2.forward_latency_ms', { outcome: 'failed' }), [[11, 11]]);
  });

  it('should write, when nothing new happened, the gauges, a 0 for each counter, and no histogram', async () => {
    const h = harness();
    h.evaluationOutcomes.inc({ status: 'verified' });
    h.gpuActiveJobs.set(2);
    h.ocrMs.observe({ device: 'cpu' }, 300);
    await h.flush();

    h.advance(60_000);
    const quiet = await h.flush();
    assert.deepEqual(valuesOf(quiet, 'filot.evaluation.outcomes', { status: 'verified' }), [0]);
    assert.deepEqual(valuesOf(quiet, 'filot.gpu.active_jobs'), [2]);
    assert.deepEqual(valuesOf(quiet, 'filot.gpu.processing_time_ms', { device: 'cpu' }), []);
    assert.ok(
      !quiet.some((document) => document.device === 'cpu'),
      'a line whose only metric had nothing new is not written',
    );
  });

  it("should write only valid lines, with the seed's names, from the engine's own registry", async () => {
    const metrics = createMetrics();
    metrics.ocrProcessingMs.observe({ device: 'cuda' }, 180);
    metrics.evaluationOutcomes.inc({ status: 'verified' });
    metrics.gpuActiveJobs.set(1);
    const lines: string[] = [];
    const writer = createEmfWriter({
      registry: metrics.registry,
      logGroup: LOG_GROUP,
      flushMs: 1000,
      write: (l) => lines.push(l),
    });
    await writer.flush();
    await writer.flush();
    const documents = lines.map(validateEmf);
    assert.ok(documents.length > 0);
    const seed = new Map<string, string>(Object.values(METRICS).map((metric) => [metric.emf, metric.unit]));
    for (const document of documents)
      for (const metric of document._aws.CloudWatchMetrics[0]?.Metrics ?? [])
        assert.equal(metric.Unit, seed.get(metric.Name), metric.Name);
    assert.deepEqual(valuesOf(documents, 'filot.gpu.processing_time_ms', { device: 'cuda' }), [[180]]);
  });

  it('should leave out a series that would need more than 30 dimensions', async () => {
    const registry = new Registry();
    const labelNames = Array.from({ length: 31 }, (_, i) => `l${i}`);
    const wide = new Counter({ ...METRICS.transitions, labelNames, registers: [registry] });
    wide.inc(Object.fromEntries(labelNames.map((name) => [name, 'x'])));
    const narrow = new Counter({ ...METRICS.reviewSlaBreaches, labelNames: ['kind'], registers: [registry] });
    narrow.inc({ kind: 'reminder' });
    const lines: string[] = [];
    await createEmfWriter({ registry, logGroup: LOG_GROUP, flushMs: 1000, write: (line) => lines.push(line) }).flush();
    const documents = lines.map(validateEmf);
    assert.deepEqual(valuesOf(documents, 'filot.review.sla_breaches', { kind: 'reminder' }), [1]);
    assert.ok(!lines.some((line) => line.includes('filot.transitions')));
  });

  it('should add the ServiceName dimension when given one', async () => {
    const h = seedRegistry();
    h.gpuActiveJobs.set(1);
    const lines: string[] = [];
    const writer = createEmfWriter({
      registry: h.registry,
      logGroup: LOG_GROUP,
      flushMs: 1000,
      serviceName: 'filot-ocr-gpu-worker',
      write: (line) => lines.push(line),
    });
    await writer.flush();
    const documents = lines.map(validateEmf);
    assert.deepEqual(valuesOf(documents, 'filot.gpu.active_jobs', { ServiceName: 'filot-ocr-gpu-worker' }), [1]);
  });

  it('should log a flush whose write throws, lose nothing, and write on the next flush', async () => {
    const h = seedRegistry();
    const lines: string[] = [];
    const { logger, entries } = recordingLogger();
    let failing = true;
    const writer = createEmfWriter({
      registry: h.registry,
      logGroup: LOG_GROUP,
      flushMs: 1000,
      logger,
      write: (line) => {
        if (failing) throw new Error('EPIPE');
        lines.push(line);
      },
    });
    h.ocrFallbacks.inc({ reason: 'cuda_unavailable' }, 4);
    await writer.flush();
    assert.equal(lines.length, 0);
    assert.equal(entries.filter((entry) => entry.level === 'error').length, 1);
    assert.match(String(entries[0]?.fields?.error), /EPIPE/);

    failing = false;
    h.ocrFallbacks.inc({ reason: 'cuda_unavailable' });
    await writer.flush();
    // Delivered at least once: the increase the failed flush could not write is carried over.
    assert.deepEqual(valuesOf(lines.map(validateEmf), 'filot.ocr.fallbacks', { reason: 'cuda_unavailable' }), [5]);
  });

  it('should write again a histogram series whose lines were cut off by a failed write', async () => {
    const h = seedRegistry();
    const lines: string[] = [];
    let histogramLines = 0;
    const writer = createEmfWriter({
      registry: h.registry,
      logGroup: LOG_GROUP,
      flushMs: 1000,
      logger: recordingLogger().logger,
      write: (line) => {
        // The last of the three lines of the histogram below fails.
        if (line.includes('"device"') && ++histogramLines === 3) throw new Error('EPIPE');
        lines.push(line);
      },
    });
    for (let i = 0; i < 250; i++) h.ocrMs.observe({ device: 'cpu' }, 120);
    const histogram = () =>
      valuesOf(lines.splice(0).map(validateEmf), 'filot.gpu.processing_time_ms', { device: 'cpu' }).flat();
    await writer.flush();
    assert.equal(histogram().length, 200);
    await writer.flush();
    assert.equal(histogram().length, 250, 'the series is written whole on the next flush');
    await writer.flush();
    assert.equal(histogram().length, 0, 'and then it has nothing new');
  });

  it('should log a registry that fails to read and try again on the next flush', async () => {
    const { logger, entries } = recordingLogger();
    const lines: string[] = [];
    const real = seedRegistry();
    real.gpuActiveJobs.set(7);
    let calls = 0;
    const registry = {
      getMetricsAsJSON: () =>
        ++calls === 1 ? Promise.reject(new Error('redis down')) : real.registry.getMetricsAsJSON(),
    };
    const writer = createEmfWriter({
      registry,
      logGroup: LOG_GROUP,
      flushMs: 1000,
      logger,
      write: (l) => lines.push(l),
    });
    await writer.flush();
    assert.equal(entries.filter((entry) => entry.level === 'error').length, 1);
    await writer.flush();
    assert.deepEqual(valuesOf(lines.map(validateEmf), 'filot.gpu.active_jobs'), [7]);
  });

  it('should flush on its timer, and on stop() once more before clearing it', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const h = harness();
    h.gpuActiveJobs.set(1);
    h.writer.start();
    h.writer.start();
    assert.equal(h.entries.filter((entry) => entry.message === 'metrics.emf_started').length, 1);
    assert.deepEqual(h.entries[0]?.fields, { logGroup: LOG_GROUP, flushMs: 60_000, namespace: 'FiLot' });

    t.mock.timers.tick(59_999);
    await settle();
    assert.equal(h.lines.length, 0);
    t.mock.timers.tick(1);
    await settle();
    const perFlush = h.lines.length;
    assert.ok(perFlush > 0, 'the timer flushed');

    const beforeStop = h.lines.length;
    await h.writer.stop();
    assert.equal(h.lines.length - beforeStop, perFlush, 'stop() flushed once');
    t.mock.timers.tick(600_000);
    await settle();
    assert.equal(h.lines.length - beforeStop, perFlush, 'and the timer is gone');
  });
});

/** Lets a flush the timer started finish (the registry read is a promise). */
async function settle() {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
