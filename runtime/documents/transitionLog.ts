import type { Logger, TransitionObserver } from '../ports.ts';

/**
 * One `document.transition` line per committed step of a document: its upload, then every
 * transition, with the ids an operator follows a document by. The event's payload stays out (the
 * event log in Postgres has it, redacted); the actor is its kind only (a user's id is not the log's
 * business). A review's decision names its review (REVIEW_DECIDED carries `reviewId`).
 */
export function createTransitionLog(logger: Logger): TransitionObserver {
  return (step) => {
    const reviewId = typeof step.event.reviewId === 'string' ? step.event.reviewId : undefined;
    logger.info('document.transition', {
      documentId: step.documentId,
      correlationId: step.correlationId,
      ...(reviewId ? { reviewId } : {}),
      event: step.event.type,
      from: step.fromStatus,
      to: step.toStatus,
      actor: step.actor.type,
      version: step.version,
    });
  };
}
