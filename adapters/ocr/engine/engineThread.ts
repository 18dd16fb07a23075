import { parentPort, workerData } from 'node:worker_threads';
import type { LogEvent } from '../../../names/index.ts';
import type { Logger } from '../../../runtime/ports.ts';
import { isOcrError } from '../errors.ts';
import { createOnnxOcrEngine } from './engine.ts';
import type { FromThread, LogLevel, ThreadSettings, ToThread } from './threadProtocol.ts';

/**
 * One OCR engine in a worker thread (see threadedEngine.ts). onnxruntime-node runs a model on the
 * thread that calls it, for up to a few hundred milliseconds per call on a small CPU; here that
 * thread is not the one serving HTTP and renewing leases. Jobs come one at a time with the image's
 * bytes; logs and CUDA fallbacks go back to the main thread, which owns the logger and the metrics.
 */
if (!parentPort) throw new Error('engineThread.ts runs as a worker thread');
const port = parentPort;
const settings = workerData as ThreadSettings;

const post = (message: FromThread) => port.postMessage(message);
const forward =
  (level: LogLevel) =>
  (message: LogEvent, fields?: Record<string, unknown>): void => {
    try {
      post({ type: 'log', level, message, ...(fields ? { fields } : {}) });
    } catch {
      // A field that cannot be cloned loses the fields, not the line.
      post({ type: 'log', level, message });
    }
  };
const logger: Logger = {
  debug: forward('debug'),
  info: forward('info'),
  warn: forward('warn'),
  error: forward('error'),
};

const engine = await createOnnxOcrEngine({
  ...settings,
  logger,
  readImage: () => Promise.reject(new Error('an OCR thread is given the bytes with each job')),
  onFallback: (reason) => post({ type: 'fallback', reason }),
});

const running = new Map<number, { controller: AbortController; done: Promise<void> }>();

port.on('message', (message: ToThread) => {
  switch (message.type) {
    case 'recognize': {
      const controller = new AbortController();
      running.set(message.id, { controller, done: recognize(message.id, message.bytes, message.mime, controller) });
      break;
    }
    case 'abort':
      running.get(message.id)?.controller.abort();
      break;
    case 'close':
      void close();
      break;
  }
});

/** Sessions are released only after the jobs using them have stopped at a stage boundary. */
async function close() {
  for (const job of running.values()) job.controller.abort();
  await Promise.allSettled([...running.values()].map((job) => job.done));
  await engine.close();
  port.close();
}

async function recognize(id: number, bytes: Uint8Array, mime: string, controller: AbortController) {
  try {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const { result, gpuProcessed, timings } = await engine.recognizeImage(buffer, mime, controller.signal, {
      // Posted before MuPDF blocks this thread: the main thread still gets it and can time the render.
      onRender: (phase) => post({ type: 'pdf_render', id, phase }),
    });
    post({ type: 'done', id, result, gpuProcessed, timings, device: engine.device });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    post({ type: 'failed', id, error: isOcrError(error) ? { message, code: error.code } : { message } });
  } finally {
    running.delete(id);
  }
}

post({ type: 'ready', device: engine.device });
