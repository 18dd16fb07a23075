/**
 * A stand-in for adapters/ocr/engine/laneThread.ts that speaks the same protocol without a model, for
 * testing thread lanes. Each input is sent back as its output. An input's first value says what to
 * do: -1 ends the thread, -2 takes 200 ms (a long model call), -3 fails the run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort } from 'node:worker_threads';
import type { FromLane, LaneTensor, ToLane } from '../../../adapters/ocr/engine/recognitionLanes.ts';

if (!parentPort) throw new Error('runs as a worker thread');
const port = parentPort;
const cancelled = new Set<number>();
let queue: Promise<void> = Promise.resolve();

port.on('message', (message: ToLane) => {
  if (message.type === 'close') return port.close();
  if (message.type === 'cancel') return void cancelled.add(message.id);
  queue = queue.then(() => run(message.id, message.inputs));
});

async function run(id: number, inputs: LaneTensor[]) {
  const outputs: LaneTensor[] = [];
  for (const input of inputs) {
    if (cancelled.has(id)) return;
    const command = input.data[0];
    if (command === -1) process.exit(3);
    if (command === -2) await sleep(200);
    if (command === -3) return post({ type: 'failed', id, message: 'scripted failure' });
    outputs.push(input);
  }
  post({ type: 'done', id, outputs });
}

const post = (message: FromLane) => port.postMessage(message);
post({ type: 'ready' });
