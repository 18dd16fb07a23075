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
  CancellationScope,
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
  /** What the reviewer wrote for the applicant (the client reads it); absent when nothing was written. */
  clientMessage?: string;
};

export type ReviewInput = {
  documentId: string;
  documentType: 'KTP' | 'NPWP';
  /** The reason codes that sent the document to review. */
  reasons: string[];
  /** From the start of the review: when a reviewer is reminded, and when the review is escalated. */
  sla: { reminderMs: number; escalationMs: number };
  /**
   * Forward the review to BULI2 (docs/buli2.md), with these retries: from `initialMs`, doubling, at
   * most `maxIntervalMs` apart, without limit (nothing is lost while BULI2 is down); one attempt
   * may take `attemptTimeoutMs`. Absent (reviews started before BULI2, or a setup without it): the
   * review stays internal.
   */
  buli2?: { retry: { initialMs: number; maxIntervalMs: number }; attemptTimeoutMs: number };
};

/**
 * Where the review stands in BULI2: `none` (not sent there), `forwarding` (being sent, retried
 * while BULI2 fails), `forwarded`, `failed` (BULI2 refused it for good), `withdrawn` (decided here,
 * or its external part failed), `decided` (BULI2's reviewer decided).
 */
export type ExternalReviewState = 'none' | 'forwarding' | 'forwarded' | 'failed' | 'withdrawn' | 'decided';

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
  /** Absent in the state of a review started before BULI2 (a query of an old workflow). */
  external?: ExternalReviewState;
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

/** The application failure type of a forward BULI2 refused for good (a 4xx other than 408 and 429). */
export const BULI2_REFUSED = 'Buli2Refused';

/**
 * Withdrawing a review from BULI2: its own retries, bounded (about an hour): a withdrawal that never
 * lands leaves a review open in BULI2 whose decision would be refused here (409) anyway.
 */
const { withdrawFromBuli2 } = proxyActivities<ReviewActivities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 20,
    nonRetryableErrorTypes: [BULI2_REFUSED],
  },
});

/** Reason texts are a reviewer's words: bounded, never empty (REVIEW_DECIDED's schema takes 1000). */
const MAX_REASON_LENGTH = 1000;
/** As REVIEW_DECIDED's `clientMessage` (machines/document.events.ts). */
const MAX_CLIENT_MESSAGE_LENGTH = 500;
const MAX_REVIEWER_ID_LENGTH = 128;

export async function kycReviewWorkflow(input: ReviewInput): Promise<ReviewState> {
  const reviewId = uuid4();
  const { documentId } = input;
  const state: ReviewState = {
    reviewId,
    status: 'open',
    phase: 'waiting',
    externalFailure: null,
    decision: null,
    external: 'none',
  };

  setHandler(getWorkflowStateQuery, () => ({ ...state }));
  setHandler(getReviewIdQuery, () => reviewId);

  /** The external part has ended without a decision: the internal queue takes the document, flagged. */
  const failExternally = async (reason: string) => {
    state.externalFailure = reason;
    await flagExternalFailure({ documentId, reviewId, reason });
  };

  // Added after the first histories were recorded: a review started with BULI2 settings is
  // forwarded there. No patch is needed: every review started before has no such settings, so its
  // history replays the old path (test/integration/review/replay.test.ts).
  const buli2 = input.buli2 ?? null;
  const forwarding = buli2 ? new CancellationScope() : null;
  let forwarded: Promise<void> = Promise.resolve();
  if (buli2 && forwarding) {
    // No schedule-to-close: while BULI2 is down the forward waits, capped, for as long as it takes;
    // a decision made here meanwhile cancels it.
    const { forwardToBuli2 } = proxyActivities<ReviewActivities>({
      startToCloseTimeout: buli2.attemptTimeoutMs,
      retry: {
        initialInterval: buli2.retry.initialMs,
        backoffCoefficient: 2,
        maximumInterval: buli2.retry.maxIntervalMs,
        nonRetryableErrorTypes: [BULI2_REFUSED],
      },
    });
    state.external = 'forwarding';
    forwarded = forwarding
      .run(() => forwardToBuli2({ documentId, reviewId, documentType: input.documentType, reasons: input.reasons }))
      .then(
        () => {
          if (state.external === 'forwarding') state.external = 'forwarded';
        },
        async (error) => {
          if (isCancellation(error)) return;
          state.external = 'failed';
          if (state.externalFailure === null && state.status === 'open' && state.decision === null)
            await failExternally('BULI2 refused the review');
        },
      );
  }

  /** Takes the review back from BULI2, once, after the forward has stopped. */
  let withdrawal: Promise<void> | null = null;
  const withdraw = (why: 'decided_internally' | 'external_failure') => {
    if (!forwarding) return Promise.resolve();
    withdrawal ??= (async () => {
      forwarding.cancel();
      await forwarded;
      if (state.external === 'failed') return;
      try {
        await withdrawFromBuli2({ documentId, reviewId, why });
        state.external = 'withdrawn';
      } catch {
        // Withdrawn or not, the review is over here; BULI2's late decision is refused (409).
      }
    })();
    return withdrawal;
  };

  setHandler(failReviewSignal, async (reason) => {
    if (state.externalFailure !== null || state.status !== 'open') return;
    // A signal has no validator: a malformed reason must not fail the workflow task over and over.
    await failExternally((typeof reason === 'string' ? reason.slice(0, MAX_REASON_LENGTH) : '') || 'unspecified');
    await withdraw('external_failure');
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
          (decision.source !== 'internal' && decision.source !== 'buli2') ||
          (decision.clientMessage !== undefined &&
            (typeof decision.clientMessage !== 'string' ||
              decision.clientMessage.trim() === '' ||
              decision.clientMessage.length > MAX_CLIENT_MESSAGE_LENGTH))
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
  if (state.decision?.source === 'buli2' && state.status !== 'decided_elsewhere') state.external = 'decided';
  else await withdraw('decided_internally');
  await condition(allHandlersFinished);
  return { ...state };
}
