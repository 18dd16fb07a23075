import pg from 'pg';
import { backoffDelay } from '../../runtime/backoff.ts';
import { coerceError } from '../../runtime/errors.ts';
import type { Logger, TransitionObserver } from '../../runtime/ports.ts';
import { DOCUMENT_CHANGED_CHANNEL } from './documentChanges.ts';

/**
 * Tells every process's event streams that a document changed (adapters/postgres/documentChanges.ts
 * listens): a transition observer, so it runs only after the transition committed, and never for
 * one that rolled back or was refused. The ids of one turn of the event loop go out in one NOTIFY
 * statement of their own, on a connection of the notifier's own.
 *
 * Not a trigger on `documents`: Postgres serialises the commits of all transactions that NOTIFY
 * (one lock, held through the commit's WAL flush), so a NOTIFY trigger caps every writer together
 * at one commit per flush. Measured on the 2-core dev box (`BENCH_ONLY=sse`, docs/api.md), 32
 * writers: about 2,950 updates/s with the trigger, 8,300 without, 7,650 with this notifier (and the
 * trigger 4 to 6 times slower than none with the box loaded). Here the transition commits as before,
 * and the NOTIFY commits on its own, without waiting for its WAL flush (synchronous_commit off for
 * that statement only: a notification lost in a crash of Postgres is a stream that reads again
 * after reconnecting).
 *
 * A change whose notification cannot be sent (Postgres unreachable) is sent again with backoff, up
 * to `maxPending` documents; one lost in a crash of this process between the commit and the NOTIFY
 * reaches the stream with the document's next change, or when the stream reads once more before it
 * ends for being quiet (2 minutes).
 */
export type DocumentChangeNotifier = {
  /** The runtime's observer: every committed transition (not the upload: no stream can wait on it yet). */
  observer: TransitionObserver;
  /** Tells of a committed change of the document (for writers that are not the runtime). */
  notify(documentId: string): void;
  /** Sends what is pending (bounded by the time limit), then closes its connection. */
  close(): Promise<void>;
};

const NOTIFY = `SELECT set_config('synchronous_commit', 'off', true), pg_notify('${DOCUMENT_CHANGED_CHANNEL}', id)
                FROM unnest($1::text[]) AS id`;

export function createDocumentChangeNotifier(options: {
  databaseUrl: string;
  logger: Logger;
  applicationName?: string;
  /** Longest a connection or a NOTIFY may take (default 5 s). */
  timeoutMs?: number;
  /** Documents waiting to be told, at most; beyond, a change is told only by the next one (default 10,000). */
  maxPending?: number;
  /** Backoff between tries after a failure (default 100 ms doubling up to 5 s, with jitter). */
  retry?: { minMs: number; maxMs: number };
}): DocumentChangeNotifier {
  const { logger } = options;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxPending = options.maxPending ?? 10_000;
  const retry = options.retry ?? { minMs: 100, maxMs: 5000 };
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    application_name: options.applicationName ?? 'filot-document-notifier',
    max: 1,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    idleTimeoutMillis: 60_000,
  });
  // An idle connection that breaks reports here; the next NOTIFY opens a new one.
  pool.on('error', () => {});
  let pending = new Set<string>();
  let flushing: Promise<void> | null = null;
  let failures = 0;
  let dropped = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const flush = async () => {
    if (flushing || pending.size === 0) return;
    const batch = [...pending];
    pending = new Set();
    flushing = (async () => {
      try {
        await pool.query(NOTIFY, [batch]);
        failures = 0;
      } catch (error) {
        failures++;
        for (const id of batch) if (pending.size < maxPending) pending.add(id);
        logger.warn('document_changes.notify_failed', {
          errorClass: coerceError(error).name,
          failures,
          documents: batch.length,
          dropped,
        });
      }
    })();
    await flushing;
    flushing = null;
    if (pending.size === 0 || closed) return;
    if (failures === 0) setImmediate(flush);
    else {
      retryTimer = setTimeout(flush, backoffDelay(failures, retry.minMs, retry.maxMs));
      retryTimer.unref();
    }
  };

  const notify = (documentId: string) => {
    if (closed) return;
    if (pending.size >= maxPending && !pending.has(documentId)) {
      dropped++;
      return;
    }
    const idle = pending.size === 0 && !flushing && failures === 0;
    pending.add(documentId);
    if (idle) setImmediate(flush);
  };

  return {
    observer: (transition) => {
      if (transition.fromStatus !== null) notify(transition.documentId);
    },
    notify,
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const bounded = (work: Promise<unknown>) =>
        Promise.race([work.catch(() => {}), new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())]);
      await bounded(
        (async () => {
          await flushing;
          if (failures === 0) await flush();
        })(),
      );
      await bounded(pool.end());
    },
  };
}
