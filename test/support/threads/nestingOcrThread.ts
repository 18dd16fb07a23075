/**
 * The scripted OCR thread (scriptedOcrThread.ts) with a thread of its own, as an engine thread has
 * its recognition lanes: it starts a ticking thread (tickingThread.ts) and logs that thread's id.
 */
import { parentPort, Worker } from 'node:worker_threads';
import type { FromThread, ToThread } from '../../../adapters/ocr/engine/threadProtocol.ts';
import type { LogEvent } from '../../../names/index.ts';

const lane = new Worker(new URL('./tickingThread.ts', import.meta.url));
await new Promise((resolve) => lane.once('online', resolve));
parentPort?.postMessage({
  type: 'log',
  level: 'info',
  message: 'scripted.lane_started' as LogEvent,
  fields: { laneThreadId: lane.threadId },
} satisfies FromThread);
// Closed with this thread, as an engine thread releases its lanes; otherwise it would keep it alive.
parentPort?.on('message', (message: ToThread) => {
  if (message.type === 'close') void lane.terminate();
});
await import('./scriptedOcrThread.ts');
