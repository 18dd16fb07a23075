import { randomUUID } from 'node:crypto';
import { backoffDelay, pause } from '../backoff.ts';
import type { Documents } from '../documents/documents.ts';
import { coerceError, IllegalTransitionError, isRuntimeError } from '../errors.ts';
import type {
  Actor,
  DocumentLocks,
  DocumentStore,
  Evaluator,
  Logger,
  OcrEngine,
  OcrFailure,
  OcrJobQueue,
  OcrResult,
  QueuedJob,
  RuntimeMetrics,
  StoredDocument,
} from '../ports.ts';
import { keepLease } from './leaseKeeper.ts';

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
 * Messages are acknowledged after handling. A worker that dies leaves its messages pending; after
 * `claimIdleMs` another worker claims them (XAUTOCLAIM) and acts on the documents' stored status (a
 * document still in `processing` is the reaper's). A worker restarted under the same id takes up its
 * own pending messages at once.
 *
 * A job that fails for an infrastructure reason (Postgres unreachable, a timeout) stays pending too,
 * but the worker does not wait for the claim: it stops pulling new jobs, probes the database with a
 * backoff (RETRY_MIN_MS doubling to RETRY_MAX_MS), and once it answers, handles its own pending
 * messages again (up to MAX_LOCAL_RETRIES times each) before reading new ones. While the database
 * is down nothing is pulled only to fail, and the backlog resumes within a probe interval of it
 * coming back.
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
  queue: OcrJobQueue;
  locks: DocumentLocks;
  engine: OcrEngine;
  evaluator: Evaluator;
  logger: Logger;
  metrics?: RuntimeMetrics;
};

const SYSTEM: Actor = { type: 'system', id: 'ocr-worker' };
const ACTIONABLE: ReadonlySet<string> = new Set(['uploaded', 'ocr_completed', 'ai_evaluated']);
const READ_BLOCK_MS = 1000;
/** Backoff between database probes after a failed job, and between failed stream reads. */
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 2000;
/**
 * A message that keeps failing while the database answers probes (a bug, or a pool still full of
 * connections the restart broke) is left to the stale claim (claimIdleMs) after this many tries.
 * With the backoff growing across consecutive failures they span about 15 s.
 */
const MAX_LOCAL_RETRIES = 10;
const OWN_PENDING_BATCH = 100;

class AttemptAborted extends Error {
  override name = 'AttemptAborted';
}

export function createOcrWorker(deps: OcrWorkerDeps, options: OcrWorkerOptions) {
  const { documents, store, queue, locks, engine, evaluator, logger } = deps;
  const actor: Actor = { ...SYSTEM, id: options.workerId };
  const inFlight = new Set<Promise<void>>();
  const inFlightIds = new Set<string>();
  const attempts = new Set<AbortController>();
  /** Failures per message id among this worker's own pending messages. */
  const localRetries = new Map<string, number>();
  let running = false;
  let stopping = new AbortController();
  let loop: Promise<void> | undefined;
  let lastClaimAt = 0;
  /** Set by a job that failed for an infrastructure reason: probe before pulling again. */
  let infrastructureFailed = false;
  /**
   * Own pending messages are waiting to be handled again: after a failure, and at start, when a
   * process restarted under the same WORKER_ID finds what its predecessor had read and not finished.
   */
  let ownPendingDue = true;
  /** Jobs failed on the infrastructure since the last one that succeeded: the probes' backoff grows with it. */
  let failuresInRow = 0;
  let state: 'stopped' | 'running' | 'backing_off' = 'stopped';

  function dispatch(message: QueuedJob) {
    inFlightIds.add(message.id);
    const job = handle(message).finally(() => {
      inFlight.delete(job);
      inFlightIds.delete(message.id);
      deps.metrics?.activeJobs(inFlight.size);
    });
    inFlight.add(job);
    deps.metrics?.activeJobs(inFlight.size);
  }

  async function handle(message: QueuedJob) {
    const { documentId } = message;
    try {
      // Half a lease, extended as it runs: after a crash the lock is gone before the database lease
      // expires, so the retry that the reaper queues never finds the dead worker's lock still held.
      const outcome = await locks.withLock(documentId, Math.floor(options.leaseMs / 2), (lockSignal) =>
        work(documentId, lockSignal),
      );
      if (!outcome.acquired) logger.debug('queue.document_busy', { documentId });
      await queue.ack(message.id);
      localRetries.delete(message.id);
      failuresInRow = 0;
    } catch (error) {
      // Left pending on purpose; the document's state in Postgres decides, when it is handled again,
      // whether anything is still to be done.
      const failure = coerceError(error);
      logger.error('queue.job_failed', {
        documentId,
        messageId: message.id,
        errorClass: failure.name,
        error: failure.message,
      });
      const retries = (localRetries.get(message.id) ?? 0) + 1;
      localRetries.set(message.id, retries);
      if (!isRuntimeError(error)) noteInfrastructureFailure();
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
    logger.info('queue.pulled', {
      documentId,
      correlationId: document.correlationId,
      status: document.status,
      attempts: document.attempts,
    });
    let refused: IllegalTransitionError;
    try {
      await step(document, lockSignal);
      return;
    } catch (error) {
      if (!(error instanceof IllegalTransitionError)) throw error;
      refused = error;
    }
    // Our write was refused. Either another writer moved the document first (the reaper, another
    // worker after our lease ran out: the point of fencing), or an earlier try of this same write
    // committed although its answer was lost with the connection, and we acted on the state before
    // it. While the document's lock is still ours, what is due now is taken up from the stored
    // status: evaluating and deciding, or the attempt under a lease of ours whose PROCESSING_STARTED
    // was that lost write. A new attempt otherwise comes with its own message.
    const current = lockSignal.aborted ? null : await store.load(documentId);
    if (current && (current.status === 'ocr_completed' || current.status === 'ai_evaluated' || isOwnLease(current))) {
      logger.info('processing.resumed', { documentId, status: current.status });
      try {
        // A lease of this worker that no attempt holds: PROCESSING_STARTED committed, its answer was
        // lost, and the job failed. The document's lock is ours, so no attempt of ours runs on it:
        // the attempt goes on under that lease rather than leaving it to expire.
        if (current.status === 'processing' && current.leaseToken) {
          await attemptUnderLease(current, current.leaseToken, lockSignal);
        } else await step(current, lockSignal);
        return;
      } catch (again) {
        if (!(again instanceof IllegalTransitionError)) throw again;
        refused = again;
      }
    }
    logger.warn('processing.fenced', { documentId, status: refused.status, event: refused.eventType });
  }

  /** Does what the document's status says is due. */
  async function step(document: StoredDocument, lockSignal: AbortSignal) {
    switch (document.status) {
      case 'uploaded':
        await runAttempt(document, lockSignal);
        return;
      case 'ocr_completed':
        await evaluateAndDecide(document, null);
        return;
      case 'ai_evaluated': {
        const decided = await documents.send(document.id, { type: 'DECIDE' }, actor);
        deps.metrics?.decided(decided.status);
        return;
      }
      default:
        return;
    }
  }

  /** One OCR attempt: take the lease, read under it, and write what came of it. */
  async function runAttempt(document: StoredDocument, lockSignal: AbortSignal) {
    const leaseToken = randomUUID();
    await documents.send(
      document.id,
      {
        type: 'PROCESSING_STARTED',
        workerId: options.workerId,
        attempt: document.attempts + 1,
        leaseToken,
        device: engine.device,
      },
      actor,
    );
    await attemptUnderLease(document, leaseToken, lockSignal);
  }

  /** The OCR of an attempt whose lease is `leaseToken`, and what came of it. */
  async function attemptUnderLease(document: StoredDocument, leaseToken: string, lockSignal: AbortSignal) {
    const outcome = await recognizeUnderLease(document, leaseToken, lockSignal);
    if ('result' in outcome) await reportSuccess(document, leaseToken, outcome.result, outcome.durationMs);
    else await reportFailure(document.id, leaseToken, outcome.failure, outcome.durationMs);
  }

  /** A processing lease given to this worker (by its WORKER_ID, which is one process's). */
  function isOwnLease(document: StoredDocument): boolean {
    return document.status === 'processing' && document.leaseToken !== null && document.leaseOwner === options.workerId;
  }

  /**
   * Runs the engine while the lease is kept alive, and stops waiting for it when the lease or the
   * document's lock is lost, the attempt times out, or the worker shuts down.
   */
  async function recognizeUnderLease(
    document: StoredDocument,
    leaseToken: string,
    lockSignal: AbortSignal,
  ): Promise<
    | { result: { result: OcrResult; gpuProcessed: boolean }; durationMs: number }
    | { failure: unknown; durationMs: number }
  > {
    const documentId = document.id;
    const attempt = new AbortController();
    attempts.add(attempt);
    const abortWith = (reason: string) => {
      if (!attempt.signal.aborted) attempt.abort(new AttemptAborted(reason));
    };
    const onLockLost = () => abortWith('lease_lost');
    lockSignal.addEventListener('abort', onLockLost, { once: true });
    // Armed when the engine starts on this document, not while it waits behind others' work; the
    // reported duration is counted from the same moment.
    let timeout: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    let started: number | undefined;
    const startClock = () => {
      if (finished || timeout !== undefined) return;
      started = performance.now();
      timeout = setTimeout(() => abortWith('ocr_timeout'), options.ocrTimeoutMs);
    };
    const lease = keepLease({
      documentId,
      leaseToken,
      leaseMs: options.leaseMs,
      extend: (id, token, ms) => store.extendLease(id, token, ms),
      onLost: () => abortWith('lease_lost'),
      onError: (error) =>
        logger.warn('processing.lease_extend_failed', { documentId, error: coerceError(error).message }),
    });

    const called = performance.now();
    const durationMs = () => Math.round(performance.now() - (started ?? called));
    try {
      const result = await untilAborted(
        engine.recognize(
          { documentId, type: document.type, storageKey: document.storageKey, mime: document.mime },
          attempt.signal,
          startClock,
        ),
        attempt.signal,
      );
      return { result, durationMs: durationMs() };
    } catch (failure) {
      return { failure, durationMs: durationMs() };
    } finally {
      finished = true;
      clearTimeout(timeout);
      lease.stop();
      lockSignal.removeEventListener('abort', onLockLost);
      attempts.delete(attempt);
    }
  }

  async function reportSuccess(
    document: StoredDocument,
    leaseToken: string,
    result: { result: OcrResult; gpuProcessed: boolean },
    durationMs: number,
  ) {
    await sendOutcome(document.id, {
      type: 'OCR_COMPLETED',
      leaseToken,
      result: result.result,
      gpuProcessed: result.gpuProcessed,
      durationMs,
    });
    const step = { documentId: document.id, correlationId: document.correlationId };
    // The engine was to read on CUDA and read this document on the CPU: the document's own record
    // of it (the engine logs `ocr.fallback` once, when its CUDA session fails).
    if (engine.device === 'cuda' && !result.gpuProcessed) logger.warn('processing.cpu_fallback', step);
    logger.info('processing.done', { ...step, durationMs, gpuProcessed: result.gpuProcessed });
    deps.metrics?.ocrRun(result.gpuProcessed ? 'cuda' : 'cpu', durationMs);
    await evaluateAndDecide(document, result.result);
  }

  async function reportFailure(documentId: string, leaseToken: string, failure: unknown, durationMs: number) {
    const reason = failure instanceof AttemptAborted ? failure.message : null;
    if (reason === 'shutdown' || reason === 'lease_lost') {
      // Give the document back now rather than making it wait for the lease to run out. If the
      // lease really is gone (the reaper expired it), this send is refused like any stale write.
      await sendOutcome(documentId, { type: 'LEASE_EXPIRED', leaseToken });
      logger.warn('processing.released', { documentId, reason });
      return;
    }
    const code = reason ?? errorCode(failure);
    // The engine's word that the same bytes fail the same way: no point using the other attempts.
    const permanent = reason === null && isPermanent(failure);
    logger.warn('processing.failed', { documentId, code, durationMs, permanent });
    const message = failure instanceof Error ? failure.message.slice(0, 200) : code;
    await sendOutcome(documentId, {
      type: 'OCR_FAILED',
      leaseToken,
      error: { code, message, ...(permanent ? { permanent } : {}) },
    });
  }

  /**
   * An attempt's outcome, sent until it is written: while the database is briefly unreachable the
   * result (seconds of OCR) is kept and sent again with a backoff, for half a lease at most, since
   * the lease was extended at most a third of a lease ago and stays ours that long. Otherwise the
   * document would sit in `processing` until the reaper expired the lease, and lose the attempt.
   * A try whose answer was lost may still have committed; the next try is then refused, and work()
   * takes up what the stored status says is due.
   */
  async function sendOutcome(documentId: string, event: Parameters<Documents['send']>[1]) {
    const deadline = performance.now() + options.leaseMs / 2;
    for (let failures = 0; ; failures++) {
      try {
        await documents.send(documentId, event, actor);
        return;
      } catch (error) {
        if (isRuntimeError(error) || !running || performance.now() > deadline) throw error;
        noteInfrastructureFailure();
        logger.warn('processing.outcome_retry', { documentId, event: event.type, errorClass: coerceError(error).name });
        await pause(backoffDelay(failures + 1, RETRY_MIN_MS, RETRY_MAX_MS), stopping.signal);
      }
    }
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
      correlationId: document.correlationId,
      score: evaluation.score,
      policyVersion: evaluation.policyVersion,
      status: decided.status,
    });
  }

  async function claimStale() {
    const free = options.concurrency - inFlight.size;
    if (free <= 0 || Date.now() - lastClaimAt < options.claimIdleMs / 2) return;
    lastClaimAt = Date.now();
    const claimed = await queue.claimStale(options.workerId, options.claimIdleMs, free);
    if (claimed.length > 0) logger.info('queue.claimed_stale', { count: claimed.length });
    for (const message of claimed) dispatch(message);
  }

  /** Nothing new is pulled until the database answers a probe again (the read loop sees the flag). */
  function noteInfrastructureFailure() {
    infrastructureFailed = true;
    failuresInRow++;
    if (running) state = 'backing_off';
  }

  /** Waits, with a growing backoff, until the database answers again; pulls nothing meanwhile. */
  async function waitForDatabase() {
    state = 'backing_off';
    logger.warn('queue.paused', { reason: 'job_failed' });
    for (let probes = failuresInRow; running; probes++) {
      await pause(backoffDelay(probes, RETRY_MIN_MS, RETRY_MAX_MS), stopping.signal);
      if (!running) return;
      try {
        await store.ping();
        break;
      } catch {
        // Still unreachable: the next probe waits longer.
      }
    }
    infrastructureFailed = false;
    ownPendingDue = true;
    state = 'running';
    logger.info('queue.resumed', {});
  }

  /** This worker's failed messages, handled again before anything new is read. */
  async function retryOwnPending(free: number) {
    const own = await queue.readOwnPending(options.workerId, OWN_PENDING_BATCH);
    // Counts of messages no longer ours (acknowledged elsewhere after a claim) are forgotten.
    if (own.length < OWN_PENDING_BATCH) {
      const ids = new Set(own.map((message) => message.id));
      for (const id of localRetries.keys()) if (!ids.has(id) && !inFlightIds.has(id)) localRetries.delete(id);
    }
    const due = own.filter(
      (message) => !inFlightIds.has(message.id) && (localRetries.get(message.id) ?? 0) < MAX_LOCAL_RETRIES,
    );
    for (const message of due.slice(0, free)) dispatch(message);
    ownPendingDue = due.length > free;
  }

  async function run() {
    let readFailures = 0;
    let groupReady = false;
    while (running) {
      try {
        if (infrastructureFailed) await waitForDatabase();
        if (!running) break;
        if (!groupReady) {
          await queue.prepare();
          groupReady = true;
        }
        await claimStale();
        const free = options.concurrency - inFlight.size;
        if (free <= 0) {
          await Promise.race(inFlight);
          continue;
        }
        if (ownPendingDue) {
          await retryOwnPending(free);
          continue;
        }
        const messages = await queue.read(options.workerId, free, READ_BLOCK_MS);
        readFailures = 0;
        for (const message of messages) dispatch(message);
      } catch (error) {
        if (!running) break;
        readFailures++;
        const failure = coerceError(error);
        logger.error('queue.read_failed', { errorClass: failure.name, error: failure.message });
        await pause(backoffDelay(readFailures, RETRY_MIN_MS, RETRY_MAX_MS), stopping.signal);
      }
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      state = 'running';
      stopping = new AbortController();
      ownPendingDue = true;
      loop = run();
    },
    /** Stops taking jobs, waits for running ones, then gives back the leases of those still running. */
    async stop() {
      if (!running) return;
      running = false;
      state = 'stopped';
      stopping.abort();
      // Interrupts the blocking read at once instead of waiting for its timeout.
      queue.interruptReads();
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
    /** `backing_off` while the database is being probed after a failed job: nothing is pulled then. */
    get state() {
      return state;
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

function isPermanent(failure: unknown): boolean {
  return failure instanceof Error && (failure as OcrFailure).permanent === true;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[a-z][a-z0-9_]{1,63}$/.test(code) ? code : 'ocr_error';
}
