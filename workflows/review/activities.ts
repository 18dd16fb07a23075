import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from '../../runtime/ports.ts';
import { DECIDED_OTHERWISE, type ReviewDecision } from './workflows.ts';

/**
 * The review workflow's effects on the world. Each is idempotent: Temporal runs an activity at
 * least once, and again after a worker dies in the middle of one.
 */

/** What the activities need from the engine, declared here and provided by the entry point. */
export type ReviewPorts = {
  /**
   * Sends REVIEW_DECIDED to the document (the runtime's send()). Resolves with the new status, or
   * rejects with `{ code: 'illegal_transition', status }` when the document is not in review.
   */
  decide(documentId: string, decision: ReviewDecision, correlationId: string): Promise<{ status: string }>;
  /** Marks the document's review as failed outside (BULI2), so the internal queue shows it first. */
  flagExternalFailure(documentId: string, reason: string): Promise<void>;
  /** Records how far the review's SLA timers have run, for the internal queue. */
  phaseReached(documentId: string, phase: 'reminded' | 'escalated'): Promise<void>;
  slaBreached(kind: 'reminder' | 'escalation'): void;
  logger: Logger;
};

export type ApplyDecisionInput = { documentId: string; reviewId: string; decision: ReviewDecision };

export function createReviewActivities(ports: ReviewPorts) {
  return {
    /**
     * Applies the decision. The same decision already applied (a retry after the first attempt
     * committed) is success; a document decided otherwise fails for good, and is logged.
     */
    async applyReviewDecision({ documentId, reviewId, decision }: ApplyDecisionInput) {
      const wanted = decision.decision === 'approve' ? 'approved' : 'rejected';
      try {
        const { status } = await ports.decide(documentId, decision, reviewId);
        ports.logger.info('review.decision_applied', { documentId, reviewId, status, source: decision.source });
        return { status: wanted } as const;
      } catch (error) {
        // Retrying a decision the document refuses as malformed would only refuse it again.
        if (errorCode(error) === 'invalid_event')
          throw ApplicationFailure.nonRetryable('The document refused the decision as malformed.', 'InvalidDecision');
        const status = illegalTransitionStatus(error);
        if (status === undefined) throw error;
        if (status === wanted) return { status: wanted } as const;
        ports.logger.error('review.decided_elsewhere', { documentId, reviewId, status, source: decision.source });
        throw ApplicationFailure.nonRetryable(
          `Document ${documentId} is ${status}; the decision to ${decision.decision} was not applied.`,
          DECIDED_OTHERWISE,
        );
      }
    },

    async recordSlaBreach({
      documentId,
      reviewId,
      kind,
    }: {
      documentId: string;
      reviewId: string;
      kind: 'reminder' | 'escalation';
    }) {
      await ports.phaseReached(documentId, kind === 'reminder' ? 'reminded' : 'escalated');
      ports.slaBreached(kind);
      ports.logger.warn(kind === 'reminder' ? 'review.reminder' : 'review.escalated', { documentId, reviewId });
    },

    async flagExternalFailure({
      documentId,
      reviewId,
      reason,
    }: {
      documentId: string;
      reviewId: string;
      reason: string;
    }) {
      await ports.flagExternalFailure(documentId, reason);
      ports.logger.warn('review.external_failed', { documentId, reviewId });
    },
  };
}

export type ReviewActivities = ReturnType<typeof createReviewActivities>;

/** The `code` of a runtime error (runtime/errors.ts), which the activities branch on without importing the runtime. */
function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/** The status of a document that refused the event because it is not in review, if that is the error. */
function illegalTransitionStatus(error: unknown): string | undefined {
  if (errorCode(error) !== 'illegal_transition') return undefined;
  const { status } = error as { status?: unknown };
  return typeof status === 'string' ? status : undefined;
}
