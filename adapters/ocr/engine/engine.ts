import type { OcrResult } from '../../../domain/ocrResult.ts';
import type { Logger, OcrEngine } from '../../../runtime/ports.ts';
import { isOcrError } from '../errors.ts';
import { loadImage } from '../input/image.ts';
import type { PdfRenderWatch } from '../input/pdf.ts';
import {
  type ExecutionDevice,
  type LaneFactory,
  locateModels,
  type ModelPaths,
  type Models,
  modelPreparations,
  type OpenModelsOptions,
  openModels,
  readDictionary,
  type SessionFactory,
} from '../models/models.ts';
import { type Precision, type PrecisionSetting, resolvePrecision } from '../models/precision.ts';
import { type PreparedModels, prepareModels } from '../models/prepare.ts';
import {
  type CtcOptions,
  createCtcDecoder,
  DEFAULT_CARD_REGION_OPTIONS,
  DEFAULT_CTC_OPTIONS,
  DEFAULT_DETECT_OPTIONS,
  DEFAULT_ORIENTATION_OPTIONS,
  DEFAULT_READING_ORDER,
  DEFAULT_RECOGNIZE_OPTIONS,
  DEFAULT_RECTIFY_OPTIONS,
  type PipelineSettings,
  type RecognizeOptions,
  roundTimings,
  runPipeline,
  type Timings,
} from '../pipeline/index.ts';
import { openThreadLane } from './recognitionLanes.ts';

/**
 * The OCR actor: onnxruntime with PaddleOCR PP-OCRv4 models, on CUDA when it works and on the CPU
 * otherwise.
 *
 * `auto` and `cuda` both ask onnxruntime for CUDA first. If the CUDA sessions cannot be created
 * (no GPU, no CUDA provider library), the engine opens CPU sessions, reports `device: 'cpu'`, logs
 * `ocr.fallback` and calls `onFallback`; with `cuda` the log is an error, because someone asked for
 * a GPU and is not getting one; with `auto` it is information (a host without a GPU is what `auto`
 * allows), and a warning only when CUDA opened and then failed a run. If a run on CUDA throws, that
 * document is read again on the CPU (gpuProcessed=false); after a few consecutive CUDA failures the
 * engine stays on the CPU.
 */
export type OcrDevicePreference = 'auto' | 'cuda' | 'cpu';

export type OcrTuning = {
  /** Long side of the working image; larger uploads are downscaled while decoding. */
  maxSide: number;
  detection: PipelineSettings['detection'];
  /** Recognition batching differs per device (see pipeline/recognition/recognize.ts). */
  recognition: Record<ExecutionDevice, RecognizeOptions>;
  orientation: PipelineSettings['orientation'];
  readingOrder: PipelineSettings['readingOrder'];
  dropScore: number;
  card: PipelineSettings['card'];
  ctc: CtcOptions;
};

export const DEFAULT_OCR_TUNING: OcrTuning = {
  maxSide: 2048,
  detection: DEFAULT_DETECT_OPTIONS,
  recognition: {
    cpu: DEFAULT_RECOGNIZE_OPTIONS,
    cuda: { ...DEFAULT_RECOGNIZE_OPTIONS, batchSize: 64 },
  },
  orientation: DEFAULT_ORIENTATION_OPTIONS,
  readingOrder: DEFAULT_READING_ORDER,
  dropScore: 0.5,
  card: { region: DEFAULT_CARD_REGION_OPTIONS, enlarge: 1.5, side: 864, rectify: DEFAULT_RECTIFY_OPTIONS },
  ctc: DEFAULT_CTC_OPTIONS,
};

export type OnnxOcrEngineOptions = {
  device: OcrDevicePreference;
  /** onnxruntime intra-op threads per session (default 2). */
  threads?: number;
  /** Recognition lanes on the CPU (default 1; see models/models.ts). */
  recognitionLanes?: number;
  /** Of the detector and the recogniser on the CPU (default auto; see models/precision.ts). */
  precision?: PrecisionSetting;
  /** Uploads with more pixels are refused (`image_too_large`). */
  maxPixels: number;
  readImage: (storageKey: string) => Promise<Buffer>;
  logger: Logger;
  onFallback?: (reason: string) => void;
  tuning?: Partial<OcrTuning>;
  /**
   * The networks, prepared already (`prepareEngineModels`): the threaded engine prepares them once
   * for all its threads. Without them the engine prepares its own.
   */
  prepared?: PreparedModels;
  /** Opens one model session; tests substitute a failing "CUDA" here. */
  createSession?: SessionFactory;
  /** Opens a recognition lane on a thread of its own; tests substitute their own. */
  openLane?: LaneFactory;
};

export type OcrRun = { result: OcrResult; gpuProcessed: boolean; timings: Timings };

export type OnnxOcrEngine = OcrEngine & {
  recognizeImage(bytes: Buffer, mime: string, signal?: AbortSignal, watch?: PdfRenderWatch): Promise<OcrRun>;
  close(): Promise<void>;
};

/** After this many CUDA runs in a row have failed, the engine stops trying CUDA. */
const CUDA_FAILURES_BEFORE_GIVING_UP = 3;

type ModelChoices = Pick<OnnxOcrEngineOptions, 'device' | 'precision' | 'tuning'>;

/** What an engine with these options opens: the files, the recogniser's decoder, the CPU precision. */
async function chooseModels(options: ModelChoices) {
  const tuning: OcrTuning = { ...DEFAULT_OCR_TUNING, ...options.tuning };
  const paths = locateModels();
  // The recogniser's sessions return only the classes the decoder reads (models/outputClasses.ts).
  const decoder = createCtcDecoder(await readDictionary(paths.dictionary), tuning.ctc).narrowed();
  const precision = await resolvePrecision(options.precision ?? 'auto');
  return { tuning, paths, decoder, precision };
}

/** The networks to prepare: those of CUDA, if asked for, and those of the CPU it falls back to. */
function preparationsFor(
  device: OcrDevicePreference,
  paths: ModelPaths,
  precision: Precision,
  classes: readonly number[],
) {
  const devices: ExecutionDevice[] = device === 'cpu' ? ['cpu'] : ['cuda', 'cpu'];
  return devices.flatMap((on) => modelPreparations(paths, on, precision, classes));
}

/**
 * The networks an engine with these options opens, prepared (models/prepare.ts). On the calling
 * thread: about half a second here (0.7 s with CUDA's networks as well), in synchronous stretches of
 * up to about 130 ms, which is why it happens at start-up and never again.
 */
export async function prepareEngineModels(options: ModelChoices): Promise<PreparedModels> {
  const { paths, decoder, precision } = await chooseModels(options);
  return prepareModels(preparationsFor(options.device, paths, precision, decoder.classesRead));
}

export async function createOnnxOcrEngine(options: OnnxOcrEngineOptions): Promise<OnnxOcrEngine> {
  const { logger } = options;
  const { tuning, paths, decoder, precision } = await chooseModels(options);
  // Prepared once, here, for the engine's sessions and its lane threads alike; sessions of a
  // caller's own factory prepare their networks themselves.
  const prepared =
    options.prepared ??
    (options.createSession
      ? undefined
      : await prepareModels(preparationsFor(options.device, paths, precision, decoder.classesRead)));
  const openOptions: OpenModelsOptions = {
    threads: options.threads ?? 2,
    recognitionLanes: options.recognitionLanes ?? 1,
    precision,
    recognitionClasses: decoder.classesRead,
    ...(prepared ? { prepared } : {}),
    ...(options.createSession ? { createSession: options.createSession } : {}),
    openLane:
      options.openLane ??
      ((settings) =>
        openThreadLane(settings, { onStopped: (why) => logger.error('ocr.lane_lost', { reason: why.slice(0, 300) }) })),
  };

  let cpuModels: Promise<Models> | undefined;
  const openCpu = () => {
    cpuModels ??= openModels(paths, 'cpu', openOptions);
    return cpuModels;
  };

  const fallBack = (cause: 'cuda_unavailable' | 'cuda_run_failed', error: unknown) => {
    const reason = `${cause}: ${describe(error)}`;
    const fields = { reason, requestedDevice: options.device };
    // Asked explicitly for CUDA: not getting it is an error someone must look at. On `auto` the CPU
    // is an outcome the configuration accepts: a host without a usable GPU is information, not an
    // incident; a GPU that was opened and then failed a run is a warning.
    if (options.device === 'cuda') logger.error('ocr.fallback', fields);
    else if (cause === 'cuda_unavailable') logger.info('ocr.fallback', fields);
    else logger.warn('ocr.fallback', fields);
    options.onFallback?.(reason);
  };

  let primary: Models;
  if (options.device === 'cpu') {
    primary = await openCpu();
  } else {
    try {
      primary = await openModels(paths, 'cuda', openOptions);
    } catch (error) {
      fallBack('cuda_unavailable', error);
      primary = await openCpu();
    }
  }
  // Released on close only: a document still in flight may be using sessions we stop choosing.
  const opened = new Set<Models>([primary]);

  let cudaFailures = 0;
  let closed = false;

  const settingsFor = (models: Models): PipelineSettings => ({
    detection: tuning.detection,
    recognition: tuning.recognition[models.device],
    orientation: tuning.orientation,
    readingOrder: tuning.readingOrder,
    dropScore: tuning.dropScore,
    card: tuning.card,
  });

  const recognizeImage = async (
    bytes: Buffer,
    // Kept for the port's shape and for callers' logs; the bytes decide the format (see input/image.ts).
    _mime: string,
    signal: AbortSignal = new AbortController().signal,
    watch: PdfRenderWatch = {},
  ): Promise<OcrRun> => {
    if (closed) throw new Error('the OCR engine is closed');
    signal.throwIfAborted();
    const started = performance.now();
    const timings: Timings = {};
    const image = await loadImage(bytes, { ...watch, maxPixels: options.maxPixels, maxSide: tuning.maxSide });
    timings.decode = performance.now() - started;

    const models = primary;
    try {
      const result = await runPipeline(models, decoder, image, settingsFor(models), signal, timings);
      if (models.device === 'cuda') cudaFailures = 0;
      timings.total = performance.now() - started;
      return { result, gpuProcessed: models.device === 'cuda', timings };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (models.device !== 'cuda' || isOcrError(error)) throw error;
      fallBack('cuda_run_failed', error);
      const cpu = await openCpu();
      opened.add(cpu);
      if (++cudaFailures >= CUDA_FAILURES_BEFORE_GIVING_UP && primary === models) {
        logger.error('ocr.cuda_disabled', { consecutiveFailures: cudaFailures });
        primary = cpu;
      }
      const retryTimings: Timings = { decode: timings.decode ?? 0 };
      const result = await runPipeline(cpu, decoder, image, settingsFor(cpu), signal, retryTimings);
      retryTimings.total = performance.now() - started;
      return { result, gpuProcessed: false, timings: retryTimings };
    }
  };

  return {
    get device() {
      return primary.device;
    },
    recognizeImage,
    async recognize(input, signal, onStarted) {
      signal.throwIfAborted();
      // No queue here: the work starts now.
      onStarted?.();
      const bytes = await options.readImage(input.storageKey);
      const { result, gpuProcessed, timings } = await recognizeImage(bytes, input.mime, signal);
      // No text here: OCR output is PII.
      logger.debug('ocr.completed', {
        documentId: input.documentId,
        gpuProcessed,
        lines: result.lines.length,
        rotation: result.rotation,
        timings: roundTimings(timings),
      });
      return { result, gpuProcessed };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (cpuModels) opened.add(await cpuModels.catch(() => primary));
      await Promise.all([...opened].map((models) => models.release()));
    },
  };
}

/** An error's message, short, for a log field. onnxruntime messages name files and ops, never document content. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').slice(0, 300);
}
