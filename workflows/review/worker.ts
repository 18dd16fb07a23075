import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker } from '@temporalio/worker';
import type { ReviewActivities } from './activities.ts';

/** The workflow code the worker bundles (webpack, at start) and replays. */
export const REVIEW_WORKFLOWS_PATH = fileURLToPath(new URL('./workflows.ts', import.meta.url));

export type ReviewWorkerOptions = {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: ReviewActivities;
};

/**
 * The review worker (samples-typescript's `worker.ts`): polls the task queue, runs the workflow code
 * in its sandbox and the activities in this process. `run()` resolves once `shutdown()` has drained
 * what was in flight.
 */
export function createReviewWorker(options: ReviewWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowsPath: REVIEW_WORKFLOWS_PATH,
    activities: options.activities,
  });
}
