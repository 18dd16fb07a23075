import type { Config } from '../config/index.ts';
import { createDocumentMachine } from '../machines/document.machine.ts';
import { createDocuments } from './documents/documents.ts';
import { createEffectDispatcher } from './effects/dispatcher.ts';
import { createOutboxPruner, createOutboxRelay } from './effects/outboxRelay.ts';
import type {
  Coordination,
  DocumentLocks,
  DocumentStore,
  Evaluator,
  Logger,
  OcrEngine,
  OcrJobQueue,
  Outbox,
  ReviewWorkflows,
  RuntimeMetrics,
  TransitionObserver,
} from './ports.ts';
import { startPeriodic } from './recovery/periodic.ts';
import { createReaper } from './recovery/reaper.ts';
import { createSweeper } from './recovery/sweeper.ts';
import { createOcrWorker, type OcrWorker } from './worker/ocrWorker.ts';

/**
 * The runtime from ready ports: the document transitions, the OCR workers, the reaper, the sweeper
 * and the outbox relay. It builds no adapter; the entry points do that, through composition/.
 */
export type RuntimeDeps = {
  config: Pick<Config, 'machine' | 'worker' | 'intervals' | 'outbox'>;
  store: DocumentStore;
  outbox: Outbox;
  queue: OcrJobQueue;
  locks: DocumentLocks;
  coordination: Coordination;
  logger: Logger;
  /** Without an OCR engine this process runs no OCR workers. */
  ocr?: { engine: OcrEngine; evaluator: Evaluator };
  /** Without them this process starts no review workflows; a process that has them does. */
  reviews?: ReviewWorkflows;
  metrics?: RuntimeMetrics;
  /** Told of every committed step of every document this process moves (metrics, logs, the inspector). */
  observers?: readonly TransitionObserver[];
};

export function createRuntime(deps: RuntimeDeps) {
  const { config, store, outbox, queue, logger } = deps;
  const effects = createEffectDispatcher({
    ports: { queue, ...(deps.reviews ? { reviews: deps.reviews } : {}) },
    outbox,
    logger,
  });
  const machine = createDocumentMachine(config.machine);
  const documents = createDocuments({
    store,
    machine,
    effects,
    leaseMs: config.worker.leaseMs,
    ...(deps.observers ? { observers: deps.observers } : {}),
  });
  const reap = createReaper({ documents, store, logger });
  const relay = createOutboxRelay({
    outbox,
    effects,
    logger,
    maxAttempts: config.outbox.maxAttempts,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  const prune = createOutboxPruner({ outbox, logger, retentionMs: config.outbox.retentionMs });
  const sweep = createSweeper({
    documents,
    store,
    queue,
    ...(deps.reviews ? { reviews: deps.reviews } : {}),
    coordination: deps.coordination,
    staleMs: config.intervals.sweeperStaleMs,
    intervalMs: config.intervals.sweeperMs,
    logger,
  });

  let worker: OcrWorker | undefined;
  let periodic: ReturnType<typeof startPeriodic>[] = [];

  return {
    documents,
    store,
    machine,
    reap,
    relay,
    prune,
    sweep,
    async start() {
      if (deps.ocr) {
        worker = createOcrWorker(
          {
            documents,
            store,
            queue,
            locks: deps.locks,
            engine: deps.ocr.engine,
            evaluator: deps.ocr.evaluator,
            logger,
            ...(deps.metrics ? { metrics: deps.metrics } : {}),
          },
          {
            workerId: config.worker.id,
            concurrency: config.worker.concurrency,
            leaseMs: config.worker.leaseMs,
            ocrTimeoutMs: config.worker.ocrTimeoutMs,
            claimIdleMs: config.worker.claimIdleMs,
            shutdownTimeoutMs: config.worker.shutdownTimeoutMs,
          },
        );
        worker.start();
      } else {
        logger.warn('runtime.no_ocr_engine', { detail: 'no OCR engine configured; this process runs no OCR workers' });
      }
      periodic = [
        startPeriodic('outbox', config.intervals.outboxPollMs, async () => void (await relay()), logger),
        startPeriodic('outbox_prune', config.outbox.pruneIntervalMs, async () => void (await prune()), logger),
        startPeriodic('reaper', config.intervals.reaperMs, async () => void (await reap()), logger),
        startPeriodic('sweeper', config.intervals.sweeperMs, async () => void (await sweep()), logger),
      ];
    },
    /** Stops taking work, lets running jobs finish (or gives their leases back), stops the loops and marks what was delivered. */
    async stop() {
      await worker?.stop();
      await Promise.all(periodic.map((task) => task.stop()));
      await effects.flushMarks();
    },
    get activeJobs() {
      return worker?.activeJobs ?? 0;
    },
    /** `backing_off` while this process's OCR workers wait for the database after a failed job. */
    get workerState() {
      return worker?.state ?? 'stopped';
    },
  };
}

export type Runtime = ReturnType<typeof createRuntime>;
