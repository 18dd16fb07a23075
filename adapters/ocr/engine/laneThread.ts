import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { type LaneSettings, preparedSessions, runModel } from '../models/models.ts';
import { type FromLane, type LaneTensor, movable, type ToLane } from './recognitionLanes.ts';

/**
 * One recognition session on a thread of its own (see recognitionLanes.ts). Runs come one list at
 * a time and are computed in order; a cancelled run stops at the next strip.
 */
if (!parentPort) throw new Error('laneThread.ts runs as a worker thread');
const port = parentPort;
const settings = workerData as LaneSettings;
// From the engine's prepared recogniser when it passed one, rather than preparing it again here.
const session = await preparedSessions(settings.prepared)(
  settings.modelPath,
  'cpu',
  settings.threads,
  settings.precision,
  settings.outputClasses,
);

const post = (message: FromLane, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const queued = new Set<number>();
const cancelled = new Set<number>();
let queue: Promise<void> = Promise.resolve();

port.on('message', (message: ToLane) => {
  switch (message.type) {
    case 'run':
      queued.add(message.id);
      queue = queue.then(() => run(message.id, message.inputs));
      break;
    case 'cancel':
      if (queued.has(message.id)) cancelled.add(message.id);
      break;
    case 'close':
      queue = queue.then(async () => {
        await session.release();
        port.close();
      });
      break;
  }
});

async function run(id: number, inputs: readonly LaneTensor[]) {
  try {
    const outputs: LaneTensor[] = [];
    for (const input of inputs) {
      // Each model call yields to the event loop first, so a cancel sent meanwhile is seen here.
      if (cancelled.has(id)) return;
      const output = await runModel(session, new ort.Tensor('float32', input.data, input.dims));
      outputs.push(movable(output.data as Float32Array, output.dims));
    }
    post(
      { type: 'done', id, outputs },
      outputs.map((output) => output.data.buffer),
    );
  } catch (error) {
    post({ type: 'failed', id, message: error instanceof Error ? error.message : String(error) });
  } finally {
    queued.delete(id);
    cancelled.delete(id);
  }
}

post({ type: 'ready' });
