import { createBuli2Client } from '../adapters/buli2/index.ts';
import type { Metrics } from '../adapters/metrics/registry.ts';
import type { ReviewRecords } from '../adapters/postgres/reviewRecords.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../runtime/ports.ts';
import { signImageLink } from '../server/http/imageLinks.ts';
import type { Buli2Callbacks, DocumentQueries } from '../server/ports.ts';
import type { Buli2Ports } from '../workflows/review/activities.ts';
import { reviewWorkflowId } from '../workflows/review/client.ts';

/**
 * BULI2 as the review activities use it (docs/buli2.md): one HTTP client per process (so one
 * circuit breaker), the forward's payload read from Postgres at the moment of sending (the fields
 * never pass through Temporal's history), and the review's BULI2 state kept in Postgres.
 */
export function connectBuli2(
  config: Pick<Config, 'buli2' | 'imageLinks'>,
  deps: {
    queries: Pick<DocumentQueries, 'view'>;
    records: Pick<ReviewRecords, 'recordBuli2State' | 'recordReviewId'>;
    logger: Logger;
    metrics?: Pick<Metrics, 'buli2RetryCount' | 'buli2CircuitState' | 'buli2ForwardMs'>;
  },
): Buli2Ports {
  const url = config.buli2.url;
  if (!url) throw new Error('BULI2 needs BULI2_URL (or the simulator in development)');
  const metrics = deps.metrics;
  const client = createBuli2Client({
    url,
    apiKey: config.buli2.apiKey,
    timeoutMs: config.buli2.timeoutMs,
    breaker: config.buli2.breaker,
    logger: deps.logger,
    ...(metrics
      ? {
          metrics: {
            circuitState: (state) => metrics.buli2CircuitState.set(state),
            forwardMs: (outcome, ms) => metrics.buli2ForwardMs.observe({ outcome }, ms),
          },
        }
      : {}),
  });
  return {
    async forward(review, correlationId) {
      const document = await deps.queries.view(review.documentId);
      // Gone since the review started (it never is: documents are not deleted while in review).
      if (!document) throw new Error(`Document ${review.documentId} is not there to forward`);
      const image = signImageLink(config.imageLinks, review.documentId, Date.now() / 1000);
      return client.forward(
        {
          review_id: review.reviewId,
          document_id: review.documentId,
          document_type: review.documentType,
          reason_codes: review.reasons,
          fields: document.fields ?? {},
          image: { url: image.url, expires_at: image.expiresAt.toISOString() },
        },
        { correlationId },
      );
    },
    withdraw: (reviewId, context) => client.withdraw(reviewId, context),
    recordReviewId: (documentId, reviewId) =>
      deps.records.recordReviewId(documentId, reviewWorkflowId(documentId), reviewId),
    stateReached: (documentId, reviewId, state) =>
      deps.records.recordBuli2State(documentId, reviewWorkflowId(documentId), reviewId, state),
    retried: (operation) => metrics?.buli2RetryCount.inc({ operation }),
  };
}

/** What the API's BULI2 routes need: the secrets, and the review and decision records. */
export function buli2Callbacks(
  config: Pick<Config, 'buli2' | 'imageLinks'>,
  records: Pick<ReviewRecords, 'documentOfReview' | 'decisionOf'>,
): Buli2Callbacks {
  return {
    webhookSecrets: () => config.buli2.webhookSecrets,
    async findReview(reviewId) {
      const documentId = await records.documentOfReview(reviewId);
      return documentId ? { documentId } : null;
    },
    decisionOf: (documentId) => records.decisionOf(documentId),
    imageLinkSecret: config.imageLinks.secret,
  };
}
