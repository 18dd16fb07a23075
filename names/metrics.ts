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
  buli2RetryCount: {
    name: 'filot_buli2_retry_count',
    help: 'Calls to BULI2 that were a retry of a failed one (the activity attempt after the first), by operation',
  },
  buli2CircuitState: {
    name: 'filot_buli2_circuit_state',
    help: 'The circuit to BULI2 in this process: 0 closed, 1 half-open, 2 open',
  },
  buli2ForwardMs: {
    name: 'filot_buli2_forward_latency_ms',
    help: 'Time of one forward call to BULI2, in milliseconds, by outcome',
  },
} as const;

export type MetricKey = keyof typeof METRICS;
