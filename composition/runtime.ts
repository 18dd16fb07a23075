import type { Redis } from 'ioredis';
import type { DatabasePool } from 'slonik';
import { createDocumentStore } from '../adapters/postgres/documentStore.ts';
import { createOutbox } from '../adapters/postgres/outbox.ts';
import { createPiiCipher } from '../adapters/postgres/piiCipher.ts';
import { createDatabasePool } from '../adapters/postgres/pool.ts';
import { createRedis, type RedisUse } from '../adapters/redis/client.ts';
import { createCoordination } from '../adapters/redis/coordination.ts';
import { createDocumentLocks } from '../adapters/redis/documentLocks.ts';
import { createOcrStream } from '../adapters/redis/ocrStream.ts';
import type { Config } from '../config/index.ts';
import { createRuntime, type Runtime } from '../runtime/index.ts';
import type {
  DocumentStore,
  Evaluator,
  Logger,
  OcrEngine,
  ReviewWorkflows,
  RuntimeMetrics,
  TransitionObserver,
} from '../runtime/ports.ts';

/**
 * The one place the runtime's adapters are built and handed to it. `npm start`, the benchmarks and
 * the tests all compose a runtime here, so what they run is wired the same way.
 */

export type RuntimeConnections = {
  pool: DatabasePool;
  /** Short commands: the queue's writes and acks, locks, coordination keys. */
  redis: Redis;
  /** XREADGROUP BLOCK holds a connection; only a process with OCR workers needs this one. */
  blockingRedis?: Redis;
};

/** The evaluator may need the document store (it looks up duplicate NIKs there), which is built here. */
export type OcrSetup = { engine: OcrEngine; evaluator: Evaluator | ((store: DocumentStore) => Evaluator) };

/**
 * How long a new outbox row waits before the relay may take it: the writing process delivers it
 * right after the commit, and the relay only picks up what that delivery missed.
 */
export const outboxGraceMs = (config: Pick<Config, 'intervals'>) => Math.max(1000, config.intervals.outboxPollMs * 2);

export function createRuntimeAdapters(config: Config, connections: RuntimeConnections, logger: Logger) {
  const { pool, redis } = connections;
  const cipher = createPiiCipher(config.pii);
  return {
    cipher,
    store: createDocumentStore(pool, cipher, { outboxGraceMs: outboxGraceMs(config) }),
    outbox: createOutbox(pool),
    queue: createOcrStream(redis, config.redisKeyPrefix, connections.blockingRedis),
    locks: createDocumentLocks(redis, config.redisKeyPrefix, (error) =>
      logger.warn('lock.error', { errorClass: error.name, error: error.message }),
    ),
    coordination: createCoordination(redis, config.redisKeyPrefix),
  };
}

export type RuntimeAdapters = ReturnType<typeof createRuntimeAdapters>;

/** A runtime with the adapters it was built from, for the API and the tests to share. */
export type ComposedRuntime = Runtime & { adapters: RuntimeAdapters };

/** A runtime over connections the caller owns (and closes after `stop()`). */
export function composeRuntime(deps: {
  config: Config;
  connections: RuntimeConnections;
  logger: Logger;
  ocr?: OcrSetup;
  /** The review workflows' start (composition/reviews.ts); without it this process starts none. */
  reviews?: ReviewWorkflows;
  metrics?: RuntimeMetrics;
  observers?: readonly TransitionObserver[];
}): ComposedRuntime {
  const adapters = createRuntimeAdapters(deps.config, deps.connections, deps.logger);
  const { cipher: _cipher, ...ports } = adapters;
  const runtime = createRuntime({
    config: deps.config,
    ...ports,
    logger: deps.logger,
    ...(deps.ocr
      ? {
          ocr: {
            engine: deps.ocr.engine,
            evaluator:
              typeof deps.ocr.evaluator === 'function' ? deps.ocr.evaluator(adapters.store) : deps.ocr.evaluator,
          },
        }
      : {}),
    ...(deps.reviews ? { reviews: deps.reviews } : {}),
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(deps.observers ? { observers: deps.observers } : {}),
  });
  return Object.assign(runtime, { adapters });
}

/** Connections named after the process, each reporting its errors to the log with what it is for. */
export function openRedis(config: Pick<Config, 'redisUrl'>, logger: Logger, name: string, use: RedisUse = 'commands') {
  return createRedis(config.redisUrl, {
    name,
    use,
    onError: (error) => logger.warn('redis.error', { connection: use, errorClass: error.name, error: error.message }),
  });
}

/**
 * An engine process's runtime with connections of its own: the pool, the command connection and,
 * with OCR workers, the blocking one. `close()` ends them after `runtime.stop()`.
 */
export async function openEngine(
  config: Config,
  options: {
    logger: Logger;
    name: string;
    poolSize?: number;
    ocr?: OcrSetup;
    /** Built over the engine's pool, once it exists. */
    reviews?: (pool: DatabasePool) => ReviewWorkflows;
    metrics?: RuntimeMetrics;
    observers?: readonly TransitionObserver[];
  },
) {
  const pool = await createDatabasePool({
    databaseUrl: config.databaseUrl,
    poolSize: options.poolSize ?? config.databasePoolSize,
  });
  const redis = openRedis(config, options.logger, options.name);
  const blockingRedis = options.ocr
    ? openRedis(config, options.logger, `${options.name}-queue`, 'blocking')
    : undefined;
  const runtime = composeRuntime({
    config,
    connections: { pool, redis, ...(blockingRedis ? { blockingRedis } : {}) },
    logger: options.logger,
    ...(options.ocr ? { ocr: options.ocr } : {}),
    ...(options.reviews ? { reviews: options.reviews(pool) } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.observers ? { observers: options.observers } : {}),
  });
  return {
    runtime,
    pool,
    redis,
    /** One cipher per process: the API's read models decrypt with the runtime's. */
    cipher: runtime.adapters.cipher,
    async close() {
      blockingRedis?.disconnect();
      redis.disconnect();
      await pool.end();
    },
  };
}

export type Engine = Awaited<ReturnType<typeof openEngine>>;
