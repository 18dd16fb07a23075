import { transition } from 'xstate';
import type { DocumentType } from '../domain/documentType.ts';
import type { Reason } from '../domain/reasons.ts';
import type { DocumentMachine, DocumentStatus } from './document.machine.ts';

/**
 * The status DECIDE would give an evaluation, computed by the document machine itself from an
 * `ai_evaluated` snapshot, so offline tools (npm run eval, benchmarks) decide exactly as the runtime.
 */
export function decisionFor(
  machine: DocumentMachine,
  documentType: DocumentType,
  evaluation: { score: number; reasons: Reason[]; policyVersion: string },
): DocumentStatus {
  const snapshot = machine.resolveState({
    value: 'ai_evaluated',
    context: {
      documentType,
      attempts: 1,
      leaseToken: null,
      lastErrorCode: null,
      evaluation: { score: evaluation.score, reasons: evaluation.reasons, policyVersion: evaluation.policyVersion },
      reviewReason: null,
      review: null,
    },
  });
  const [next] = transition(machine, snapshot, { type: 'DECIDE' });
  return next.value as DocumentStatus;
}
