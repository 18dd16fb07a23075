import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initialTransition, transition } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import type { DocumentEvent } from '../../../machines/document.events.ts';
import { createDocumentMachine } from '../../../machines/document.machine.ts';
import { createMachineTransition } from '../../../runtime/documents/machineTransition.ts';

const lease = (attempt: number) => `00000000-0000-4000-8000-${String(attempt).padStart(12, '0')}`;

/** Events that make each guard true and false somewhere in the machine. */
function sampleEvents(maxAttempts: number): DocumentEvent[] {
  const events: DocumentEvent[] = [];
  for (let attempt = 1; attempt <= maxAttempts + 1; attempt++) {
    events.push({ type: 'PROCESSING_STARTED', workerId: 'w', attempt, leaseToken: lease(attempt), device: 'cpu' });
    const leaseToken = lease(attempt);
    events.push({
      type: 'OCR_COMPLETED',
      leaseToken,
      result: { text: 'NAMA', lines: [{ text: 'NAMA', confidence: 0.9 }] },
      gpuProcessed: false,
      durationMs: 5,
    });
    events.push({ type: 'OCR_FAILED', leaseToken, error: { code: 'ocr_timeout', message: 'timed out' } });
    events.push({ type: 'OCR_FAILED', leaseToken, error: { code: 'pdf_too_complex', message: 'x', permanent: true } });
    events.push({ type: 'LEASE_EXPIRED', leaseToken });
  }
  for (const score of [0.1, 0.5, 0.9])
    for (const severity of [null, 'review', 'reject'] as const)
      events.push({
        type: 'AI_EVALUATED',
        score,
        reasons: severity ? [{ code: 'SAMPLE', severity, message: 'a reason' }] : [],
        fields: { nik: null },
        policyVersion: 'policy-test',
      });
  events.push({ type: 'DECIDE' });
  for (const decision of ['approve', 'reject'] as const)
    events.push({ type: 'REVIEW_DECIDED', decision, reviewerId: 'r', source: 'internal', reason: 'checked' });
  return events;
}

describe('the machine transition with a shared scope', () => {
  it("should give xstate's transition() result for every reachable state and every event, calls interleaved", () => {
    const machine = createDocumentMachine({ maxAttempts: 2, approveThreshold: 0.85 });
    const events = sampleEvents(2);
    const states = getShortestPaths(machine, { events, input: { documentType: 'KTP' } }).map((path) => path.state);
    assert.ok(states.length >= 9);
    const shared = createMachineTransition(machine);
    let compared = 0;
    for (const state of states)
      for (const event of events) {
        const [expected, expectedActions] = transition(machine, state, event);
        const [actual, actualActions] = shared(state, event);
        assert.equal(actual === state, expected === state, `refusal of ${event.type} in ${String(state.value)}`);
        assert.deepEqual(machine.getPersistedSnapshot(actual), machine.getPersistedSnapshot(expected));
        assert.deepEqual(
          actualActions.map((action) => action.type),
          expectedActions.map((action) => action.type),
        );
        compared++;
      }
    assert.ok(compared > 200);
  });

  it('should return each call its own actions, not the ones of an earlier call', () => {
    const machine = createDocumentMachine();
    const shared = createMachineTransition(machine);
    const [uploaded] = initialTransition(machine, { documentType: 'KTP' });
    const [processing] = shared(uploaded, {
      type: 'PROCESSING_STARTED',
      workerId: 'w',
      attempt: 1,
      leaseToken: lease(1),
      device: 'cpu',
    });
    const [, failedActions] = shared(processing, {
      type: 'OCR_FAILED',
      leaseToken: lease(1),
      error: { code: 'ocr_timeout', message: 'timed out' },
    });
    const [, decideActions] = shared(processing, { type: 'DECIDE' });
    assert.deepEqual(
      failedActions.map((action) => action.type),
      transition(machine, processing, {
        type: 'OCR_FAILED',
        leaseToken: lease(1),
        error: { code: 'ocr_timeout', message: 'timed out' },
      })[1].map((action) => action.type),
    );
    assert.ok(
      failedActions.some((action) => action.type === 'requestOcr'),
      'back to uploaded asks for OCR again',
    );
    assert.deepEqual(decideActions, []);
  });
});
