/**
 * A thread that says it is alive every 20 ms on the BroadcastChannel `TICKS_CHANNEL`, with its
 * thread id: a test can see when it stops. It stands for a recognition lane started by an OCR thread.
 */
import { isMainThread, threadId } from 'node:worker_threads';

export const TICKS_CHANNEL = 'filot-test-ticks';

// Tests import the channel's name from here; only the thread itself ticks.
if (!isMainThread) {
  const channel = new BroadcastChannel(TICKS_CHANNEL);
  setInterval(() => channel.postMessage(threadId), 20);
}
