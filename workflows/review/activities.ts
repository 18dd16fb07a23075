import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from '../../runtime/ports.ts';
import { BULI2_REFUSED, DECIDED_OTHERWISE, type ReviewDecision } from './workflows.ts';

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
  /** The external review system; absent in a setup without it (then no workflow asks for it). */
  buli2?: Buli2Ports;
  logger: Logger;
};

/** Where a review stands in BULI2, as Postgres keeps it for the internal queue and the callback. */
export type Buli2RecordedState = 'forwarded' | 'retrying' | 'failed' | 'withdrawn' | 'decided';

/**
 * BULI2 as the activities need it (adapters/buli2 behind it). A call rejects with
 * `{ code: 'buli2_unavailable', retryAfterMs? }` when it may be tried again (BULI2 down or slow,
 * the circuit open, 408, 429, 5xx) and with `{ code: 'buli2_refused', status }` when BULI2 will
 * never take it (another 4xx).
 */
export type Buli2Ports = {
  /** Sends the review, with the document's fields and a signed image link the port makes; idempotent by review id. */
  forward(review: ForwardInput, correlationId: string): Promise<{ created: boolean }>;
  /** `withdrawn: false`: BULI2 had no open review by that id. */
  withdraw(reviewId: string, context: { documentId: string; correlationId: string }): Promise<{ withdrawn: boolean }>;
  /** Records the review's id before BULI2 hears of it, so its callback finds the document however soon it comes. */
  recordReviewId(documentId: string, reviewId: string): Promise<void>;
  /** Records the review's BULI2 state (and its id). */
  stateReached(documentId: string, reviewId: string, state: Buli2RecordedState): Promise<void>;
  /** A call that retries a failed one (filot_buli2_retry_count). */
  retried(operation: 'forward' | 'withdraw'): void;
};

export type ForwardInput = {
  documentId: string;
  reviewId: string;
  documentType: 'KTP' | 'NPWP';
  reasons: string[];
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
        if (decision.source === 'buli2') await ports.buli2?.stateReached(documentId, reviewId, 'decided');
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

    /**
     * Sends the review to BULI2. A failure BULI2 may recover from is thrown for Temporal's retry
     * policy (its `Retry-After`, when it gave one, is the next delay); a refusal ends the forward
     * for good, and the workflow sends the document to the internal queue.
     */
    async forwardToBuli2(review: ForwardInput): Promise<{ created: boolean }> {
      const buli2 = requireBuli2(ports);
      const { documentId, reviewId } = review;
      const { attempt } = Context.current().info;
      if (attempt > 1) buli2.retried('forward');
      const log = { reviewId, documentId, correlationId: reviewId, attempt };
      const started = performance.now();
      try {
        await buli2.recordReviewId(documentId, reviewId);
        const { created } = await buli2.forward(review, reviewId);
        await buli2.stateReached(documentId, reviewId, 'forwarded');
        ports.logger.info('buli2.forward', { ...log, created, ms: Math.round(performance.now() - started) });
        return { created };
      } catch (error) {
        throw await buli2Failure(ports, buli2, error, 'forward', log);
      }
    },

    /** Takes the review back from BULI2; one it does not have (never arrived, withdrawn before) is done too. */
    async withdrawFromBuli2({
      documentId,
      reviewId,
      why,
    }: {
      documentId: string;
      reviewId: string;
      why: 'decided_internally' | 'external_failure';
    }): Promise<{ withdrawn: boolean }> {
      const buli2 = requireBuli2(ports);
      const { attempt } = Context.current().info;
      if (attempt > 1) buli2.retried('withdraw');
      const log = { reviewId, documentId, correlationId: reviewId, attempt, why };
      try {
        const { withdrawn } = await buli2.withdraw(reviewId, { documentId, correlationId: reviewId });
        await buli2.stateReached(documentId, reviewId, 'withdrawn');
        ports.logger.info('buli2.withdraw', { ...log, withdrawn });
        return { withdrawn };
      } catch (error) {
        throw await buli2Failure(ports, buli2, error, 'withdraw', log);
      }
    },
  };
}

function requireBuli2(ports: ReviewPorts): Buli2Ports {
  // A workflow asks for BULI2 only when it was started with BULI2 settings; a worker without them
  // fails the attempt, and the activity is tried again (on a worker that has them).
  if (!ports.buli2) throw new Error('This worker has no BULI2 client');
  return ports.buli2;
}

/** What a failed BULI2 call becomes for Temporal: retried (after BULI2's Retry-After, if any) or not. */
async function buli2Failure(
  ports: ReviewPorts,
  buli2: Buli2Ports,
  error: unknown,
  operation: 'forward' | 'withdraw',
  log: { reviewId: string; documentId: string; correlationId: string; attempt: number },
): Promise<unknown> {
  const code = errorCode(error);
  const status = (error as { status?: unknown } | null)?.status;
  const fields = {
    ...log,
    operation,
    errorClass: error instanceof Error ? error.name : 'unknown',
    ...(typeof status === 'number' ? { status } : {}),
  };
  if (code === 'buli2_refused') {
    if (operation === 'forward') await buli2.stateReached(log.documentId, log.reviewId, 'failed');
    ports.logger.error(operation === 'forward' ? 'buli2.forward_failed' : 'buli2.withdraw', {
      ...fields,
      failed: true,
      retryable: false,
    });
    return ApplicationFailure.nonRetryable(
      `BULI2 refused the ${operation} of review ${log.reviewId}${typeof status === 'number' ? ` (${status})` : ''}.`,
      BULI2_REFUSED,
    );
  }
  if (operation === 'forward') await buli2.stateReached(log.documentId, log.reviewId, 'retrying').catch(() => {});
  ports.logger.warn(operation === 'forward' ? 'buli2.forward_failed' : 'buli2.withdraw', {
    ...fields,
    failed: true,
    retryable: true,
  });
  const retryAfterMs = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  if (code === 'buli2_unavailable' && typeof retryAfterMs === 'number' && retryAfterMs > 0)
    return ApplicationFailure.create({
      message: `BULI2 asked to wait before the ${operation} of review ${log.reviewId} is tried again.`,
      type: 'Buli2Unavailable',
      nextRetryDelay: retryAfterMs,
    });
  return error;
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
