/**
 * Every metric the engine records. Prometheus names use `_`; `emf` is the CloudWatch Embedded Metric
 * Format name (the seed's dotted names, namespace `FiLot`) with its CloudWatch `unit`.
 */
export const METRICS = {
  ocrFallbacks: {
    name: 'filot_ocr_fallbacks_total',
    help: 'OCR runs or sessions that fell back from CUDA to the CPU, by reason',
    emf: 'filot.ocr.fallbacks',
    unit: 'Count',
  },
  gpuActiveJobs: {
    name: 'filot_gpu_active_jobs',
    help: 'OCR attempts running in this process',
    emf: 'filot.gpu.active_jobs',
    unit: 'Count',
  },
  ocrProcessingMs: {
    name: 'filot_gpu_processing_time_ms',
    help: 'Time of one OCR run, in milliseconds, by the device it ran on',
    emf: 'filot.gpu.processing_time_ms',
    unit: 'Milliseconds',
  },
  evaluationOutcomes: {
    name: 'filot_evaluation_outcomes_total',
    help: 'Decisions made by DECIDE, by resulting status',
    emf: 'filot.evaluation.outcomes',
    unit: 'Count',
  },
  outboxDeadLettered: {
    name: 'filot_outbox_dead_lettered_total',
    help: 'Outbox entries that failed every delivery attempt, by effect kind',
    emf: 'filot.outbox.dead_lettered',
    unit: 'Count',
  },
  reviewSlaBreaches: {
    name: 'filot_review_sla_breaches_total',
    help: 'Reviews still open at their reminder or escalation time, by kind',
    emf: 'filot.review.sla_breaches',
    unit: 'Count',
  },
  buli2RetryCount: {
    name: 'filot_buli2_retry_count',
    help: 'Calls to BULI2 that were a retry of a failed one (the activity attempt after the first), by operation',
    emf: 'filot.buli2.retry_count',
    unit: 'Count',
  },
  buli2CircuitState: {
    name: 'filot_buli2_circuit_state',
    help: 'The circuit to BULI2 in this process: 0 closed, 1 half-open, 2 open',
    emf: 'filot.buli2.circuit_state',
    unit: 'None',
  },
  buli2ForwardMs: {
    name: 'filot_buli2_forward_latency_ms',
    help: 'Time of one forward call to BULI2, in milliseconds, by outcome',
    emf: 'filot.buli2.forward_latency_ms',
    unit: 'Milliseconds',
  },
  queueLength: {
    name: 'filot_queue_length',
    help: 'OCR jobs waiting in the stream plus jobs claimed and not yet acknowledged (read from Redis when scraped)',
    emf: 'filot.queue_length',
    unit: 'Count',
  },
  verificationLatencyMs: {
    name: 'filot_verification_latency_ms',
    help: 'Time from upload to the final decision, in milliseconds, by who decided (automatic, human)',
    emf: 'filot.verification.latency_ms',
    unit: 'Milliseconds',
  },
  transitions: {
    name: 'filot_transitions_total',
    help: 'Committed steps of the document machine, by event type',
    emf: 'filot.transitions',
    unit: 'Count',
  },
  outboxBacklog: {
    name: 'filot_outbox_backlog',
    help: 'Outbox entries not yet delivered, dead letters excluded (read from Postgres when scraped)',
    emf: 'filot.outbox.backlog',
    unit: 'Count',
  },
  outboxOldestAgeSeconds: {
    name: 'filot_outbox_oldest_age_seconds',
    help: 'Age of the oldest undelivered outbox entry, in seconds; 0 when none (read from Postgres when scraped)',
    emf: 'filot.outbox.oldest_age_s',
    unit: 'Seconds',
  },
  reviewQueueSize: {
    name: 'filot_review_queue_size',
    help: 'Documents in needs_review (read from Postgres when scraped)',
    emf: 'filot.review.queue_size',
    unit: 'Count',
  },
  reviewQueueOldestAgeSeconds: {
    name: 'filot_review_queue_oldest_age_seconds',
    help: 'How long the longest-waiting document has been in needs_review, in seconds; 0 when none',
    emf: 'filot.review.queue_oldest_age_s',
    unit: 'Seconds',
  },
  httpLatencyMs: {
    name: 'filot_http_request_duration_ms',
    help: 'Time to answer an HTTP request, in milliseconds, by method, route template and status class',
    emf: 'filot.http.latency_ms',
    unit: 'Milliseconds',
  },
} as const satisfies Record<string, { name: string; help: string; emf: string; unit: string }>;

export type MetricKey = keyof typeof METRICS;
