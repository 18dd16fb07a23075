import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { DatabasePool } from 'slonik';
import { createReviewRecords, type ReviewRecords } from '../adapters/postgres/reviewRecords.ts';
import type { Config } from '../config/index.ts';
import type { Documents } from '../runtime/documents/documents.ts';
import type { Logger, ReviewWorkflows } from '../runtime/ports.ts';
import type { ReviewDecisions } from '../server/ports.ts';
import { type Buli2Ports, createReviewActivities } from '../workflows/review/activities.ts';
import { createReviewClient, reviewWorkflowId } from '../workflows/review/client.ts';
import { createReviewWorker } from '../workflows/review/worker.ts';

/**
 * The review workflows wired to the engine (workflows/review, docs/review-workflow.md): the client
 * the API and the start effect use, and the worker that runs the workflows and their activities.
 * Temporal being away never stops the process: the client connects on first use and every call is
 * bounded, and the worker keeps trying to connect in the background.
 */
export type ReviewSettings = Pick<Config, 'temporal' | 'review'> & { buli2?: Config['buli2'] };

export function connectReviews(config: ReviewSettings, pool: DatabasePool) {
  const address = config.temporal.address;
  if (!address) throw new Error('The review workflows need TEMPORAL_ADDRESS');
  const connection = Connection.lazy({ address });
  const client = createReviewClient(new Client({ connection, namespace: config.temporal.namespace }), {
    taskQueue: config.temporal.taskQueue,
    callTimeoutMs: config.temporal.callTimeoutMs,
  });
  const records = createReviewRecords(pool);
  /** The start effect's delivery and the sweeper's: Postgres says what the review is about, Temporal is told. */
  const workflows: ReviewWorkflows = {
    async start(documentId) {
      const review = await records.toReview(documentId);
      // Decided, or gone, before its start was delivered: there is nothing to review.
      if (!review) return;
      const { workflowId } = await client.startKYCWorkflow({
        documentId,
        documentType: review.type,
        reasons: review.reasons,
        sla: config.review,
        // With a BULI2 to forward to (its URL, or the simulator's in development), reviews go there too.
        ...(config.buli2?.url
          ? {
              buli2: {
                retry: config.buli2.retry,
                // The client's own timeout, and time to read the fields and sign the link.
                attemptTimeoutMs: config.buli2.timeoutMs + 10_000,
              },
            }
          : {}),
      });
      await records.recordStarted(documentId, workflowId);
    },
  };
  return { client, workflows, records, close: () => connection.close() };
}

export type Reviews = ReturnType<typeof connectReviews>;

/**
 * The API's port for reviewers' decisions: each goes through the document's review workflow. A
 * document in review whose workflow is not started yet (its start effect is a moment behind, or
 * was lost) gets it here, and the decision is sent again once.
 */
export function reviewDecisions(reviews: Pick<Reviews, 'client' | 'workflows'>): ReviewDecisions {
  return {
    async decide(documentId, decision, requestId) {
      const outcome = await reviews.client.completeManualReviewWorkflow(documentId, decision, requestId);
      if (outcome.outcome !== 'no_review') return outcome;
      await reviews.workflows.start(documentId);
      return reviews.client.completeManualReviewWorkflow(documentId, decision, requestId);
    },
  };
}

/**
 * Temporal's worker runtime, set up once per process before any worker: it must not stop workers
 * on SIGTERM or SIGINT by itself (main.ts shuts everything down in order), and its own log lines
 * below warnings would drown the service's.
 */
export function installTemporalRuntime(): void {
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });
}

/** How long the worker waits before trying Temporal again after it could not connect or stopped. */
const RECONNECT_MS = 5_000;

/**
 * The review worker of this process (the `review` role), over the runtime's `send()`. `stop()`
 * drains what is in flight. It keeps running while Temporal comes and goes.
 */
export function startReviewWorker(
  config: ReviewSettings,
  deps: {
    documents: Pick<Documents, 'send'>;
    records: ReviewRecords;
    logger: Logger;
    slaBreached?: (kind: 'reminder' | 'escalation') => void;
    /** BULI2 for the reviews forwarded there (composition/buli2.ts). */
    buli2?: Buli2Ports;
  },
) {
  const address = config.temporal.address;
  if (!address) throw new Error('The review worker needs TEMPORAL_ADDRESS');
  const activities = createReviewActivities({
    // The review's id is the decision's correlation id, and the event records it.
    decide: (documentId, decision, reviewId) =>
      deps.documents.send(
        documentId,
        { type: 'REVIEW_DECIDED', ...decision, reviewId },
        { type: decision.source === 'buli2' ? 'buli2' : 'reviewer', id: decision.reviewerId },
        { correlationId: reviewId },
      ),
    flagExternalFailure: (documentId, reason) =>
      deps.records.flagExternalFailure(documentId, reviewWorkflowId(documentId), reason),
    phaseReached: (documentId, phase) => deps.records.recordPhase(documentId, reviewWorkflowId(documentId), phase),
    slaBreached: (kind) => deps.slaBreached?.(kind),
    ...(deps.buli2 ? { buli2: deps.buli2 } : {}),
    logger: deps.logger,
  });
  let stopping = false;
  let current: { shutdown(): void } | null = null;
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  let wake: (() => void) | null = null;
  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, RECONNECT_MS);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const loop = (async () => {
    while (!stopping) {
      let connection: NativeConnection | null = null;
      try {
        connection = await NativeConnection.connect({ address });
        const worker = await createReviewWorker({
          connection,
          namespace: config.temporal.namespace,
          taskQueue: config.temporal.taskQueue,
          activities,
        });
        const running = worker.run();
        // Stopped while the worker was being built (its bundle takes a moment): a worker never run
        // would keep the process alive, so it runs and is shut down at once.
        if (stopping) worker.shutdown();
        else {
          current = worker;
          markStarted();
          deps.logger.info('review.worker_started', { taskQueue: config.temporal.taskQueue });
        }
        await running;
      } catch (error) {
        deps.logger.warn('review.worker_unavailable', {
          errorClass: error instanceof Error ? error.name : 'unknown',
          error: error instanceof Error ? error.message : String(error),
        });
      } finally {
        current = null;
        await connection?.close().catch(() => {});
      }
      if (!stopping) await pause();
    }
  })();
  return {
    /** Resolves once the worker first polls its task queue (never, while Temporal stays away). */
    started,
    /** Polling its task queue now (for readiness). */
    get running() {
      return current !== null;
    },
    async stop() {
      stopping = true;
      try {
        current?.shutdown();
      } catch {
        // Already stopping or stopped (it failed on its own): the loop ends either way.
      }
      wake?.();
      await loop;
    },
  };
}
