import { Worker } from 'node:worker_threads';
import type { OcrResult } from '../../../domain/ocrResult.ts';
import type { Logger, OcrEngine, OcrInput } from '../../../runtime/ports.ts';
import { isOcrErrorCode, ocrError } from '../errors.ts';
import type { PreparedModels } from '../models/prepare.ts';
import { roundTimings } from '../pipeline/index.ts';
import { prepareEngineModels } from './engine.ts';
import type { FromThread, ThreadError, ThreadSettings, ToThread } from './threadProtocol.ts';

/**
 * The OCR engine the service runs: `threads` worker threads, each with its own onnxruntime
 * sessions (engineThread.ts), behind the runtime's `OcrEngine` port. onnxruntime-node computes on
 * the calling JavaScript thread, so an engine on the main thread would stall HTTP requests, event
 * streams and lease heartbeats for the length of every model call (a detection here: ~200 ms).
 *
 * Each thread takes one job at a time; the rest wait in order, and a job's `onStarted` is called
 * when a thread takes it (the runtime's timeout counts from there). The image is read as soon as the
 * job is queued, so it is usually there by then, and handed over with the job. A thread that dies
 * fails its job (the runtime retries the document) and is replaced.
 *
 * A thread can be stuck where it cannot be reached: MuPDF renders synchronously in WASM, and only
 * terminating the thread stops it. So the main thread keeps a watchdog per thread:
 * - a PDF render that takes longer than `pdfRenderBudgetMs` fails its job with `pdf_too_complex`;
 * - a job aborted while it runs (timeout, lease lost, shutdown) is answered at once, and its thread
 *   must report back within `abortGraceMs`.
 * Either way the thread, and the recognition-lane threads it started, are terminated and a new
 * thread takes its place; jobs waiting in the queue keep their place and their time.
 */
export type ThreadedOcrEngineOptions = ThreadSettings & {
  /** Engine threads; on a CPU each uses `threads` onnxruntime threads, so threads × threads ≈ cores. */
  engineThreads: number;
  readImage: (storageKey: string) => Promise<Buffer>;
  logger: Logger;
  onFallback?: (reason: string) => void;
  /** The thread's module; tests give one that misbehaves on purpose. */
  threadModule?: URL;
  /** Prepares the networks the threads open (default prepareEngineModels); tests substitute their own. */
  prepareModels?: (settings: ThreadSettings) => Promise<PreparedModels>;
  /** Default PDF_RENDER_BUDGET_MS. */
  pdfRenderBudgetMs?: number;
  /** Default ABORT_GRACE_MS. */
  abortGraceMs?: number;
};

/**
 * Opening, checking and drawing the first page of a PDF, at most. An ID scan takes well under a
 * second (15–50 ms here); a file that passed the structure check (input/pdfStructure.ts) and still
 * takes this long is built to be slow.
 */
export const PDF_RENDER_BUDGET_MS = 5000;

/** How long a thread may take to stop an aborted job (it checks between stages) before it is replaced. */
export const ABORT_GRACE_MS = 1000;

export type ThreadedOcrEngine = OcrEngine & { close(): Promise<void> };

type Outcome = { value: { result: OcrResult; gpuProcessed: boolean } } | { error: unknown };

/** `settle` answers the caller once; later outcomes (a thread replying after an abort) are ignored. */
type Job = {
  id: number;
  input: OcrInput;
  /** Read from the moment the job is queued. */
  bytes: Promise<Buffer>;
  onStarted: (() => void) | undefined;
  /** The bytes went to the thread: from then on only the thread, or terminating it, stops the job. */
  posted: boolean;
  settle(outcome: Outcome): void;
};

type Slot = {
  worker: Worker;
  device: 'cuda' | 'cpu';
  job?: Job;
  /** Armed while a PDF renders, or after an abort: when it fires, the thread is terminated. */
  watchdog?: ReturnType<typeof setTimeout>;
  /** Its job was aborted: the thread is expected to report back, nothing else from it counts. */
  stopping?: boolean;
};

const ENGINE_THREAD = new URL('./engineThread.ts', import.meta.url);

export async function createThreadedOcrEngine(options: ThreadedOcrEngineOptions): Promise<ThreadedOcrEngine> {
  // The threads get the rest as workerData: plain data, the engine's own options.
  const {
    engineThreads,
    readImage,
    logger,
    onFallback,
    threadModule,
    prepareModels = prepareEngineModels,
    pdfRenderBudgetMs = PDF_RENDER_BUDGET_MS,
    abortGraceMs = ABORT_GRACE_MS,
    ...choices
  } = options;
  // Once for every thread, replacements included: preparing a network takes up to a quarter of a
  // second of one core, which each thread and each of its recognition lanes would otherwise spend
  // again. The threads share the bytes (SharedArrayBuffers in workerData).
  const settings: ThreadSettings = { ...choices, prepared: await prepareModels(choices) };
  const slots = new Set<Slot>();
  const waiting: Job[] = [];
  let starting = 0;
  let closed = false;
  let nextId = 1;

  const dispatch = () => {
    for (const slot of slots) {
      if (slot.job) continue;
      const job = waiting.shift();
      if (!job) return;
      start(slot, job);
    }
  };

  const start = (slot: Slot, job: Job) => {
    slot.job = job;
    slot.stopping = false;
    job.onStarted?.();
    job.bytes.then(
      (bytes) => {
        // Aborted, or the thread was lost, while the bytes were still being read.
        if (slot.job !== job || !slots.has(slot)) return;
        job.posted = true;
        // A copy of its own, moved to the thread: the read buffer may be a slice of a shared pool.
        const copy = new Uint8Array(bytes);
        const message: ToThread = { type: 'recognize', id: job.id, bytes: copy, mime: job.input.mime };
        slot.worker.postMessage(message, [copy.buffer]);
      },
      (error: unknown) => {
        if (slot.job !== job) return;
        slot.job = undefined;
        job.settle({ error });
        dispatch();
      },
    );
  };

  const disarm = (slot: Slot) => {
    clearTimeout(slot.watchdog);
    slot.watchdog = undefined;
  };

  /** Logs and fallbacks may come at any time, also while a thread opens its engine. */
  const onNotice = (message: FromThread) => {
    if (message.type === 'log') logger[message.level](message.message, message.fields);
    else if (message.type === 'fallback') onFallback?.(message.reason);
    else return false;
    return true;
  };

  const onRender = (slot: Slot, message: FromThread & { type: 'pdf_render' }) => {
    if (slot.job?.id !== message.id || slot.stopping) return;
    disarm(slot);
    if (message.phase === 'start') {
      slot.watchdog = setTimeout(
        () =>
          terminate(
            slot,
            'pdf_render_budget',
            ocrError('pdf_too_complex', `the PDF page took longer than ${pdfRenderBudgetMs} ms to render`),
          ),
        pdfRenderBudgetMs,
      );
    }
  };

  const onOutcome = (slot: Slot, message: FromThread & { type: 'done' | 'failed' }) => {
    const job = slot.job;
    if (job?.id !== message.id) return;
    disarm(slot);
    slot.job = undefined;
    slot.stopping = false;
    if (message.type === 'done') {
      slot.device = message.device;
      // No text here: OCR output is PII.
      logger.debug('ocr.completed', {
        documentId: job.input.documentId,
        gpuProcessed: message.gpuProcessed,
        lines: message.result.lines.length,
        rotation: message.result.rotation,
        timings: roundTimings(message.timings),
      });
      job.settle({ value: { result: message.result, gpuProcessed: message.gpuProcessed } });
    } else {
      job.settle({ error: restoreError(message.error) });
    }
    dispatch();
  };

  /** Starts one thread and resolves once its engine is open. */
  const spawn = () =>
    new Promise<Slot>((resolve, reject) => {
      const worker = new Worker(threadModule ?? ENGINE_THREAD, { workerData: settings });
      let slot: Slot | undefined;
      const failedToStart = (why: string) => reject(new Error(`an OCR thread failed to start: ${why}`));
      worker.on('message', (message: FromThread) => {
        if (onNotice(message)) return;
        if (slot && message.type === 'pdf_render') return onRender(slot, message);
        if (slot && (message.type === 'done' || message.type === 'failed')) return onOutcome(slot, message);
        if (!slot && message.type === 'ready') {
          slot = { worker, device: message.device };
          resolve(slot);
        }
      });
      worker.on('error', (error: Error) => (slot ? lost(slot, error.message) : failedToStart(error.message)));
      worker.on('exit', (code: number) =>
        slot ? lost(slot, `exit code ${code}`) : failedToStart(`exit code ${code}`),
      );
    });

  /** A thread died: its job fails, and a new thread takes its place. */
  const lost = (slot: Slot, why: string) => {
    if (!slots.delete(slot)) return;
    disarm(slot);
    void slot.worker.terminate();
    if (closed) return;
    logger.error('ocr.thread_lost', { reason: why.slice(0, 300), device: slot.device });
    if (slot.job) slot.job.settle({ error: new Error('the OCR thread running this document stopped') });
    replace();
  };

  /**
   * A thread that will not come back by itself: stopped from outside. Node stops the worker threads
   * it started (its recognition lanes) with it. Its 'exit' comes later and finds it gone from `slots`.
   */
  const terminate = (slot: Slot, reason: 'pdf_render_budget' | 'abort_ignored', error: Error) => {
    if (!slots.delete(slot)) return;
    disarm(slot);
    void slot.worker.terminate();
    logger.warn('ocr.thread_terminated', { reason, documentId: slot.job?.input.documentId, device: slot.device });
    slot.job?.settle({ error });
    slot.job = undefined;
    if (!closed) replace();
  };

  /** The caller has been answered; the thread must still let go of the job, or be replaced. */
  const stopRunning = (slot: Slot, job: Job) => {
    if (!job.posted) {
      // Only its bytes were awaited: the thread never saw it and is free now.
      slot.job = undefined;
      return dispatch();
    }
    if (slot.stopping) return;
    slot.stopping = true;
    disarm(slot);
    slot.worker.postMessage({ type: 'abort', id: job.id } satisfies ToThread);
    slot.watchdog = setTimeout(
      () => terminate(slot, 'abort_ignored', new Error('the OCR thread did not stop an aborted job')),
      abortGraceMs,
    );
  };

  const replace = () => {
    starting++;
    spawn().then(
      (slot) => {
        starting--;
        if (closed) return void slot.worker.terminate();
        slots.add(slot);
        dispatch();
      },
      (error: Error) => {
        starting--;
        logger.error('ocr.thread_start_failed', { error: error.message.slice(0, 300) });
        // With no thread left and none coming, nothing would ever take the waiting jobs.
        if (slots.size === 0 && starting === 0) {
          for (const job of waiting.splice(0)) job.settle({ error });
        }
      },
    );
  };

  const started = await Promise.allSettled(Array.from({ length: engineThreads }, spawn));
  for (const result of started) if (result.status === 'fulfilled') slots.add(result.value);
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    // Closed before the threads that did start are stopped, so their exits start no replacements.
    closed = true;
    await Promise.all([...slots].map((slot) => slot.worker.terminate()));
    throw failure.reason;
  }

  return {
    get device() {
      // What the next document will most likely run on: CUDA only if every thread still has it.
      return [...slots].every((slot) => slot.device === 'cuda') && slots.size > 0 ? 'cuda' : 'cpu';
    },

    async recognize(input, signal, onStarted) {
      if (closed) throw new Error('the OCR engine is closed');
      signal.throwIfAborted();
      return new Promise((resolve, reject) => {
        let settled = false;
        const job: Job = {
          id: nextId++,
          input,
          bytes: readImage(input.storageKey),
          onStarted,
          posted: false,
          settle(outcome) {
            if (settled) return;
            settled = true;
            signal.removeEventListener('abort', onAbort);
            if ('value' in outcome) resolve(outcome.value);
            else reject(outcome.error);
          },
        };
        // A read that fails while the job waits fails it there; once started, `start` reports it.
        job.bytes.catch((error: unknown) => {
          const queued = waiting.indexOf(job);
          if (queued < 0) return;
          waiting.splice(queued, 1);
          job.settle({ error });
        });
        function onAbort() {
          job.settle({ error: signal.reason });
          const queued = waiting.indexOf(job);
          if (queued >= 0) waiting.splice(queued, 1);
          for (const slot of slots) if (slot.job === job) stopRunning(slot, job);
        }
        signal.addEventListener('abort', onAbort, { once: true });
        if (slots.size === 0 && starting === 0) {
          job.settle({ error: new Error('no OCR thread is running') });
          return;
        }
        waiting.push(job);
        dispatch();
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const job of waiting.splice(0)) job.settle({ error: new Error('the OCR engine is closed') });
      await Promise.all(
        [...slots].map(async (slot) => {
          slots.delete(slot);
          disarm(slot);
          const exited = new Promise((resolve) => slot.worker.once('exit', resolve));
          slot.worker.postMessage({ type: 'close' } satisfies ToThread);
          // The thread releases its sessions and exits; one stuck in a long model call is stopped.
          const stuck = setTimeout(() => void slot.worker.terminate(), 5000);
          await exited;
          clearTimeout(stuck);
          if (slot.job) slot.job.settle({ error: new Error('the OCR engine is closed') });
        }),
      );
    },
  };
}

function restoreError(error: ThreadError): Error {
  return isOcrErrorCode(error.code) ? ocrError(error.code, error.message) : new Error(error.message);
}
