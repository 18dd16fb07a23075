import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createLogger } from '../../adapters/logging/logger.ts';
import type { Metrics } from '../../adapters/metrics/registry.ts';
import { createDocumentQueries } from '../../adapters/postgres/documentQueries.ts';
import { createRedis } from '../../adapters/redis/client.ts';
import { connectBuli2 } from '../../composition/buli2.ts';
import { connectReviews, type Reviews, startReviewWorker } from '../../composition/reviews.ts';
import { composeRuntime } from '../../composition/runtime.ts';
import { type Config, loadConfig } from '../../config/index.ts';
import type { DocumentType } from '../../domain/documentType.ts';
import type {
  Evaluation,
  Evaluator,
  Logger,
  NewDocument,
  OcrEngine,
  RuntimeMetrics,
  TransitionObserver,
} from '../../runtime/ports.ts';
import { createTestDatabase, createTestPool, type TestDatabase } from './database.ts';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from './redis.ts';
import { CLEAN_EVALUATION, SYNTHETIC_OCR } from './scriptedEngine.ts';

/** Quiet unless FILOT_TEST_LOGS=1, so failing tests can be rerun with the runtime's log lines. */
export const testLogger: Logger = createLogger({ level: 'debug', silent: process.env.FILOT_TEST_LOGS !== '1' });

/** Connection errors in tests show up as failed commands; logged at debug for FILOT_TEST_LOGS=1. */
export const ignoreRedisError = (error: Error) => testLogger.debug('redis.error', { error: error.message });

export function testConfig(database: TestDatabase, prefix: string, overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    OCR_LEASE_MS: '2000',
    STREAM_CLAIM_IDLE_MS: '3000',
    REAPER_INTERVAL_MS: '200',
    SWEEPER_INTERVAL_MS: '500',
    SWEEPER_STALE_MS: '5000',
    OUTBOX_POLL_MS: '200',
    SHUTDOWN_TIMEOUT_MS: '2000',
    // The run's Temporal dev server (test/support/globalSetup.ts), with a task queue per world so
    // that one test file's workers never take another's reviews.
    ...(process.env.TEMPORAL_ADDRESS
      ? { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE: `review-${prefix.replace(/\W/g, '')}` }
      : {}),
    ...overrides,
  });
}

/** One test file's world: its own database and Redis key prefix, cleaned up by `close()`. */
export async function createWorld(
  options: {
    redisUrl?: string;
    overrides?: Record<string, string>;
    /** false: the world's runtimes start no review workflows, even when the run has Temporal. */
    reviews?: boolean;
  } = {},
) {
  const database = await createTestDatabase();
  const prefix = uniquePrefix();
  const config = testConfig(database, prefix, { REDIS_URL: options.redisUrl ?? TEST_REDIS_URL, ...options.overrides });
  const pool = await createTestPool(database, 20);
  const redis = createRedis(config.redisUrl, { name: 'filot-test', onError: ignoreRedisError });
  const runtimes: { runtime: TestRuntime; connections: Redis[] }[] = [];
  // Review workflows when the run has a Temporal server; without one (a file run alone) none start.
  const reviews: Reviews | undefined =
    options.reviews !== false && config.temporal.address ? connectReviews(config, pool) : undefined;
  const reviewWorkers: { stop(): Promise<void> }[] = [];

  const world = {
    database,
    prefix,
    config,
    pool,
    redis,
    reviews,
    /**
     * A review worker over `runtime`'s send(), as the `review` role runs it; stopped with the
     * runtimes. Null when the run has no Temporal server.
     */
    reviewWorker(runtime: TestRuntime, settings: { logger?: Logger; metrics?: Metrics } = {}) {
      if (!reviews) return null;
      const logger = settings.logger ?? testLogger;
      // Reviews go to BULI2 when the world names one (a simulator the test started).
      const buli2 = config.buli2.url
        ? connectBuli2(config, {
            queries: createDocumentQueries(pool, runtime.adapters.cipher),
            records: reviews.records,
            logger,
            ...(settings.metrics ? { metrics: settings.metrics } : {}),
          })
        : undefined;
      const worker = startReviewWorker(config, {
        documents: runtime.documents,
        records: reviews.records,
        logger,
        ...(buli2 ? { buli2 } : {}),
      });
      reviewWorkers.push(worker);
      return worker;
    },
    /** A runtime as one engine process would run it; started unless `start: false`. */
    async runtime(
      ocr?: { engine: OcrEngine; evaluator: Evaluator },
      settings: {
        workerId?: string;
        start?: boolean;
        overrides?: Record<string, string>;
        /** Told of every committed step (the inspector's observer, a recording one). */
        observers?: readonly TransitionObserver[];
        /** The runtime's metrics (adapters/metrics/registry.ts runtimeMetrics), as main.ts passes them. */
        metrics?: RuntimeMetrics;
      } = {},
    ) {
      const runtimeConfig =
        settings.overrides || settings.workerId
          ? testConfig(database, prefix, {
              REDIS_URL: config.redisUrl,
              ...options.overrides,
              ...settings.overrides,
              WORKER_ID: settings.workerId ?? `worker-${runtimes.length + 1}`,
            })
          : { ...config, worker: { ...config.worker, id: `worker-${runtimes.length + 1}` } };
      const blockingRedis = createRedis(config.redisUrl, {
        name: 'filot-test-blocking',
        use: 'blocking',
        onError: ignoreRedisError,
      });
      const runtime = composeRuntime({
        config: runtimeConfig,
        connections: { pool, redis, blockingRedis },
        logger: testLogger,
        ...(ocr ? { ocr } : {}),
        ...(reviews ? { reviews: reviews.workflows } : {}),
        ...(settings.observers ? { observers: settings.observers } : {}),
        ...(settings.metrics ? { metrics: settings.metrics } : {}),
      });
      runtimes.push({ runtime, connections: [blockingRedis] });
      if (settings.start !== false) await runtime.start();
      return runtime;
    },
    /** Stops every runtime started so far (between tests that must not share workers). */
    async stopRuntimes() {
      for (const worker of reviewWorkers.splice(0)) await worker.stop();
      for (const { runtime, connections } of runtimes.splice(0)) {
        await runtime.stop();
        for (const connection of connections) connection.disconnect();
      }
    },
    async close() {
      await world.stopRuntimes();
      await reviews?.close();
      await deleteKeys(redis, prefix);
      redis.disconnect();
      await pool.end();
      await database.drop();
    },
  };
  return world;
}

export type World = Awaited<ReturnType<typeof createWorld>>;
export type TestRuntime = ReturnType<typeof composeRuntime>;

export function newDocument(overrides: Partial<NewDocument> = {}, type: DocumentType = 'KTP'): NewDocument {
  const id = overrides.id ?? randomUUID();
  return {
    id,
    ownerId: 'user-1',
    type,
    storageKey: `documents/${id}`,
    sha256: createHash('sha256').update(id).digest(),
    mime: 'image/jpeg',
    sizeBytes: 1234,
    correlationId: `test-${id.slice(0, 8)}`,
    ...overrides,
  };
}

export const USER = { type: 'user', id: 'user-1' } as const;
export const REVIEWER = { type: 'reviewer', id: 'reviewer-1' } as const;
export const SYSTEM = { type: 'system', id: 'test' } as const;

/** Polls until `check` returns a truthy value or the time runs out. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  label = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

type Sender = Pick<TestRuntime['documents'], 'send'>;

/** A first OCR attempt by hand, as a worker would make it: PROCESSING_STARTED, then OCR_COMPLETED. */
export async function completeOcr(documents: Sender, id: string, workerId = 'w') {
  const leaseToken = randomUUID();
  await documents.send(id, { type: 'PROCESSING_STARTED', workerId, attempt: 1, leaseToken, device: 'cpu' }, SYSTEM);
  await documents.send(
    id,
    { type: 'OCR_COMPLETED', leaseToken, result: SYNTHETIC_OCR, gpuProcessed: false, durationMs: 3 },
    SYSTEM,
  );
}

/** An evaluation that sends a document to a human: a middling score and a reason of severity review. */
export const REVIEW_EVALUATION: Evaluation = {
  ...CLEAN_EVALUATION,
  score: 0.6,
  reasons: [{ code: 'NAME_UNREADABLE', severity: 'review', message: 'The name could not be read.' }],
};

/** A new document uploaded, read and evaluated into `needs_review`, as the engine leaves one for a human. */
export async function documentInReview(
  documents: Pick<TestRuntime['documents'], 'create' | 'send'>,
  document: NewDocument = newDocument(),
): Promise<string> {
  await documents.create(document, USER);
  await completeOcr(documents, document.id);
  await evaluateAndDecide(documents, document.id, REVIEW_EVALUATION);
  return document.id;
}

/** AI_EVALUATED with `evaluation`, then DECIDE. */
export async function evaluateAndDecide(documents: Sender, id: string, evaluation: Evaluation = CLEAN_EVALUATION) {
  await documents.send(id, { type: 'AI_EVALUATED', ...evaluation }, SYSTEM);
  return documents.send(id, { type: 'DECIDE' }, SYSTEM);
}
