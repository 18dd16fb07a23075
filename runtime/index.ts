import type { Redis } from 'ioredis';
import type { DatabasePool } from 'slonik';
import { createDocumentStore } from '../adapters/postgres/documentStore.ts';
import { createOutbox } from '../adapters/postgres/outbox.ts';
import { createPiiCipher } from '../adapters/postgres/piiCipher.ts';
import { createDocumentLocks } from '../adapters/redis/documentLocks.ts';
import { createOcrStream } from '../adapters/redis/ocrStream.ts';
import type { Config } from '../config/index.ts';
import { createDocumentMachine } from '../machines/document.machine.ts';
import { createDocuments } from './documents.ts';
import { createEffectDispatcher } from './effects.ts';
import { createOcrWorker, type OcrWorker } from './ocrWorker.ts';
import { createOutboxRelay } from './outboxRelay.ts';
import { startPeriodic } from './periodic.ts';
import type { DocumentStore, Evaluator, Logger, OcrEngine, RuntimeMetrics } from './ports.ts';
import { createReaper } from './reaper.ts';
import { createSweeper } from './sweeper.ts';

/**
 * Wires the runtime from its configuration and connections: the document transitions, the OCR
 * workers, the reaper, the sweeper and the outbox relay. The caller owns the connections and
 * closes them after `stop()`.
 */
export type RuntimeDeps = {
  config: Config;
  pool: DatabasePool;
  redis: Redis;
  logger: Logger;
  /**
   * Without an OCR engine this process runs no OCR workers. The evaluator may be built from the
   * runtime's document store (it looks up duplicate NIKs there).
   */
  ocr?: { engine: OcrEngine; evaluator: Evaluator | ((store: DocumentStore) => Evaluator); blockingRedis: Redis };
  metrics?: RuntimeMetrics;
};

export function createRuntime(deps: RuntimeDeps) {
  const { config, pool, redis, logger } = deps;
  const cipher = createPiiCipher(config.pii);
  const store = createDocumentStore(pool, cipher, { outboxGraceMs: Math.max(1000, config.intervals.outboxPollMs * 2) });
  const outbox = createOutbox(pool);
  const stream = createOcrStream(redis, config.redisKeyPrefix);
  const effects = createEffectDispatcher({ queue: stream, outbox, logger });
  const machine = createDocumentMachine(config.machine);
  const documents = createDocuments({ store, machine, effects, leaseMs: config.worker.leaseMs });
  const reap = createReaper({ documents, store, logger });
  const relay = createOutboxRelay({ outbox, effects, logger });
  const sweep = createSweeper({
    documents,
    store,
    queue: stream,
    redis,
    prefix: config.redisKeyPrefix,
    staleMs: config.intervals.sweeperStaleMs,
    intervalMs: config.intervals.sweeperMs,
    logger,
  });

  let worker: OcrWorker | undefined;
  let periodic: ReturnType<typeof startPeriodic>[] = [];

  return {
    documents,
    store,
    stream,
    machine,
    reap,
    relay,
    sweep,
    async start() {
      if (deps.ocr) {
        const locks = createDocumentLocks(redis, config.redisKeyPrefix, (error) =>
          logger.warn('lock.error', { error: error.message }),
        );
        worker = createOcrWorker(
          {
            documents,
            store,
            stream,
            blockingRedis: deps.ocr.blockingRedis,
            locks,
            engine: deps.ocr.engine,
            evaluator: typeof deps.ocr.evaluator === 'function' ? deps.ocr.evaluator(store) : deps.ocr.evaluator,
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
