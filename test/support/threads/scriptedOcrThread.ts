/**
 * A stand-in for adapters/ocr/engineThread.ts that speaks the same protocol without models, for
 * testing the thread pool. The image's bytes say what to do: `crash` ends the thread, `hang` never
 * answers (until aborted), `log` sends a log line first; anything else is read back as its text.
 */
import { parentPort } from 'node:worker_threads';
import type { FromThread, ToThread } from '../../../adapters/ocr/threadProtocol.ts';

if (!parentPort) throw new Error('runs as a worker thread');
const port = parentPort;
const post = (message: FromThread) => port.postMessage(message);

port.on('message', (message: ToThread) => {
  if (message.type === 'close') return port.close();
  if (message.type === 'abort') return post({ type: 'failed', id: message.id, error: { message: 'aborted' } });
  const text = Buffer.from(message.bytes).toString('utf8');
  if (text === 'crash') process.exit(3);
  if (text === 'hang') return;
  if (text === 'too-large')
    return post({ type: 'failed', id: message.id, error: { message: 'too many pixels', code: 'image_too_large' } });
  if (text === 'log') post({ type: 'log', level: 'warn', message: 'scripted.notice', fields: { id: message.id } });
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

post({ type: 'fallback', reason: 'cuda_unavailable: scripted' });
post({ type: 'ready', device: 'cpu' });
