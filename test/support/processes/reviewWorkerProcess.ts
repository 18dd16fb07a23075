/**
 * A review worker as a separate OS process, for tests that SIGKILL it: the engine's runtime
 * without OCR workers, and the review worker over its send(), as the `review` role runs them.
 * Config variables arrive in FILOT_TEST_REVIEW_WORKER as JSON; prints "ready" once it polls.
 */
import { createLogger } from '../../../adapters/logging/logger.ts';
import {
  connectReviews,
  installTemporalRuntime,
  type Reviews,
  startReviewWorker,
} from '../../../composition/reviews.ts';
import { openEngine } from '../../../composition/runtime.ts';
import { loadConfig } from '../../../config/index.ts';

const config = loadConfig(JSON.parse(process.env.FILOT_TEST_REVIEW_WORKER ?? '{}') as Record<string, string>);
const logger = createLogger({ level: 'warn' });
installTemporalRuntime();
let reviews: Reviews | undefined;
const engine = await openEngine(config, {
  logger,
  name: 'filot-test-review-worker',
  poolSize: 2,
  reviews: (pool) => {
    reviews = connectReviews(config, pool);
    return reviews.workflows;
  },
});
if (!reviews) throw new Error('the review workflows were not connected');
const worker = startReviewWorker(config, { documents: engine.runtime.documents, records: reviews.records, logger });
await worker.started;
console.log('ready');
