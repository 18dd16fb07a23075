import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRICS, type MetricKey } from '../../names/index.ts';
import type { RuntimeMetrics } from '../../runtime/ports.ts';
import type { HttpMetrics } from '../../server/http/httpMetrics.ts';

/**
 * The engine's Prometheus metrics, named in names/metrics.ts. One registry per process, created at
 * start-up and passed to whoever records.
 *
 * Counters, histograms, `filot_gpu_active_jobs` and `filot_buli2_circuit_state` are this process's
 * own: Prometheus sums (or, for the two gauges, lists) them across instances. The five gauges read
 * when scraped (`filot_queue_length`, the outbox backlog and its oldest age, the review queue size
 * and its oldest age) are shared: they read Redis or Postgres, so every instance reports the same
 * value (aggregate them with max(), not sum()). Their reads are installed by collectors.ts; until
 * then, or while a read fails, they keep their last value.
 *
 * Label values are bounded: device, reason code, status, kind, operation, outcome, event type, who
 * decided, method, route template and status class. Never an id or a user's or document's value.
 */

/** What collectors.ts installs: a read of one shared source, run when the registry is scraped. */
export type ScrapeRead = () => Promise<void>;

/** The bounded label values known in advance, exported as zero so that a series exists before its first event. */
const DEVICES = ['cuda', 'cpu'] as const;
const DECIDED_BY = ['automatic', 'human'] as const;
const DECISIONS = ['auto_approve', 'auto_reject', 'needs_review'] as const;
const BULI2_OPERATIONS = ['forward', 'withdraw'] as const;

/** The name and help of a declared metric: prom-client gets only its own options, not `emf`/`unit`. */
const named = (key: MetricKey) => ({ name: METRICS[key].name, help: METRICS[key].help });

export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  /** Reads of the shared sources, run by the gauges' collect(); collectors.ts sets them. */
  const scrapeReads: { redis: ScrapeRead | null; postgres: ScrapeRead | null } = { redis: null, postgres: null };
  const fromRedis = async () => {
    await scrapeReads.redis?.();
  };
  const fromPostgres = async () => {
    await scrapeReads.postgres?.();
  };

  const metrics = {
    registry,
    scrapeReads,
    ocrFallbacks: new Counter({ ...named('ocrFallbacks'), labelNames: ['reason'] as const, registers }),
    gpuActiveJobs: new Gauge({ ...named('gpuActiveJobs'), registers }),
    ocrProcessingMs: new Histogram({
      ...named('ocrProcessingMs'),
      labelNames: ['device'] as const,
      buckets: [50, 100, 150, 250, 400, 650, 1000, 2000, 5000],
      registers,
    }),
    evaluationOutcomes: new Counter({ ...named('evaluationOutcomes'), labelNames: ['status'] as const, registers }),
    outboxDeadLettered: new Counter({ ...named('outboxDeadLettered'), labelNames: ['kind'] as const, registers }),
    reviewSlaBreaches: new Counter({ ...named('reviewSlaBreaches'), labelNames: ['kind'] as const, registers }),
    buli2RetryCount: new Counter({ ...named('buli2RetryCount'), labelNames: ['operation'] as const, registers }),
    buli2CircuitState: new Gauge({ ...named('buli2CircuitState'), registers }),
    buli2ForwardMs: new Histogram({
      ...named('buli2ForwardMs'),
      labelNames: ['outcome'] as const,
      buckets: [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    queueLength: new Gauge({ ...named('queueLength'), registers, collect: fromRedis }),
    verificationLatencyMs: new Histogram({
      ...named('verificationLatencyMs'),
      labelNames: ['decided_by'] as const,
      // Automatic decisions take seconds; a human's minutes to days.
      buckets: [
        250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000, 14_400_000, 86_400_000,
        259_200_000,
      ],
      registers,
    }),
    transitions: new Counter({ ...named('transitions'), labelNames: ['event'] as const, registers }),
    outboxBacklog: new Gauge({ ...named('outboxBacklog'), registers, collect: fromPostgres }),
    outboxOldestAgeSeconds: new Gauge({ ...named('outboxOldestAgeSeconds'), registers, collect: fromPostgres }),
    reviewQueueSize: new Gauge({ ...named('reviewQueueSize'), registers, collect: fromPostgres }),
    reviewQueueOldestAgeSeconds: new Gauge({
      ...named('reviewQueueOldestAgeSeconds'),
      registers,
      collect: fromPostgres,
    }),
    httpLatencyMs: new Histogram({
      ...named('httpLatencyMs'),
      labelNames: ['method', 'route', 'status_class'] as const,
      buckets: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000],
      registers,
    }),
  } satisfies { registry: Registry; scrapeReads: unknown } & Record<MetricKey, unknown>;

  for (const device of DEVICES) metrics.ocrProcessingMs.zero({ device });
  for (const decidedBy of DECIDED_BY) metrics.verificationLatencyMs.zero({ decided_by: decidedBy });
  for (const status of DECISIONS) metrics.evaluationOutcomes.inc({ status }, 0);
  for (const operation of BULI2_OPERATIONS) metrics.buli2RetryCount.inc({ operation }, 0);
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The runtime's view of the metrics (runtime/ports.ts RuntimeMetrics). */
export function runtimeMetrics(metrics: Metrics): RuntimeMetrics {
  return {
    ocrRun: (device, ms) => metrics.ocrProcessingMs.observe({ device }, ms),
    activeJobs: (count) => metrics.gpuActiveJobs.set(count),
    decided: (status) => metrics.evaluationOutcomes.inc({ status }),
    outboxDeadLettered: (kind) => metrics.outboxDeadLettered.inc({ kind }),
  };
}

/** The HTTP server's view of the metrics (server/http/httpMetrics.ts HttpMetrics). */
export function httpMetrics(metrics: Metrics): HttpMetrics {
  return {
    requestAnswered: (method, route, statusClass, ms) =>
      metrics.httpLatencyMs.observe({ method, route, status_class: statusClass }, ms),
  };
}
