import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DocumentLocks } from '../adapters/redis/documentLocks.ts';
import type { OcrStream, StreamMessage } from '../adapters/redis/ocrStream.ts';
import type { Documents } from './documents.ts';
import { IllegalTransitionError } from './errors.ts';
import type {
  Actor,
  DocumentStore,
  Evaluator,
  Logger,
  OcrEngine,
  OcrResult,
  RuntimeMetrics,
  StoredDocument,
} from './ports.ts';

/**
 * The scheduler of OCR actors. It reads jobs from the stream's consumer group, at most
 * `concurrency` at a time, and for each one takes the document's lock and does whatever the
 * document's stored status says is due:
 *
 *   uploaded      → PROCESSING_STARTED (fresh lease token), OCR, OCR_COMPLETED or OCR_FAILED, then evaluate
 *   ocr_completed → evaluate: AI_EVALUATED, DECIDE (resuming after a crash)
 *   ai_evaluated  → DECIDE
 *   anything else → nothing: the message is stale or a duplicate
 *
 * While OCR runs, the lease in Postgres is extended every third of its length. A worker that stalls
 * (GC pause, frozen VM) stops extending it; the reaper then expires the lease and the next attempt
 * gets a new token, so the stalled worker's late OCR_COMPLETED is refused by the machine.
 *
 * Messages are acknowledged after handling. A worker that dies leaves its message pending; after
 * `claimIdleMs` another worker claims it (XAUTOCLAIM), by which time the reaper has usually put the
 * document back to `uploaded`.
 */

export type OcrWorkerOptions = {
  workerId: string;
  concurrency: number;
  leaseMs: number;
  /** An attempt whose OCR takes longer than this is failed with `ocr_timeout`. */
  ocrTimeoutMs: number;
  /** Pending messages idle this long belong to a dead consumer and are claimed. */
  claimIdleMs: number;
  /** How long `stop()` waits for running jobs before it gives their leases back. */
  shutdownTimeoutMs: number;
};

export type OcrWorkerDeps = {
  documents: Documents;
  store: DocumentStore;
  stream: OcrStream;
  /** A connection of its own: XREADGROUP BLOCK holds it. */
  blockingRedis: Redis;
  locks: DocumentLocks;
  engine: OcrEngine;
  evaluator: Evaluator;
  logger: Logger;
  metrics?: RuntimeMetrics;
};

const SYSTEM: Actor = { type: 'system', id: 'ocr-worker' };
const ACTIONABLE: ReadonlySet<string> = new Set(['uploaded', 'ocr_completed', 'ai_evaluated']);
const READ_BLOCK_MS = 1000;

class AttemptAborted extends Error {
  override name = 'AttemptAborted';
}

export function createOcrWorker(deps: OcrWorkerDeps, options: OcrWorkerOptions) {
  const { documents, store, stream, locks, engine, evaluator, logger } = deps;
  const actor: Actor = { ...SYSTEM, id: options.workerId };
  const inFlight = new Set<Promise<void>>();
  const attempts = new Set<AbortController>();
  let running = false;
  let loop: Promise<void> | undefined;
  let lastClaimAt = 0;

  function dispatch(message: StreamMessage) {
    const job = handle(message).finally(() => {
      inFlight.delete(job);
      deps.metrics?.activeJobs(inFlight.size);
    });
    inFlight.add(job);
    deps.metrics?.activeJobs(inFlight.size);
  }

  async function handle(message: StreamMessage) {
    const { documentId } = message;
    try {
      // Half a lease, extended as it runs: after a crash the lock is gone before the database lease
      // expires, so the retry that the reaper queues never finds the dead worker's lock still held.
      const outcome = await locks.withLock(documentId, Math.floor(options.leaseMs / 2), (lockSignal) =>
        work(documentId, lockSignal),
      );
      if (!outcome.acquired) logger.debug('queue.document_busy', { documentId });
      await stream.ack(message.id);
    } catch (error) {
      // Left pending on purpose: it is claimed again after claimIdleMs, and the document's state in
      // Postgres decides whether anything is still to be done.
      logger.error('queue.job_failed', { documentId, messageId: message.id, error: (error as Error).message });
    }
  }

  async function work(documentId: string, lockSignal: AbortSignal) {
    // The cached copy is enough to act on (send() fences stale copies); doing nothing is only decided
    // on what Postgres says, or a document moved by another process could be skipped.
    let document = await documents.current(documentId);
    if (document && !ACTIONABLE.has(document.status)) document = await store.load(documentId);
    if (!document) {
      logger.warn('queue.unknown_document', { documentId });
      return;
    }
    logger.info('queue.pulled', { documentId, status: document.status, attempts: document.attempts });
    try {
      switch (document.status) {
        case 'uploaded':
          await runAttempt(document, lockSignal);
          return;
        case 'ocr_completed':
          await evaluateAndDecide(document, null);
          return;
        case 'ai_evaluated': {
          const decided = await documents.send(documentId, { type: 'DECIDE' }, actor);
          deps.metrics?.decided(decided.status);
          return;
        }
        default:
          return;
      }
    } catch (error) {
      // Another writer moved the document first (the reaper, another worker after our lease ran out):
      // our write was refused, which is the point of fencing.
      if (error instanceof IllegalTransitionError) {
        logger.warn('processing.fenced', { documentId, status: error.status, event: error.eventType });
        return;
      }
      throw error;
    }
  }

  async function runAttempt(document: StoredDocument, lockSignal: AbortSignal) {
    const documentId = document.id;
    const leaseToken = randomUUID();
    await documents.send(
      documentId,
      {
        type: 'PROCESSING_STARTED',
        workerId: options.workerId,
        attempt: document.attempts + 1,
        leaseToken,
        device: engine.device,
      },
      actor,
    );

    const attempt = new AbortController();
    attempts.add(attempt);
    const abortWith = (reason: string) => {
      if (!attempt.signal.aborted) attempt.abort(new AttemptAborted(reason));
    };
    const onLockLost = () => abortWith('lease_lost');
    lockSignal.addEventListener('abort', onLockLost, { once: true });
    const timeout = setTimeout(() => abortWith('ocr_timeout'), options.ocrTimeoutMs);
    const heartbeat = setInterval(
      () => {
        store.extendLease(documentId, leaseToken, options.leaseMs).then(
          (extended) => extended || abortWith('lease_lost'),
          (error: Error) => logger.warn('processing.lease_extend_failed', { documentId, error: error.message }),
        );
      },
      Math.max(50, Math.floor(options.leaseMs / 3)),
    );

    const started = performance.now();
    let result: { result: OcrResult; gpuProcessed: boolean } | undefined;
    let failure: unknown;
    try {
      result = await untilAborted(
        engine.recognize(
          { documentId, type: document.type, storageKey: document.storageKey, mime: document.mime },
          attempt.signal,
        ),
        attempt.signal,
      );
    } catch (error) {
      failure = error;
    } finally {
      clearTimeout(timeout);
      clearInterval(heartbeat);
      lockSignal.removeEventListener('abort', onLockLost);
      attempts.delete(attempt);
    }
    const durationMs = Math.round(performance.now() - started);

    if (result) {
      await documents.send(
        documentId,
        { type: 'OCR_COMPLETED', leaseToken, result: result.result, gpuProcessed: result.gpuProcessed, durationMs },
        actor,
      );
      logger.info('processing.done', { documentId, durationMs, gpuProcessed: result.gpuProcessed });
      deps.metrics?.ocrRun(result.gpuProcessed ? 'cuda' : 'cpu', durationMs);
      await evaluateAndDecide(document, result.result);
      return;
    }

    const reason = failure instanceof AttemptAborted ? failure.message : null;
    if (reason === 'shutdown' || reason === 'lease_lost') {
      // Give the document back now rather than making it wait for the lease to run out. If the
      // lease really is gone (the reaper expired it), this send is refused like any stale write.
      await documents.send(documentId, { type: 'LEASE_EXPIRED', leaseToken }, actor);
      logger.warn('processing.released', { documentId, reason });
      return;
    }
    const code = reason ?? errorCode(failure);
    logger.warn('processing.failed', { documentId, code, durationMs });
    await documents.send(
      documentId,
      { type: 'OCR_FAILED', leaseToken, error: { code, message: (failure as Error)?.message?.slice(0, 200) ?? code } },
      actor,
    );
  }

  async function evaluateAndDecide(document: StoredDocument, ocr: OcrResult | null) {
    const documentId = document.id;
    const text = ocr ?? (await store.readOcrResult(documentId));
    if (!text) throw new Error(`Document ${documentId} is ocr_completed but has no stored OCR result`);
    const evaluation = await evaluator.evaluate({
      documentId,
      type: document.type,
      ownerId: document.ownerId,
      ocr: text,
    });
    await documents.send(documentId, { type: 'AI_EVALUATED', ...evaluation }, actor);
    const decided = await documents.send(documentId, { type: 'DECIDE' }, actor);
    deps.metrics?.decided(decided.status);
    logger.info('evaluation.done', {
      documentId,
      score: evaluation.score,
      policyVersion: evaluation.policyVersion,
      status: decided.status,
    });
  }

  async function claimStale() {
    const free = options.concurrency - inFlight.size;
    if (free <= 0 || Date.now() - lastClaimAt < options.claimIdleMs / 2) return;
    lastClaimAt = Date.now();
    const claimed = await stream.claimStale(options.workerId, options.claimIdleMs, free);
    if (claimed.length > 0) logger.info('queue.claimed_stale', { count: claimed.length });
    for (const message of claimed) dispatch(message);
  }

  async function run() {
    await stream.ensureGroup();
    while (running) {
      try {
        await claimStale();
        const free = options.concurrency - inFlight.size;
        if (free <= 0) {
          await Promise.race(inFlight);
          continue;
        }
        const messages = await stream.read(deps.blockingRedis, options.workerId, free, READ_BLOCK_MS);
        for (const message of messages) dispatch(message);
      } catch (error) {
        if (!running) break;
        logger.error('queue.read_failed', { error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    /** Stops taking jobs, waits for running ones, then gives back the leases of those still running. */
    async stop() {
      if (!running) return;
      running = false;
      // Interrupts the blocking read at once instead of waiting for its timeout.
      deps.blockingRedis.disconnect();
      const deadline = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), options.shutdownTimeoutMs).unref(),
      );
      await Promise.race([loop, deadline]);
      const finished = Promise.allSettled([...inFlight]).then(() => 'finished' as const);
      if ((await Promise.race([finished, deadline])) === 'timeout') {
        for (const attempt of attempts) attempt.abort(new AttemptAborted('shutdown'));
        await Promise.allSettled([...inFlight]);
      }
    },
    get activeJobs() {
      return inFlight.size;
    },
  };
}

export type OcrWorker = ReturnType<typeof createOcrWorker>;

/** Settles with the task, or rejects as soon as the signal aborts, even if the task ignores the signal. */
function untilAborted<T>(task: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    task.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[a-z][a-z0-9_]{1,63}$/.test(code) ? code : 'ocr_error';
}
