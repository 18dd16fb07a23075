import { ExecutionError, Redlock, ResourceLockedError } from '@sesamecare-oss/redlock';
import type { Redis } from 'ioredis';
import { coerceError } from '../../runtime/errors.ts';
import type { DocumentLocks } from '../../runtime/ports.ts';

/** Redlock over one Redis, retry count 0: contention means another worker has the document. */

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
          onError(coerceError(error));
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
