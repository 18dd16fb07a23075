import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRICS } from '../../names/index.ts';
import type { RuntimeMetrics } from '../../runtime/ports.ts';

/**
 * The engine's Prometheus metrics, named in names/metrics.ts. One registry per process, created at
 * start-up and passed to whoever records.
 */
export function createMetrics() {
  const registry = new Registry();
  const metrics = {
    registry,
    ocrFallbacks: new Counter({ ...METRICS.ocrFallbacks, labelNames: ['reason'] as const, registers: [registry] }),
    gpuActiveJobs: new Gauge({ ...METRICS.gpuActiveJobs, registers: [registry] }),
    ocrProcessingMs: new Histogram({
      ...METRICS.ocrProcessingMs,
      labelNames: ['device'] as const,
      buckets: [50, 100, 150, 250, 400, 650, 1000, 2000, 5000],
      registers: [registry],
    }),
    evaluationOutcomes: new Counter({
      ...METRICS.evaluationOutcomes,
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    outboxDeadLettered: new Counter({
      ...METRICS.outboxDeadLettered,
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    reviewSlaBreaches: new Counter({
      ...METRICS.reviewSlaBreaches,
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    buli2RetryCount: new Counter({
      ...METRICS.buli2RetryCount,
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
    buli2CircuitState: new Gauge({ ...METRICS.buli2CircuitState, registers: [registry] }),
    buli2ForwardMs: new Histogram({
      ...METRICS.buli2ForwardMs,
      labelNames: ['outcome'] as const,
      buckets: [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers: [registry],
    }),
  } satisfies { registry: Registry } & Record<keyof typeof METRICS, unknown>;
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
