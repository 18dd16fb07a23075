import { type Client, type WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { CodedError } from '../../runtime/errors.ts';
import { applicationFailureType } from './failures.ts';
import {
  type AppliedDecision,
  DEADLINE_PASSED,
  decideUpdate,
  failReviewSignal,
  getWorkflowStateQuery,
  kycReviewWorkflow,
  type ReviewDecision,
  type ReviewInput,
  type ReviewState,
} from './workflows.ts';

/** One workflow per document: a second start of the same document's review finds the first. */
export const reviewWorkflowId = (documentId: string) => `kyc-review-${documentId}`;

/** How a decision sent to the review ended. */
export type DecisionOutcome =
  | { outcome: 'applied'; status: AppliedDecision['status'] }
  /**
   * The review took it (it is durable and first), but it was not applied within the wait: the
   * database is slow or away, and the activity applies it once it answers.
   */
  | { outcome: 'accepted' }
  /** The review refused it: already decided (`AlreadyDecided`, `ReviewClosed`), or the document was decided otherwise. */
  | { outcome: 'refused'; reason: string }
  /** No review workflow exists for the document. */
  | { outcome: 'no_review' };

/**
 * How long past a decision's deadline the client still waits to hear that the review took it: a
 * workflow task that started before the deadline (and so accepts the decision) reports the
 * acceptance when it completes, a moment later.
 */
export const ACCEPTANCE_GRACE_MS = 2_000;

/** The decision reached no review worker before its deadline; it was not, and will not be, applied. */
export class DecisionNotTakenError extends CodedError<'decision_not_taken'> {
  constructor() {
    super('decision_not_taken', 'No review worker took the decision before its deadline; nothing was decided.');
  }
}

export type ReviewClientOptions = {
  taskQueue: string;
  /** Longest wait for Temporal on a request path; past it the call rejects and nothing is promised. */
  callTimeoutMs: number;
};

/**
 * The engine's calls into the review workflows (samples-typescript's `client.ts`). A failure to
 * reach Temporal rejects with the SDK's error; the caller turns it into a clear answer (503).
 */
export function createReviewClient(client: Client, options: ReviewClientOptions) {
  const bounded = <T>(work: () => Promise<T>) =>
    client.withAbortSignal(AbortSignal.timeout(options.callTimeoutMs), work);

  return {
    /** Starts the document's review. A duplicate start (a redelivered effect) starts nothing: `started: false`. */
    async startKYCWorkflow(input: ReviewInput): Promise<{ workflowId: string; started: boolean }> {
      const workflowId = reviewWorkflowId(input.documentId);
      try {
        await bounded(() =>
          client.workflow.start(kycReviewWorkflow, {
            workflowId,
            taskQueue: options.taskQueue,
            args: [input],
            // Never a second review of one document, even after the first completed.
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            workflowIdConflictPolicy: 'FAIL',
          }),
        );
        return { workflowId, started: true };
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
        throw error;
      }
    },

    /**
     * Sends a reviewer's decision and waits until it is applied to the document. `requestId` makes a
     * retried request the same Update, which Temporal applies once.
     *
     * The decision carries a deadline, `callTimeoutMs` from now: the workflow refuses it past then.
     * So when this rejects (Temporal away, no worker took it in time), nothing was decided, and
     * nothing will be once a worker comes back.
     */
    async completeManualReviewWorkflow(
      documentId: string,
      decision: ReviewDecision,
      requestId?: string,
    ): Promise<DecisionOutcome> {
      const handle = client.workflow.getHandle(reviewWorkflowId(documentId));
      const notAfter = Date.now() + options.callTimeoutMs;
      try {
        // Accepted means validated and durable: from there the decision is the review's.
        const update = await client.withAbortSignal(
          AbortSignal.timeout(options.callTimeoutMs + ACCEPTANCE_GRACE_MS),
          () =>
            handle.startUpdate(decideUpdate, {
              args: [decision, { notAfter }],
              waitForStage: 'ACCEPTED',
              ...(requestId ? { updateId: requestId } : {}),
            }),
        );
        const result = update.result();
        const waited = new Promise<'waited'>((resolve) =>
          setTimeout(() => resolve('waited'), options.callTimeoutMs).unref(),
        );
        const applied = await Promise.race([result, waited]);
        if (applied === 'waited') {
          // The poll goes on by itself until the update completes; its end is of no interest now.
          result.catch(() => {});
          return { outcome: 'accepted' };
        }
        return { outcome: 'applied', status: applied.status };
      } catch (error) {
        // A review that has ended (decided a moment ago, by another reviewer) is no longer there to
        // take an Update, but still exists.
        if (error instanceof WorkflowNotFoundError)
          return (await bounded(() => exists(handle)))
            ? { outcome: 'refused', reason: 'ReviewClosed' }
            : { outcome: 'no_review' };
        if (error instanceof WorkflowUpdateFailedError) {
          const reason = applicationFailureType(error) ?? 'refused';
          // A retry with the same request id can join a first send still waiting on the server,
          // whose deadline has passed: not taken, like the first.
          if (reason === DEADLINE_PASSED) throw new DecisionNotTakenError();
          return { outcome: 'refused', reason };
        }
        throw error;
      }
    },

    /** Ends the external part of the review; the document goes to the internal queue, flagged. */
    async failReviewWorkflow(documentId: string, reason: string): Promise<void> {
      await bounded(() => client.workflow.getHandle(reviewWorkflowId(documentId)).signal(failReviewSignal, reason));
    },

    /** The review's state, or null when the document has no review workflow. */
    async getWorkflowState(documentId: string): Promise<ReviewState | null> {
      try {
        return await bounded(() =>
          client.workflow.getHandle(reviewWorkflowId(documentId)).query(getWorkflowStateQuery),
        );
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return null;
        throw error;
      }
    },
  };
}

export type ReviewClient = ReturnType<typeof createReviewClient>;

async function exists(handle: WorkflowHandle): Promise<boolean> {
  try {
    await handle.describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
