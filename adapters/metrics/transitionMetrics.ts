import { type DocumentStatus, FINAL_STATUSES } from '../../machines/document.machine.ts';
import { DOCUMENT_EVENT_TYPES, DOCUMENT_UPLOADED } from '../../names/index.ts';
import type { CommittedTransition, TransitionObserver } from '../../runtime/ports.ts';
import type { Metrics } from './registry.ts';

/**
 * The metrics told by every committed step of a document (runtime/ports.ts TransitionObserver), in
 * the process that committed it, so each step is counted once across instances:
 * `filot_transitions_total{event}` for each step, the upload (DOCUMENT_UPLOADED) included; and
 * `filot_verification_latency_ms{decided_by}` once per document, when it reaches a final status:
 * `automatic` for auto_approve and auto_reject (DECIDE), `human` for approved and rejected
 * (REVIEW_DECIDED, from the internal review route or BULI2). The latency runs from the upload
 * (`createdAtMs`) to the commit of the final step.
 */

const KNOWN_EVENTS: ReadonlySet<string> = new Set([DOCUMENT_UPLOADED, ...DOCUMENT_EVENT_TYPES]);
const FINAL: ReadonlySet<DocumentStatus> = new Set(FINAL_STATUSES);
const HUMAN: ReadonlySet<DocumentStatus> = new Set(['approved', 'rejected']);

export type DecidedBy = 'automatic' | 'human';

/** Who made the final decision this step reached, or null when the step reached none. */
export function finalDecision(transition: Pick<CommittedTransition, 'fromStatus' | 'toStatus'>): DecidedBy | null {
  const { fromStatus, toStatus } = transition;
  if (!FINAL.has(toStatus) || (fromStatus !== null && FINAL.has(fromStatus))) return null;
  return HUMAN.has(toStatus) ? 'human' : 'automatic';
}

export function transitionMetrics(
  metrics: Pick<Metrics, 'transitions' | 'verificationLatencyMs'>,
  now: () => number = Date.now,
): TransitionObserver {
  return (transition) => {
    const type = transition.event.type;
    // A label value from outside this build's catalogue (never expected) is not allowed to grow the series.
    metrics.transitions.inc({ event: typeof type === 'string' && KNOWN_EVENTS.has(type) ? type : 'other' });
    const decidedBy = finalDecision(transition);
    if (decidedBy)
      metrics.verificationLatencyMs.observe({ decided_by: decidedBy }, Math.max(0, now() - transition.createdAtMs));
  };
}
