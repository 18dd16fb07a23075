import pg from 'pg';
import { openEngine } from '../composition/runtime.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { newDocument, testConfig } from '../test/support/harness.ts';
import { deleteKeys, uniquePrefix } from '../test/support/redis.ts';
import { createScriptedEngine, createScriptedEvaluator } from '../test/support/scriptedEngine.ts';
import {
  benchDatabases,
  benchLogger,
  type CpuUse,
  cpuMeter,
  forEachConcurrent,
  PRODUCTION_INTERVALS,
  phase,
  sleep,
} from './support.ts';

/**
 * The whole runtime path with an OCR engine that costs nothing: documents per second from the
 * upload's insert (`documents.create`, which also enqueues the OCR job) until the document has a
 * decision. One process, as `npm start` runs it: the uploads and the OCR workers share the event
 * loop and the database pool; the outbox relay, reaper and sweeper run on their production
 * intervals.
 *
 * Per document: create (insert + outbox row, XADD, outbox delivered), then in the worker
 * XREADGROUP, redlock acquire, load, PROCESSING_STARTED, OCR (zero cost), OCR_COMPLETED,
 * evaluation (zero cost), AI_EVALUATED, DECIDE, redlock release, XACK + XDEL.
 *
 * A warm-up batch runs first (not timed), then the clock runs from the first create of the timed
 * batch until one count query sees every document of it decided (polled every `pollMs`).
 */

export type RuntimePathOptions = {
  documents: number;
  warmupDocuments: number;
  workerConcurrency: number;
  poolSize: number;
  /** Concurrent uploaders calling documents.create. */
  uploaders: number;
  pollMs: number;
  timeoutMs: number;
};

export type RuntimePathFigures = {
  documents: number;
  workerConcurrency: number;
  poolSize: number;
  seconds: number;
  docsPerS: number;
  /** CPU used during the timed batch. */
  cpu: CpuUse;
  /** Decisions among the timed documents, by status. */
  outcomes: Record<string, number>;
};

const DECIDED = ['auto_approve', 'auto_reject', 'needs_review', 'approved', 'rejected'];

export async function runtimePath(options: RuntimePathOptions): Promise<RuntimePathFigures> {
  const database = await createTestDatabase();
  benchDatabases.add(database.name);
  const prefix = uniquePrefix();
  const config = testConfig(database, prefix, {
    ...PRODUCTION_INTERVALS,
    DATABASE_POOL_SIZE: String(options.poolSize),
    WORKER_CONCURRENCY: String(options.workerConcurrency),
    WORKER_ID: 'bench-worker',
  });
  const engine = await openEngine(config, {
    logger: benchLogger,
    name: 'filot-bench',
    poolSize: options.poolSize,
    ocr: { engine: createScriptedEngine(), evaluator: createScriptedEvaluator() },
  });
  const { runtime } = engine;
  const watcher = new pg.Client({ connectionString: database.url, application_name: 'filot-bench-watch' });
  await watcher.connect();

  const decidedCount = async (batch: string) => {
    const { rows } = await watcher.query<{ n: number }>({
      name: 'bench_decided',
      text: 'SELECT count(*)::int AS n FROM documents WHERE owner_id = $1 AND status = ANY($2::text[])',
      values: [batch, DECIDED],
    });
    return rows[0]?.n ?? 0;
  };

  // Uploads `count` documents (owner = batch name) and returns when all of them are decided.
  const runBatch = async (batch: string, count: number) => {
    phase(`runtime.${batch}`);
    const started = performance.now();
    const cpu = cpuMeter();
    let uploadError: unknown;
    const uploads = forEachConcurrent(count, options.uploaders, async () => {
      const document = newDocument({ ownerId: batch });
      await runtime.documents.create(document, { type: 'user', id: batch });
    }).catch((error: unknown) => {
      uploadError = error;
    });
    for (;;) {
      if (uploadError) throw uploadError;
      const decided = await decidedCount(batch);
      if (decided >= count) break;
      if (performance.now() - started > options.timeoutMs)
        throw new Error(`only ${decided}/${count} documents decided after ${options.timeoutMs} ms`);
      await sleep(options.pollMs);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuUse = cpu();
    await uploads;
    return { seconds, cpu: cpuUse };
  };

  try {
    await runtime.start();
    if (options.warmupDocuments > 0) await runBatch('bench-warmup', options.warmupDocuments);
    const { seconds, cpu } = await runBatch('bench-timed', options.documents);
    phase('runtime.done');
    const { rows } = await watcher.query<{ status: string; n: number }>(
      "SELECT status, count(*)::int AS n FROM documents WHERE owner_id = 'bench-timed' GROUP BY status ORDER BY status",
    );
    return {
      documents: options.documents,
      workerConcurrency: options.workerConcurrency,
      poolSize: options.poolSize,
      seconds,
      docsPerS: options.documents / seconds,
      cpu,
      outcomes: Object.fromEntries(rows.map((row) => [row.status, row.n])),
    };
  } finally {
    await runtime.stop();
    await watcher.end();
    await deleteKeys(engine.redis, prefix);
    await engine.close();
    await database.drop();
  }
}
