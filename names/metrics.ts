/**
 * Every metric the engine records. Prometheus names use `_` where DESIGN §9's EMF names use `.`;
 * an EMF writer maps them from here.
 */
export const METRICS = {
  ocrFallbacks: { name: 'filot_ocr_fallbacks_total', help: 'OCR runs or sessions that fell back from CUDA to the CPU' },
  gpuActiveJobs: { name: 'filot_gpu_active_jobs', help: 'OCR attempts running in this process' },
  ocrProcessingMs: {
    name: 'filot_gpu_processing_time_ms',
    help: 'Time of one OCR run, in milliseconds, by the device it ran on',
  },
  evaluationOutcomes: {
    name: 'filot_evaluation_outcomes_total',
    help: 'Decisions made by DECIDE, by resulting status',
  },
  outboxDeadLettered: {
    name: 'filot_outbox_dead_lettered_total',
    help: 'Outbox entries that failed every delivery attempt, by effect kind',
  },
  reviewSlaBreaches: {
    name: 'filot_review_sla_breaches_total',
    help: 'Reviews still open at their reminder or escalation time, by kind',
  },
} as const;

export type MetricKey = keyof typeof METRICS;
