import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from '../../../adapters/metrics/registry.ts';
import { finalDecision, transitionMetrics } from '../../../adapters/metrics/transitionMetrics.ts';
import type { DocumentStatus } from '../../../machines/document.machine.ts';
import type { CommittedTransition } from '../../../runtime/ports.ts';

const UPLOADED_AT = 1_000_000;

const step = (type: string, fromStatus: DocumentStatus | null, toStatus: DocumentStatus): CommittedTransition => ({
  documentId: '7b0c4c43-5f4e-4a43-9b1a-3f1a2b3c4d5e',
  documentType: 'KTP',
  event: { type },
  fromStatus,
  toStatus,
  actor: { type: 'system', id: 'test' },
  correlationId: 'test-correlation',
  snapshot: {},
  version: 2,
  createdAtMs: UPLOADED_AT,
});

/** One document's whole life up to `last`, as the runtime commits it. */
const lifeTo = (last: CommittedTransition[]) => [
  step('DOCUMENT_UPLOADED', null, 'uploaded'),
  step('PROCESSING_STARTED', 'uploaded', 'processing'),
  step('OCR_COMPLETED', 'processing', 'ocr_completed'),
  step('AI_EVALUATED', 'ocr_completed', 'ai_evaluated'),
  ...last,
];

async function values(metrics: ReturnType<typeof createMetrics>, name: string) {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  return (metric?.values ?? []) as { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

const sampleOf = async (
  metrics: ReturnType<typeof createMetrics>,
  name: string,
  metricName: string,
  labels: Record<string, string>,
) =>
  (await values(metrics, name)).find(
    (entry) =>
      (entry.metricName ?? name) === metricName &&
      Object.entries(labels).every(([key, value]) => String(entry.labels[key]) === value),
  )?.value;

describe('the transition metrics', () => {
  it('should count every committed step by its event type, the upload included', async () => {
    const metrics = createMetrics();
    const observe = transitionMetrics(metrics, () => UPLOADED_AT + 10);
    for (const transition of lifeTo([step('DECIDE', 'ai_evaluated', 'auto_approve')])) observe(transition);
    observe(step('DOCUMENT_UPLOADED', null, 'uploaded'));
    const counts = Object.fromEntries(
      (await values(metrics, 'filot_transitions_total')).map((entry) => [entry.labels.event, entry.value]),
    );
    assert.deepEqual(counts, {
      DOCUMENT_UPLOADED: 2,
      PROCESSING_STARTED: 1,
      OCR_COMPLETED: 1,
      AI_EVALUATED: 1,
      DECIDE: 1,
    });
  });

  it('should keep an event type outside the catalogue out of the labels', async () => {
    const metrics = createMetrics();
    const observe = transitionMetrics(metrics);
    observe(step('SOMETHING_NEW_abc123', 'uploaded', 'uploaded'));
    observe({ ...step('x', 'uploaded', 'uploaded'), event: {} as CommittedTransition['event'] });
    assert.deepEqual(
      (await values(metrics, 'filot_transitions_total')).map((entry) => [entry.labels.event, entry.value]),
      [['other', 2]],
    );
  });

  it('should observe the latency from upload once per final decision, automatic or human', async () => {
    const metrics = createMetrics();
    let now = UPLOADED_AT;
    const observe = transitionMetrics(metrics, () => now);
    now = UPLOADED_AT + 1_500;
    for (const transition of lifeTo([step('DECIDE', 'ai_evaluated', 'auto_approve')])) observe(transition);
    now = UPLOADED_AT + 2_500;
    for (const transition of lifeTo([step('DECIDE', 'ai_evaluated', 'auto_reject')])) observe(transition);
    now = UPLOADED_AT + 3_600_000;
    for (const transition of lifeTo([
      step('DECIDE', 'ai_evaluated', 'needs_review'),
      step('REVIEW_DECIDED', 'needs_review', 'approved'),
    ]))
      observe(transition);
    now = UPLOADED_AT + 60_000;
    observe(step('OCR_FAILED', 'processing', 'needs_review'));
    observe(step('REVIEW_DECIDED', 'needs_review', 'rejected'));

    const name = 'filot_verification_latency_ms';
    assert.equal(await sampleOf(metrics, name, `${name}_count`, { decided_by: 'automatic' }), 2);
    assert.equal(await sampleOf(metrics, name, `${name}_sum`, { decided_by: 'automatic' }), 4_000);
    assert.equal(await sampleOf(metrics, name, `${name}_count`, { decided_by: 'human' }), 2);
    assert.equal(await sampleOf(metrics, name, `${name}_sum`, { decided_by: 'human' }), 3_660_000);
    // In the right buckets: both automatic ones within 2.5 s, the human ones above 30 s.
    assert.equal(await sampleOf(metrics, name, `${name}_bucket`, { decided_by: 'automatic', le: '2500' }), 2);
    assert.equal(await sampleOf(metrics, name, `${name}_bucket`, { decided_by: 'human', le: '30000' }), 0);
  });

  it('should tell a final decision only on the step that reaches it', () => {
    assert.equal(finalDecision({ fromStatus: 'ai_evaluated', toStatus: 'auto_approve' }), 'automatic');
    assert.equal(finalDecision({ fromStatus: 'ai_evaluated', toStatus: 'auto_reject' }), 'automatic');
    assert.equal(finalDecision({ fromStatus: 'needs_review', toStatus: 'approved' }), 'human');
    assert.equal(finalDecision({ fromStatus: 'needs_review', toStatus: 'rejected' }), 'human');
    assert.equal(finalDecision({ fromStatus: 'ai_evaluated', toStatus: 'needs_review' }), null);
    assert.equal(finalDecision({ fromStatus: null, toStatus: 'uploaded' }), null);
    assert.equal(finalDecision({ fromStatus: 'approved', toStatus: 'approved' }), null);
  });

  it('should start the decided_by series at zero, and a latency never below zero', async () => {
    const metrics = createMetrics();
    const name = 'filot_verification_latency_ms';
    assert.equal(await sampleOf(metrics, name, `${name}_count`, { decided_by: 'automatic' }), 0);
    assert.equal(await sampleOf(metrics, name, `${name}_count`, { decided_by: 'human' }), 0);
    // A clock behind the database's (another host wrote the row): zero, not negative.
    transitionMetrics(metrics, () => UPLOADED_AT - 50)(step('DECIDE', 'ai_evaluated', 'auto_approve'));
    assert.equal(await sampleOf(metrics, name, `${name}_sum`, { decided_by: 'automatic' }), 0);
  });
});
