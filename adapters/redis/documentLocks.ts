import { ExecutionError, Redlock, ResourceLockedError } from '@sesamecare-oss/redlock';
import type { Redis } from 'ioredis';

/**
 * Exclusive ownership of one document while a worker processes it. The lock is advisory: what
 * actually keeps a worker that lost it from writing is the lease token checked by the machine
 * (fencing). The lock keeps two live workers from doing the same OCR twice.
 */
export type DocumentLocks = {
  /**
   * Runs `task` while holding the document's lock, extending it automatically; the signal aborts
   * when an extension fails. Returns `{ acquired: false }` at once when another worker holds it.
   */
  withLock<T>(
    documentId: string,
    ttlMs: number,
    task: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ acquired: true; value: T } | { acquired: false }>;
};

export function createDocumentLocks(redis: Redis, prefix: string, onError: (error: Error) => void): DocumentLocks {
  const redlock = new Redlock([redis], {
    // Contention means someone else is working on the document; waiting would only duplicate work.
    retryCount: 0,
    // Extend when less than a third of the TTL is left (set per call below).
    automaticExtensionThreshold: 500,
  });
  redlock.on('error', (error: Error) => {
    if (error instanceof ResourceLockedError) return;
    onError(error);
  });
  return {
    async withLock(documentId, ttlMs, task) {
      const resource = `${prefix}lock:document:${documentId}`;
      let started = false;
      let outcome: { value: Awaited<ReturnType<typeof task>> } | undefined;
      try {
        await redlock.using(
          [resource],
          ttlMs,
          { retryCount: 0, automaticExtensionThreshold: Math.floor(ttlMs / 3) },
          async (signal) => {
            started = true;
            outcome = { value: await task(signal as AbortSignal) };
          },
        );
      } catch (error) {
        if (outcome) {
          // The task finished; only the release failed (Redis lost the key, or is unreachable).
          // The lock expires by itself, so this is worth a log line, not a failed job.
          onError(error as Error);
        } else if (!started && error instanceof ExecutionError) {
          return { acquired: false };
        } else {
          throw error;
        }
      }
      if (!outcome) throw new Error('INVARIANT: the locked task neither finished nor failed');
      return { acquired: true, value: outcome.value };
    },
  };
}
