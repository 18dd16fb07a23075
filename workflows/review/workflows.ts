/**
 * The human half of a document's life: one workflow per document in `needs_review`, with id
 * `kyc-review-<documentId>`, that waits for a reviewer's decision, reminds and escalates on SLA
 * timers, and applies the decision to the document machine (REVIEW_DECIDED through the runtime's
 * send(), in an activity).
 *
 * Workflow code only: it is replayed from its history after a worker restart, so it does nothing
 * but call `@temporalio/workflow` (no I/O, no clock, no randomness of its own). Activities do the
 * rest (activities.ts); docs/review-workflow.md has their timeouts and retries. The one reading of
 * time is the decision's deadline (see `decideUpdate`).
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  uuid4,
} from '@temporalio/workflow';
import type { ReviewActivities } from './activities.ts';
import { applicationFailureType } from './failures.ts';

export type ReviewDecision = {
  decision: 'approve' | 'reject';
  reason: string;
  reviewerId: string;
  source: 'internal' | 'buli2';
};

export type ReviewInput = {
  documentId: string;
  documentType: 'KTP' | 'NPWP';
  /** The reason codes that sent the document to review. */
  reasons: string[];
  /** From the start of the review: when a reviewer is reminded, and when the review is escalated. */
  sla: { reminderMs: number; escalationMs: number };
};

/** Where a review stands; `decided_elsewhere`: the document was decided outside this workflow. */
export type ReviewStatus = 'open' | 'approved' | 'rejected' | 'decided_elsewhere';

export type ReviewState = {
  reviewId: string;
  status: ReviewStatus;
  /** How far the SLA timers have run. */
  phase: 'waiting' | 'reminded' | 'escalated';
  /** Why the external review (BULI2) ended without a decision, once it did. */
  externalFailure: string | null;
  decision: ReviewDecision | null;
};

export type AppliedDecision = { status: 'approved' | 'rejected' };

/**
 * How a decision was sent. `notAfter` (epoch ms): the sender stops waiting for the review to take
 * the decision then, and answers that nothing was decided; a decision reaching the workflow later
 * must be refused, or a request answered as failed would change the document after all.
 */
export type DecisionDelivery = { notAfter?: number };

/**
 * A reviewer's decision. The first one wins: the validator refuses any later one, and any one past
 * its deadline. Histories recorded before the delivery argument replay unchanged: a validator is
 * not run on replay, and the handler does not read it.
 */
export const decideUpdate = defineUpdate<
  AppliedDecision,
  [decision: ReviewDecision, delivery: DecisionDelivery | undefined]
>('decide');

/** The application failure type of a decision that reached the review after its sender gave up. */
export const DEADLINE_PASSED = 'DeadlinePassed';
/** The external review ended without a decision; the internal queue takes the document, flagged. */
export const failReviewSignal = defineSignal<[reason: string]>('failReview');
export const getWorkflowStateQuery = defineQuery<ReviewState>('getWorkflowState');
export const getReviewIdQuery = defineQuery<string>('getReviewId');

/** The application failure type of a document decided otherwise than this decision (activities.ts). */
export const DECIDED_OTHERWISE = 'DocumentDecidedOtherwise';

/**
 * Applying a decision is one Postgres transaction through send(): seconds at most, and a database
 * that is away is waited for with backoff, without limit, because a decision must never be lost.
 * Only a document already decided otherwise stops the retries.
 */
const { applyReviewDecision } = proxyActivities<ReviewActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [DECIDED_OTHERWISE],
  },
});

/** A log line, a metric or a flag in Postgres: quick, and retried a bounded number of times. */
const { recordSlaBreach, flagExternalFailure } = proxyActivities<ReviewActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20 },
});

/** Reason texts are a reviewer's words: bounded, never empty (REVIEW_DECIDED's schema takes 1000). */
const MAX_REASON_LENGTH = 1000;
const MAX_REVIEWER_ID_LENGTH = 128;

export async function kycReviewWorkflow(input: ReviewInput): Promise<ReviewState> {
  const reviewId = uuid4();
  const { documentId } = input;
  const state: ReviewState = { reviewId, status: 'open', phase: 'waiting', externalFailure: null, decision: null };

  setHandler(getWorkflowStateQuery, () => ({ ...state }));
  setHandler(getReviewIdQuery, () => reviewId);

  setHandler(failReviewSignal, async (reason) => {
    if (state.externalFailure !== null || state.status !== 'open') return;
    // A signal has no validator: a malformed reason must not fail the workflow task over and over.
    state.externalFailure = (typeof reason === 'string' ? reason.slice(0, MAX_REASON_LENGTH) : '') || 'unspecified';
    await flagExternalFailure({ documentId, reviewId, reason: state.externalFailure });
  });

  setHandler(
    decideUpdate,
    async (decision) => {
      state.decision = decision;
      try {
        const applied = await applyReviewDecision({ documentId, reviewId, decision });
        state.status = applied.status;
        return applied;
      } catch (error) {
        if (applicationFailureType(error) === DECIDED_OTHERWISE) state.status = 'decided_elsewhere';
        // Anything else (the workflow cancelled) leaves the review open to the next decision.
        else if (!isCancellation(error)) state.decision = null;
        throw error;
      }
    },
    {
      validator: (decision, delivery) => {
        // The workflow's clock: the SDK sets Date.now() to the workflow task's start time, the same
        // on every replay (and a validator is not replayed at all), so reading it is deterministic.
        if (typeof delivery?.notAfter === 'number' && Date.now() > delivery.notAfter) {
          throw ApplicationFailure.nonRetryable(
            'The decision arrived after its sender stopped waiting.',
            DEADLINE_PASSED,
          );
        }
        if (state.status !== 'open' || state.decision !== null) {
          throw ApplicationFailure.nonRetryable('This review was already decided.', 'AlreadyDecided');
        }
        if (decision.decision !== 'approve' && decision.decision !== 'reject') {
          throw ApplicationFailure.nonRetryable('A decision is approve or reject.', 'InvalidDecision');
        }
        if (typeof decision.reason !== 'string' || decision.reason.trim() === '') {
          throw ApplicationFailure.nonRetryable('A decision needs a reason.', 'InvalidDecision');
        }
        if (
          decision.reason.length > MAX_REASON_LENGTH ||
          typeof decision.reviewerId !== 'string' ||
          decision.reviewerId.length === 0 ||
          decision.reviewerId.length > MAX_REVIEWER_ID_LENGTH ||
          (decision.source !== 'internal' && decision.source !== 'buli2')
        ) {
          throw ApplicationFailure.nonRetryable('The decision is malformed.', 'InvalidDecision');
        }
      },
    },
  );

  const taken = () => state.decision !== null || state.status !== 'open';
  if (!(await condition(taken, input.sla.reminderMs))) {
    state.phase = 'reminded';
    await recordSlaBreach({ documentId, reviewId, kind: 'reminder' });
  }
  // Added after the first histories were recorded: a review that stays open past the reminder is
  // escalated. Histories without the marker replay the old path (test/integration/review).
  if (patched('sla-escalation') && !taken()) {
    const remaining = Math.max(1, input.sla.escalationMs - input.sla.reminderMs);
    if (!(await condition(taken, remaining))) {
      state.phase = 'escalated';
      await recordSlaBreach({ documentId, reviewId, kind: 'escalation' });
    }
  }
  await condition(() => state.status !== 'open');
  await condition(allHandlersFinished);
  return { ...state };
}
