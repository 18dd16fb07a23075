import { Worker } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import type { LaneSettings, RecognitionLane } from '../models/models.ts';

/**
 * Recognition spread over threads. A card gives about thirty short strips; onnxruntime's intra-op
 * threads barely help on inputs that small (one 48×320 strip took the same time with one thread as
 * with two here), but two sessions of one thread each, on two JavaScript threads, read two strips
 * at once: 10.6–11 ms per strip against 20.6–25.7 ms for one session of two threads (measured on
 * the 2-core CPU, 24 strips, scratch micro-benchmark; see adapters/ocr/README.md).
 *
 * A lane is one session on one thread. The first lane is the engine's own thread (`sessionLane` in
 * models/models.ts); the others are worker threads (laneThread.ts), because onnxruntime-node
 * computes on the thread that calls it.
 */

/** Plain tensor data, as it crosses between threads (moved, not copied). */
export type LaneTensor = { data: Float32Array<ArrayBuffer>; dims: number[] };

export type ToLane =
  | { type: 'run'; id: number; inputs: LaneTensor[] }
  | { type: 'cancel'; id: number }
  | { type: 'close' };

export type FromLane =
  | { type: 'ready' }
  | { type: 'done'; id: number; outputs: LaneTensor[] }
  | { type: 'failed'; id: number; message: string };

const LANE_THREAD = new URL('./laneThread.ts', import.meta.url);

type Pending = { resolve(outputs: ort.Tensor[]): void; reject(error: Error): void };

export type ThreadLaneOptions = {
  /** Told when a running thread stops unasked (a native crash, say), with why. */
  onStopped?: (why: string) => void;
  /** The thread's module; tests give one that misbehaves on purpose. */
  threadModule?: URL;
};

/**
 * A lane on a worker thread of its own. A thread that dies fails the runs it had; the next run
 * starts a new one. The inputs' buffers are moved to the thread, so callers must not reuse them.
 */
export async function openThreadLane(
  settings: LaneSettings,
  options: ThreadLaneOptions = {},
): Promise<RecognitionLane> {
  const threadModule = options.threadModule ?? LANE_THREAD;
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let released = false;
  let live: Worker | undefined;
  let starting: Promise<Worker> | undefined;

  const start = () =>
    new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(threadModule, { workerData: settings });
      let ready = false;
      const stopped = (why: string) => {
        if (!ready) return reject(new Error(`a recognition thread failed to start: ${why}`));
        if (live !== worker) return;
        live = undefined;
        void worker.terminate();
        if (!released) options.onStopped?.(why);
        const error = new Error(`the recognition thread stopped: ${why}`);
        for (const run of pending.values()) run.reject(error);
        pending.clear();
      };
      worker.on('message', (message: FromLane) => {
        if (message.type === 'ready') {
          ready = true;
          live = worker;
          return resolve(worker);
        }
        const run = pending.get(message.id);
        if (!run) return; // cancelled: the caller has had its answer
        pending.delete(message.id);
        if (message.type === 'done') {
          run.resolve(message.outputs.map(({ data, dims }) => new ort.Tensor('float32', data, dims)));
        } else {
          run.reject(new Error(message.message));
        }
      });
      worker.on('error', (error: Error) => stopped(error.message.slice(0, 300)));
      worker.on('exit', (code: number) => stopped(`exit code ${code}`));
    });

  const thread = async () => {
    if (live) return live;
    starting ??= start().finally(() => {
      starting = undefined;
    });
    return starting;
  };
  await thread();

  return {
    async run(inputs, signal) {
      if (released) throw new Error('the recognition lane is released');
      signal?.throwIfAborted();
      const worker = await thread();
      signal?.throwIfAborted();
      const id = nextId++;
      return new Promise<ort.Tensor[]>((resolve, reject) => {
        const onAbort = () => {
          if (!pending.delete(id)) return;
          worker.postMessage({ type: 'cancel', id } satisfies ToLane);
          reject(signal?.reason);
        };
        pending.set(id, {
          resolve: (outputs) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(outputs);
          },
          reject: (error) => {
            signal?.removeEventListener('abort', onAbort);
            reject(error);
          },
        });
        signal?.addEventListener('abort', onAbort, { once: true });
        const moved = inputs.map((input) => movable(input.data as Float32Array, input.dims));
        worker.postMessage(
          { type: 'run', id, inputs: moved } satisfies ToLane,
          moved.map((tensor) => tensor.data.buffer),
        );
      });
    },

    async release() {
      if (released) return;
      released = true;
      const worker = live ?? (await starting?.catch(() => undefined));
      if (!worker) return;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage({ type: 'close' } satisfies ToLane);
      // The thread releases its session and exits; one stuck in a model call is stopped.
      const stuck = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(stuck);
    },
  };
}

/** Tensor data in a buffer of its own, which can be moved to another thread. */
export function movable(data: Float32Array, dims: readonly number[]): LaneTensor {
  const whole =
    data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return { data: whole ? (data as Float32Array<ArrayBuffer>) : data.slice(), dims: [...dims] };
}
