/**
 * A stand-in for adapters/ocr/engine/engineThread.ts that speaks the same protocol without models, for
 * testing the thread pool. The image's bytes say what to do: `crash` ends the thread, `hang` never
 * answers (until aborted), `log` sends a log line first, `block` holds the thread without ever
 * yielding (an abort never reaches it), `slow-render` does the same after announcing a PDF render,
 * as MuPDF does on a hostile file, `prepared` reads back which prepared networks the thread was
 * handed; anything else is read back as its text.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { FromThread, ThreadSettings, ToThread } from '../../../adapters/ocr/engine/threadProtocol.ts';
import type { LogEvent } from '../../../names/index.ts';

if (!parentPort) throw new Error('runs as a worker thread');
const port = parentPort;
const post = (message: FromThread) => port.postMessage(message);

port.on('message', (message: ToThread) => {
  if (message.type === 'close') return port.close();
  if (message.type === 'abort') return post({ type: 'failed', id: message.id, error: { message: 'aborted' } });
  const bytes = Buffer.from(message.bytes).toString('utf8');
  const text = bytes === 'prepared' ? preparedHere() : bytes;
  if (text === 'crash') process.exit(3);
  if (text === 'hang') return;
  if (text === 'slow-render') post({ type: 'pdf_render', id: message.id, phase: 'start' });
  if (text === 'block' || text === 'slow-render') return holdThisThread();
  if (text === 'too-large')
    return post({ type: 'failed', id: message.id, error: { message: 'too many pixels', code: 'image_too_large' } });
  // A name no real event has, so the test knows the line came from here.
  if (text === 'log')
    post({ type: 'log', level: 'warn', message: 'scripted.notice' as LogEvent, fields: { id: message.id } });
  post({
    type: 'done',
    id: message.id,
    result: {
      text,
      lines: [],
      rotation: 0,
      quality: { width: 1, height: 1, sharpness: 0, brightness: 0, textCoverage: 0 },
    },
    gpuProcessed: false,
    timings: { total: 1 },
    device: 'cpu',
  });
});

/** This thread's id and, per prepared network, whether its bytes are shared memory and its first byte. */
function preparedHere() {
  const prepared = (workerData as ThreadSettings | undefined)?.prepared ?? new Map<string, Uint8Array>();
  const networks = [...prepared].map(([key, bytes]) => [key, bytes.buffer instanceof SharedArrayBuffer, bytes[0]]);
  return JSON.stringify({ threadId, networks });
}

/** Blocks the thread for good, as a synchronous WASM call does: only terminating the thread ends it. */
function holdThisThread() {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

post({ type: 'fallback', reason: 'cuda_unavailable: scripted' });
post({ type: 'ready', device: 'cpu' });
