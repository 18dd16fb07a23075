import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createMetrics, runtimeMetrics } from '../../../adapters/metrics/registry.ts';
import { createThreadedOcrEngine, type ThreadedOcrEngine } from '../../../adapters/ocr/engine/threadedEngine.ts';
import { createRedis } from '../../../adapters/redis/client.ts';
import { loadRegions } from '../../../adapters/regions/loadRegions.ts';
import { createFsStorage } from '../../../adapters/storage/fsStorage.ts';
import { composeRuntime } from '../../../composition/runtime.ts';
import { todayIn } from '../../../domain/dates.ts';
import { createPolicyEvaluator } from '../../../runtime/evaluator.ts';
import { generateCard } from '../../../synthetic/generate.ts';
import { createWorld, testLogger, USER, type World, waitFor } from '../../support/harness.ts';

describe('the runtime with the real OCR engine and policy', () => {
  let world: World;
  let directory: string;
  let engine: ThreadedOcrEngine;
  const fallbacks: string[] = [];
  before(async () => {
    world = await createWorld({ overrides: { OCR_LEASE_MS: '30000', OCR_TIMEOUT_MS: '60000' } });
    directory = await mkdtemp(join(tmpdir(), 'filot-storage-'));
  });
  after(async () => {
    await engine?.close();
    await world.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('should take a synthetic KTP from uploaded to auto_approve, and the same NIK of another owner to review', async () => {
    const storage = createFsStorage(directory);
    // The engine as `npm start` runs it: in a worker thread.
    engine = await createThreadedOcrEngine({
      device: 'auto',
      threads: 2,
      engineThreads: 1,
      recognitionLanes: 2,
      maxPixels: world.config.ocr.maxPixels,
      readImage: (key) => storage.get(key),
      logger: testLogger,
      onFallback: (reason) => fallbacks.push(reason),
    });
    // There is no GPU here: `auto` must have fallen back to the CPU, once, and said so.
    assert.equal(engine.device, 'cpu');
    assert.equal(fallbacks.length, 1);

    const regions = await loadRegions();
    const metrics = createMetrics();
    const blockingRedis = createRedis(world.config.redisUrl, {
      name: 'filot-test-ocr',
      use: 'blocking',
      onError: () => {},
    });
    const runtime = composeRuntime({
      config: world.config,
      connections: { pool: world.pool, redis: world.redis, blockingRedis },
      logger: testLogger,
      metrics: runtimeMetrics(metrics),
      ocr: { engine, evaluator: (store) => createPolicyEvaluator({ regions, store }) },
    });
    await runtime.start();
    try {
      const card = await generateCard(7, { type: 'KTP', today: todayIn(new Date()), difficulty: 'mild' });
      const upload = async (ownerId: string) => {
        const id = randomUUID();
        await storage.put(`documents/${id}`, card.image);
        await runtime.documents.create(
          {
            id,
            ownerId,
            type: 'KTP',
            storageKey: `documents/${id}`,
            sha256: createHash('sha256').update(card.image).digest(),
            mime: card.mime,
            sizeBytes: card.image.length,
            correlationId: `test-${id.slice(0, 8)}`,
          },
          { ...USER, id: ownerId },
        );
        return id;
      };
      const statusOf = (id: string) =>
        world.pool.oneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM documents WHERE id = ${id}`);

      const first = await upload('owner-a');
      await waitFor(
        async () => ['auto_approve', 'auto_reject', 'needs_review'].includes(await statusOf(first)),
        60_000,
        'decision',
      );
      const row = await world.pool.one(
        sql.type(
          z.object({
            status: z.string(),
            gpu: z.boolean(),
            evaluation: z.object({ reasons: z.array(z.object({ code: z.string() })) }),
          }),
        )`SELECT status, gpu_processed AS gpu, evaluation FROM documents WHERE id = ${first}`,
      );
      assert.equal(row.status, 'auto_approve', JSON.stringify(row.evaluation.reasons));
      assert.equal(row.gpu, false);
      assert.match(await metrics.registry.metrics(), /filot_gpu_processing_time_ms_count\{device="cpu"\} 1/);

      // The same identity uploaded by someone else is a duplicate: a human looks at it.
      const second = await upload('owner-b');
      await waitFor(
        async () => ['auto_approve', 'auto_reject', 'needs_review'].includes(await statusOf(second)),
        60_000,
        'decision',
      );
      assert.equal(await statusOf(second), 'needs_review');
      const reasons = await world.pool.oneFirst(sql.type(z.object({ codes: z.array(z.string()) }))`
        SELECT array(SELECT r->>'code' FROM jsonb_array_elements(evaluation->'reasons') r) AS codes
        FROM documents WHERE id = ${second}`);
      assert.ok(reasons.includes('DUPLICATE_IDENTITY'), reasons.join(','));
    } finally {
      await runtime.stop();
      blockingRedis.disconnect();
    }
  });
});
