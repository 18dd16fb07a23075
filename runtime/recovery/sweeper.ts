import type { Documents } from '../documents/documents.ts';
import { IllegalTransitionError } from '../errors.ts';
import type { Actor, Coordination, DocumentStore, Logger, OcrQueue, ReviewWorkflows } from '../ports.ts';

/**
 * Postgres says what work is due; Redis only carries it. The sweeper re-sends what Redis may have
 * lost: documents waiting in `uploaded` or `ocr_completed` get a new queue message, and
 * `ai_evaluated` documents that missed DECIDE are decided here directly (DECIDE needs no worker),
 * and documents in `needs_review` without a review workflow (in review from before the workflows
 * existed, or whose start effect was lost) get theirs, where this process runs review workflows.
 *
 * Normally it only touches documents idle for `staleMs`. When Redis has lost its data (the marker
 * key is gone: restart without persistence, failover, FLUSHDB) it sweeps everything due at once.
 * A Redis lock keeps concurrent processes from sweeping the same interval twice, and a per-document
 * marker keeps a document that is merely waiting in a long queue (or for workers that are not
 * running) from being re-sent at every sweep. Duplicates are harmless anyway: the worker acts on
 * the document's stored state.
 */
const ACTOR: Actor = { type: 'system', id: 'sweeper' };
const BATCH = 500;
const MARKER = 'runtime:marker';
const SWEEP_LOCK = 'runtime:sweep-lock';

export function createSweeper(deps: {
  documents: Documents;
  store: DocumentStore;
  queue: OcrQueue;
  reviews?: ReviewWorkflows;
  coordination: Coordination;
  staleMs: number;
  intervalMs: number;
  logger: Logger;
}) {
  return async function sweep(): Promise<{
    requeued: number;
    decided: number;
    reviewsStarted: number;
    redisLost: boolean;
  }> {
    // The marker is missing on first boot and after Redis lost its data.
    const redisLost = !(await deps.coordination.isSet(MARKER));
    if (!redisLost) {
      const mine = await deps.coordination.claim(SWEEP_LOCK, Math.max(1, deps.intervalMs - 10));
      if (!mine) return { requeued: 0, decided: 0, reviewsStarted: 0, redisLost };
    }
    const due = await deps.store.dueWork(redisLost ? 0 : deps.staleMs, BATCH);
    let requeued = 0;
    let decided = 0;
    for (const { id, status } of due) {
      if (status === 'ai_evaluated') {
        try {
          await deps.documents.send(id, { type: 'DECIDE' }, ACTOR);
          decided++;
        } catch (error) {
          if (!(error instanceof IllegalTransitionError)) throw error;
        }
        continue;
      }
      // Once per five stale periods at most, unless Redis lost everything (then the markers are gone too).
      const marker = `runtime:requeued:${id}`;
      if (!(await deps.coordination.claim(marker, Math.max(deps.staleMs, deps.intervalMs) * 5))) continue;
      try {
        await deps.queue.enqueue(id, 'sweep');
      } catch (error) {
        // A marker without its message would keep the document from being re-sent for five periods.
        await deps.coordination.release(marker).catch(() => {});
        throw error;
      }
      requeued++;
    }
    // Postgres says which reviews are due, Temporal is told; a start that fails is tried at the next sweep.
    let reviewsStarted = 0;
    if (deps.reviews) {
      for (const id of await deps.store.dueReviewStarts(deps.staleMs, BATCH)) {
        await deps.reviews.start(id);
        reviewsStarted++;
      }
    }
    // Set only once everything due was re-sent: a sweep that fails half-way (Redis is often still
    // unsteady right after it lost its data) leaves the marker missing, and the next sweep takes
    // everything due again instead of waiting for it to go stale.
    if (redisLost) await deps.coordination.claim(MARKER);
    // A warning only when work had been lost or had stalled and was re-sent, decided or started. The
    // marker missing with nothing due is the first boot on an empty Redis (or Redis emptied while
    // nothing waited): nothing was lost, so it is information.
    const recovered = requeued + decided + reviewsStarted;
    if (recovered > 0 || redisLost)
      deps.logger[recovered > 0 ? 'warn' : 'info']('sweeper.recovered', {
        requeued,
        decided,
        reviewsStarted,
        redisLost,
      });
    return { requeued, decided, reviewsStarted, redisLost };
  };
}
