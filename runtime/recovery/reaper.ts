import type { Documents } from '../documents/documents.ts';
import { DocumentNotFoundError, IllegalTransitionError } from '../errors.ts';
import type { Actor, DocumentStore, Logger } from '../ports.ts';

/**
 * Finds documents in `processing` whose lease ran out (their worker died or stalled) and sends
 * LEASE_EXPIRED with the expired token. The machine puts the document back to `uploaded`, whose
 * entry effect queues a new attempt, or to `needs_review` when attempts are exhausted. If the
 * worker extended its lease in the meantime, or another reaper got there first, the send is
 * refused and nothing happens. (Stale stream entries are claimed by the workers themselves, see
 * ocrWorker.ts, because only a worker knows how many jobs it can take.)
 */
const ACTOR: Actor = { type: 'system', id: 'reaper' };
const BATCH = 100;

export function createReaper(deps: { documents: Documents; store: DocumentStore; logger: Logger }) {
  return async function reapExpiredLeases(): Promise<number> {
    const expired = await deps.store.expiredLeases(BATCH);
    let reaped = 0;
    for (const { id, leaseToken } of expired) {
      try {
        const result = await deps.documents.send(id, { type: 'LEASE_EXPIRED', leaseToken }, ACTOR);
        reaped++;
        deps.logger.warn('lease.expired', { documentId: id, status: result.status });
      } catch (error) {
        if (error instanceof IllegalTransitionError || error instanceof DocumentNotFoundError) continue;
        throw error;
      }
    }
    return reaped;
  };
}
