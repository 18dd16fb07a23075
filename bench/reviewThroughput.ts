import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { sql } from 'slonik';
import { z } from 'zod';
import { createFsStorage } from '../adapters/storage/fsStorage.ts';
import { createApiAdapters } from '../composition/api.ts';
import { connectReviews, installTemporalRuntime, reviewDecisions, startReviewWorker } from '../composition/reviews.ts';
import { openEngine } from '../composition/runtime.ts';
import { startTemporalDevServer } from '../composition/temporalDevServer.ts';
import { MAX_UPLOAD_BYTES } from '../domain/uploadLimits.ts';
import { createApp } from '../server/app.ts';
import { createAuth } from '../server/http/auth.ts';
import { createHttpServer, HTTP_TIMEOUTS } from '../server/http/httpServer.ts';
import { testTokens } from '../test/support/api.ts';
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
 * each decision is a reviewer's POST /internal/reviews/:id/decision over HTTP to the API as main.ts
 * serves it: the route sends the Update, the workflow validates it, its activity sends
 * REVIEW_DECIDED through the runtime's send(), and the route answers 200 once the document is
 * decided. One process runs the API, the engine, the review worker and the callers, as `npm start`
 * runs the first three; the dev server is another.
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
  const storageDirectory = await mkdtemp(join(tmpdir(), 'filot-bench-review-'));
  const tokens = testTokens();
  const app = createApp({
    readiness: [],
    metrics: new Registry(),
    logger: benchLogger,
    development: false,
    api: {
      auth: createAuth(tokens.jwtSettings),
      ...createApiAdapters(engine.pool, engine.runtime.adapters.cipher),
      store: engine.runtime.store,
      documents: engine.runtime.documents,
      storage: createFsStorage(storageDirectory),
      maxUploadBytes: MAX_UPLOAD_BYTES,
      maxPixels: 50_000_000,
      reviews: reviewDecisions(connected),
    },
  });
  const server = createHttpServer(app, HTTP_TIMEOUTS);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const authorization = `Bearer ${tokens.tokenFor('bench-reviewer', 'reviewer')}`;
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
    const latencies: number[] = [];
    const cpu = cpuMeter();
    const started = performance.now();
    let next = 0;
    await forEachConcurrent(ids.length, options.concurrency, async () => {
      const id = ids[next++] as string;
      const begun = performance.now();
      const response = await fetch(`${url}/internal/reviews/${id}/decision`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json', 'x-request-id': crypto.randomUUID() },
        body: JSON.stringify({ decision: 'approve', reason: 'Bench: checked.' }),
      });
      const answer = await response.text();
      if (response.status !== 200) throw new Error(`decision answered ${response.status} for ${id}: ${answer}`);
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
    server.closeAllConnections();
    server.close();
    await rm(storageDirectory, { recursive: true, force: true });
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
