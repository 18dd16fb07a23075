import type { Redis } from 'ioredis';
import type { Documents } from './documents.ts';
import { IllegalTransitionError } from './errors.ts';
import type { Actor, DocumentStore, Logger, OcrQueue } from './ports.ts';

/**
 * Postgres says what work is due; Redis only carries it. The sweeper re-sends what Redis may have
 * lost: documents waiting in `uploaded` or `ocr_completed` get a new queue message, and
 * `ai_evaluated` documents that missed DECIDE are decided here directly (DECIDE needs no worker).
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

export function createSweeper(deps: {
  documents: Documents;
  store: DocumentStore;
  queue: OcrQueue;
  redis: Redis;
  prefix: string;
  staleMs: number;
  intervalMs: number;
  logger: Logger;
}) {
  const markerKey = `${deps.prefix}runtime:marker`;
  const sweepLockKey = `${deps.prefix}runtime:sweep-lock`;

  return async function sweep(): Promise<{ requeued: number; decided: number; redisLost: boolean }> {
    // SET NX succeeds only when the marker is missing: on first boot, or after Redis lost its data.
    const redisLost = (await deps.redis.set(markerKey, String(Date.now()), 'NX')) === 'OK';
    if (!redisLost) {
      const mine = await deps.redis.set(sweepLockKey, '1', 'PX', Math.max(1, deps.intervalMs - 10), 'NX');
      if (mine !== 'OK') return { requeued: 0, decided: 0, redisLost };
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
      const marker = `${deps.prefix}runtime:requeued:${id}`;
      const fresh = await deps.redis.set(marker, '1', 'PX', Math.max(deps.staleMs, deps.intervalMs) * 5, 'NX');
      if (fresh !== 'OK') continue;
      await deps.queue.enqueue(id, 'sweep');
      requeued++;
    }
    if (requeued + decided > 0 || redisLost) deps.logger.warn('sweeper.recovered', { requeued, decided, redisLost });
    return { requeued, decided, redisLost };
  };
}
