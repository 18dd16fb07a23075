import { sql } from 'slonik';
import { z } from 'zod';
import { connectReviews, installTemporalRuntime, reviewDecisions, startReviewWorker } from '../composition/reviews.ts';
import { openEngine } from '../composition/runtime.ts';
import { startTemporalDevServer } from '../composition/temporalDevServer.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { completeOcr, evaluateAndDecide, newDocument, testConfig } from '../test/support/harness.ts';
import { deleteKeys, uniquePrefix } from '../test/support/redis.ts';
import { CLEAN_EVALUATION } from '../test/support/scriptedEngine.ts';
import {
  benchDatabases,
  benchLogger,
  type CpuUse,
  cpuMeter,
  forEachConcurrent,
  PRODUCTION_INTERVALS,
  percentile,
  phase,
  sleep,
} from './support.ts';

/**
 * Reviewers' decisions through the review workflows, end to end on a local Temporal dev server: the
 * documents are in `needs_review` with their workflows started (the start effect delivered), then
 * each decision is the API's port (`reviewDecisions`, what POST /internal/reviews/:id/decision
 * awaits, without HTTP): the Update is validated by the workflow, its activity sends REVIEW_DECIDED
 * through the runtime's send(), and the call returns once the document is decided. One process runs
 * the engine, the review worker and the callers, as `npm start` does; the dev server is another.
 */
export type ReviewThroughputOptions = { documents: number; concurrency: number; poolSize: number };

export type ReviewThroughputFigures = {
  documents: number;
  concurrency: number;
  decisionsPerS: number;
  p50Ms: number;
  p99Ms: number;
  cpu: CpuUse;
};

const REVIEW_REASON = [
  { code: 'NAME_UNREADABLE', severity: 'review' as const, message: 'The name could not be read.' },
];

export async function reviewThroughput(options: ReviewThroughputOptions): Promise<ReviewThroughputFigures> {
  installTemporalRuntime();
  const temporal = await startTemporalDevServer();
  const database = await createTestDatabase();
  benchDatabases.add(database.name);
  const prefix = uniquePrefix();
  const config = testConfig(database, prefix, {
    ...PRODUCTION_INTERVALS,
    DATABASE_POOL_SIZE: String(options.poolSize),
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: 'bench-review',
    TEMPORAL_CALL_TIMEOUT_MS: '30000',
  });
  let reviews: ReturnType<typeof connectReviews> | undefined;
  const engine = await openEngine(config, {
    logger: benchLogger,
    name: 'filot-bench',
    poolSize: options.poolSize,
    reviews: (pool) => {
      reviews = connectReviews(config, pool);
      return reviews.workflows;
    },
  });
  if (!reviews) throw new Error('the review workflows were not connected');
  const connected = reviews;
  const worker = startReviewWorker(config, {
    documents: engine.runtime.documents,
    records: connected.records,
    logger: benchLogger,
  });
  try {
    await engine.runtime.start();
    await worker.started;
    phase('review.setup');
    const ids: string[] = [];
    await forEachConcurrent(options.documents, options.concurrency, async () => {
      const document = newDocument({ ownerId: 'bench-review' });
      await engine.runtime.documents.create(document, { type: 'user', id: 'bench-review' });
      await completeOcr(engine.runtime.documents, document.id);
      await evaluateAndDecide(engine.runtime.documents, document.id, {
        ...CLEAN_EVALUATION,
        score: 0.6,
        reasons: REVIEW_REASON,
      });
      ids.push(document.id);
    });
    // Every review started (the start effects delivered) before the clock runs.
    for (;;) {
      const started = await engine.pool.oneFirst(
        sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM review_workflows`,
      );
      if (started >= ids.length) break;
      await sleep(50);
    }

    phase('review.timed');
    const decide = reviewDecisions(connected);
    const latencies: number[] = [];
    const cpu = cpuMeter();
    const started = performance.now();
    let next = 0;
    await forEachConcurrent(ids.length, options.concurrency, async () => {
      const id = ids[next++] as string;
      const begun = performance.now();
      const outcome = await decide.decide(
        id,
        { decision: 'approve', reason: 'Bench: checked.', reviewerId: 'bench-reviewer', source: 'internal' },
        crypto.randomUUID(),
      );
      if (outcome.outcome !== 'applied') throw new Error(`decision ${outcome.outcome} for ${id}`);
      latencies.push(performance.now() - begun);
    });
    const seconds = (performance.now() - started) / 1000;
    const cpuUse = cpu();
    phase('review.done');
    return {
      documents: ids.length,
      concurrency: options.concurrency,
      decisionsPerS: ids.length / seconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      cpu: cpuUse,
    };
  } finally {
    await engine.runtime.stop();
    await worker.stop();
    await connected.close();
    await deleteKeys(engine.redis, prefix).catch(() => {});
    await engine.close();
    await database.drop();
    benchDatabases.delete(database.name);
    await temporal.stop();
  }
}
