import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { sql } from 'slonik';
import { z } from 'zod';
import { createRedis } from '../../../adapters/redis/client.ts';
import { composeRuntime } from '../../../composition/runtime.ts';
import { createRateLimit } from '../../../server/http/rateLimits.ts';
import { startApi } from '../../support/api.ts';
import { createTestPool } from '../../support/database.ts';
import {
  createWorld,
  ignoreRedisError,
  newDocument,
  testConfig,
  testLogger,
  USER,
  type World,
  waitFor,
} from '../../support/harness.ts';
import { TEST_REDIS_URL } from '../../support/redis.ts';
import { createScriptedEngine, createScriptedEvaluator } from '../../support/scriptedEngine.ts';
import { createTcpProxy } from '../../support/tcpProxy.ts';

/**
 * A dependency goes away and comes back, in front of a runtime and the API that reach it through
 * a TCP proxy (the shared Postgres and Redis are never touched). What must hold: nothing hangs,
 * nothing is pulled only to fail, and the backlog resumes by itself within seconds.
 */

/** A pool that reaches the world's database through a proxy the test can cut. */
async function proxiedDatabase(world: World, poolSize: number) {
  const target = new URL(world.database.url);
  const proxy = await createTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  target.port = String(proxy.port);
  return { proxy, pool: await createTestPool({ ...world.database, url: target.toString() }, poolSize) };
}

const statuses = (world: World, ids: string[]) =>
  world.pool.anyFirst(sql.type(z.object({ status: z.string() }))`
    SELECT status FROM documents WHERE id = ANY(${sql.array(ids, 'uuid')})`);

describe('dependency outages', () => {
  let world: World;
  before(async () => {
    world = await createWorld();
  });
  after(async () => {
    await world.close();
  });

  it('should stop pulling while Postgres is unreachable and resume the backlog within seconds of its return', async () => {
    const { proxy, pool } = await proxiedDatabase(world, 6);
    // The stale claim and the reaper are far away, so only the worker's own retry can recover in time.
    const config = testConfig(world.database, world.prefix, {
      STREAM_CLAIM_IDLE_MS: '120000',
      OCR_LEASE_MS: '60000',
      SWEEPER_STALE_MS: '120000',
      WORKER_CONCURRENCY: '2',
    });
    const blockingRedis = createRedis(TEST_REDIS_URL, {
      name: 'filot-test-blocking',
      use: 'blocking',
      onError: ignoreRedisError,
    });
    const engine = createScriptedEngine(() => ({ kind: 'ok', delayMs: 30 }));
    const runtime = composeRuntime({
      config,
      connections: { pool, redis: world.redis, blockingRedis },
      logger: testLogger,
      ocr: { engine, evaluator: createScriptedEvaluator() },
    });
    const creator = await world.runtime(undefined, { start: false });
    try {
      await runtime.start();
      const ids: string[] = [];
      for (let index = 0; index < 30; index++) {
        const document = newDocument();
        ids.push(document.id);
        await creator.documents.create(document, USER);
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
      proxy.cut();
      await waitFor(async () => runtime.workerState === 'backing_off', 5000, 'the workers to back off');
      const callsDuringOutage = [...engine.calls.values()].reduce((sum, calls) => sum + calls, 0);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const callsAfterOutage = [...engine.calls.values()].reduce((sum, calls) => sum + calls, 0);
      assert.ok(
        callsAfterOutage - callsDuringOutage <= 2,
        'at most the jobs already running went on; nothing new was pulled',
      );
      assert.equal(runtime.workerState, 'backing_off');
      proxy.restore();
      const restoredAt = performance.now();
      await waitFor(
        async () => (await statuses(world, ids)).every((status) => status === 'auto_approve'),
        20_000,
        'every document decided',
      );
      const resumedIn = performance.now() - restoredAt;
      // Before, the failed jobs waited for the stale claim: STREAM_CLAIM_IDLE_MS, 60 s by default.
      assert.ok(resumedIn < 15_000, `backlog finished ${Math.round(resumedIn)} ms after Postgres came back`);
      assert.equal(runtime.workerState, 'running');
    } finally {
      proxy.restore();
      await runtime.stop();
      blockingRedis.disconnect();
      await pool.end();
      await proxy.close();
    }
  });

  it('should answer 503 with Retry-After while Postgres is unreachable, and serve again once it is back', async () => {
    const { proxy, pool } = await proxiedDatabase(world, 2);
    const runtime = composeRuntime({
      config: world.config,
      connections: { pool, redis: world.redis },
      logger: testLogger,
    });
    const api = await startApi(world, runtime, { pool });
    const document = newDocument({ ownerId: 'owner-p' });
    await runtime.documents.create(document, USER);
    const read = () =>
      fetch(`${api.url}/documents/${document.id}`, { headers: { authorization: `Bearer ${api.tokenFor('owner-p')}` } });
    try {
      assert.equal((await read()).status, 200);
      proxy.cut();
      for (let index = 0; index < 3; index++) {
        const started = performance.now();
        const response = await read();
        assert.equal(response.status, 503);
        assert.equal(response.headers.get('retry-after'), '5');
        assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json');
        // A bound, not a target: the pool's connection timeout is 5 s; a refused connection fails at once.
        assert.ok(performance.now() - started < 6000);
      }
      proxy.restore();
      await waitFor(async () => (await read()).status === 200, 10_000, 'the API to read again');
    } finally {
      proxy.restore();
      await api.close();
      await pool.end();
      await proxy.close();
    }
  });

  it('should answer uploads at once while Redis is unreachable and deliver their jobs once it is back', async () => {
    const target = new URL(TEST_REDIS_URL);
    const proxy = await createTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    target.port = String(proxy.port);
    const redis = createRedis(target.toString(), { name: 'filot-test-proxied', onError: ignoreRedisError });
    const limits = createRedis(target.toString(), {
      name: 'filot-test-limits',
      use: 'requests',
      onError: ignoreRedisError,
    });
    await redis.ping();
    const runtime = composeRuntime({
      config: world.config,
      connections: { pool: world.pool, redis },
      logger: testLogger,
    });
    const api = await startApi(world, runtime, {
      overrides: {
        uploadLimit: createRateLimit({
          redis: limits,
          prefix: world.prefix,
          name: 'up',
          points: 100,
          windowSeconds: 60,
        }),
        verificationLimit: createRateLimit({
          redis: limits,
          prefix: world.prefix,
          name: 'ver',
          points: 100,
          windowSeconds: 60,
        }),
      },
    });
    await runtime.start();
    const jobs = () => world.redis.xlen(`${world.prefix}ocr:jobs`);
    const jpeg = await sharp({ create: { width: 64, height: 40, channels: 3, background: '#9cc9e8' } })
      .jpeg()
      .toBuffer();
    try {
      for (const cut of [() => proxy.cut(), () => proxy.freeze()]) {
        cut();
        const before = await jobs();
        const form = new FormData();
        form.append('type', 'KTP');
        form.append('file', new Blob([jpeg]), 'card.jpg');
        const started = performance.now();
        const response = await fetch(`${api.url}/documents/upload`, {
          method: 'POST',
          headers: { authorization: `Bearer ${api.tokenFor('owner-o')}` },
          body: form,
        });
        const uploadMs = performance.now() - started;
        assert.equal(response.status, 202);
        // A bound on a wait, not a performance target: the rate limit and the enqueue each wait at most 200 ms.
        assert.ok(uploadMs < 1500, `answered in ${Math.round(uploadMs)} ms`);
        const { id } = (await response.json()) as { id: string };
        const verdict = await fetch(`${api.url}/verification/${id}`, {
          headers: { authorization: `Bearer ${api.tokenFor('owner-o')}` },
        });
        assert.equal(verdict.status, 200);
        assert.equal(await jobs(), before, 'the job is not on the stream yet');
        proxy.restore();
        // The relay delivers the committed outbox row once Redis answers again.
        await waitFor(async () => (await jobs()) > before, 20_000, 'the job to be delivered');
      }
    } finally {
      proxy.restore();
      await api.close();
      await runtime.stop();
      redis.disconnect();
      limits.disconnect();
      await proxy.close();
    }
  });
});
