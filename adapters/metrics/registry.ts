import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RuntimeMetrics } from '../../runtime/ports.ts';

/**
 * The engine's Prometheus metrics (DESIGN §9; Prometheus names use `_` where the design's EMF names
 * use `.`). One registry per process, created at start-up and passed to whoever records.
 */
export function createMetrics() {
  const registry = new Registry();
  const metrics = {
    registry,
    ocrFallbacks: new Counter({
      name: 'filot_ocr_fallbacks_total',
      help: 'OCR runs or sessions that fell back from CUDA to the CPU',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    gpuActiveJobs: new Gauge({
      name: 'filot_gpu_active_jobs',
      help: 'OCR attempts running in this process',
      registers: [registry],
    }),
    ocrProcessingMs: new Histogram({
      name: 'filot_gpu_processing_time_ms',
      help: 'Time of one OCR run, in milliseconds, by the device it ran on',
      labelNames: ['device'] as const,
      buckets: [50, 100, 150, 250, 400, 650, 1000, 2000, 5000],
      registers: [registry],
    }),
    evaluationOutcomes: new Counter({
      name: 'filot_evaluation_outcomes_total',
      help: 'Decisions made by DECIDE, by resulting status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The runtime's view of the metrics (runtime/ports.ts RuntimeMetrics). */
export function runtimeMetrics(metrics: Metrics): RuntimeMetrics {
  return {
    ocrRun: (device, ms) => metrics.ocrProcessingMs.observe({ device }, ms),
    activeJobs: (count) => metrics.gpuActiveJobs.set(count),
    decided: (status) => metrics.evaluationOutcomes.inc({ status }),
  };
}
