import { Worker } from 'node:worker_threads';
import type { OcrResult } from '../../machines/document.events.ts';
import type { Logger, OcrEngine, OcrInput } from '../../runtime/ports.ts';
import { type OcrErrorCode, ocrError } from './errors.ts';
import type { FromThread, ThreadError, ThreadSettings, ToThread } from './threadProtocol.ts';
import { roundTimings } from './timings.ts';

/**
 * The OCR engine the service runs: `threads` worker threads, each with its own onnxruntime
 * sessions (engineThread.ts), behind the runtime's `OcrEngine` port. onnxruntime-node computes on
 * the calling JavaScript thread, so an engine on the main thread would stall HTTP requests, event
 * streams and lease heartbeats for the length of every model call (a detection here: ~200 ms).
 *
 * The image is read on the main thread and handed over with the job. Each thread takes one job at a
 * time; the rest wait in order. A thread that dies fails its job (the runtime retries the document)
 * and is replaced. Aborting a job that waits drops it; aborting a running one asks its thread to stop
 * at the next stage, and the thread takes new work once it has.
 */
export type ThreadedOcrEngineOptions = ThreadSettings & {
  /** Engine threads; on a CPU each uses `threads` onnxruntime threads, so threads × threads ≈ cores. */
  engineThreads: number;
  readImage: (storageKey: string) => Promise<Buffer>;
  logger: Logger;
  onFallback?: (reason: string) => void;
  /** The thread's module; tests give one that misbehaves on purpose. */
  threadModule?: URL;
};

export type ThreadedOcrEngine = OcrEngine & { close(): Promise<void> };

type Outcome = { value: { result: OcrResult; gpuProcessed: boolean } } | { error: unknown };

/** `settle` answers the caller once; later outcomes (a thread replying after an abort) are ignored. */
type Job = { id: number; input: OcrInput; bytes: Buffer; settle(outcome: Outcome): void };

type Slot = { worker: Worker; device: 'cuda' | 'cpu'; job?: Job };

const ENGINE_THREAD = new URL('./engineThread.ts', import.meta.url);

export async function createThreadedOcrEngine(options: ThreadedOcrEngineOptions): Promise<ThreadedOcrEngine> {
  // The threads get the rest as workerData: plain data, the engine's own options.
  const { engineThreads, readImage, logger, onFallback, threadModule, ...settings } = options;
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
      slot.job = job;
      // A copy of its own, moved to the thread: the read buffer may be a slice of a shared pool.
      const bytes = new Uint8Array(job.bytes);
      const message: ToThread = { type: 'recognize', id: job.id, bytes, mime: job.input.mime };
      slot.worker.postMessage(message, [bytes.buffer]);
    }
  };

  /** Logs and fallbacks may come at any time, also while a thread opens its engine. */
  const onNotice = (message: FromThread) => {
    if (message.type === 'log') logger[message.level](message.message, message.fields);
    else if (message.type === 'fallback') onFallback?.(message.reason);
    else return false;
    return true;
  };

  const onOutcome = (slot: Slot, message: FromThread & { type: 'done' | 'failed' }) => {
    const job = slot.job;
    slot.job = undefined;
    if (job && job.id === message.id) {
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
    void slot.worker.terminate();
    if (closed) return;
    logger.error('ocr.thread_lost', { reason: why.slice(0, 300), device: slot.device });
    if (slot.job) slot.job.settle({ error: new Error('the OCR thread running this document stopped') });
    replace();
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

    async recognize(input, signal) {
      if (closed) throw new Error('the OCR engine is closed');
      signal.throwIfAborted();
      const bytes = await readImage(input.storageKey);
      signal.throwIfAborted();
      return new Promise((resolve, reject) => {
        let settled = false;
        const job: Job = {
          id: nextId++,
          input,
          bytes,
          settle(outcome) {
            if (settled) return;
            settled = true;
            signal.removeEventListener('abort', onAbort);
            if ('value' in outcome) resolve(outcome.value);
            else reject(outcome.error);
          },
        };
        function onAbort() {
          const queued = waiting.indexOf(job);
          if (queued >= 0) waiting.splice(queued, 1);
          for (const slot of slots) {
            if (slot.job === job) slot.worker.postMessage({ type: 'abort', id: job.id } satisfies ToThread);
          }
          job.settle({ error: signal.reason });
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

const OCR_ERROR_CODES: readonly string[] = ['image_too_large', 'image_unreadable'] satisfies OcrErrorCode[];

function restoreError(error: ThreadError): Error {
  return error.code && OCR_ERROR_CODES.includes(error.code)
    ? ocrError(error.code as OcrErrorCode, error.message)
    : new Error(error.message);
}
