import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'slonik';
import { z } from 'zod';
import type { Runtime } from '../../../runtime/index.ts';
import { createWorld, newDocument, USER, type World, waitFor } from '../../support/harness.ts';
import { TEST_REDIS_URL } from '../../support/redis.ts';
import { createScriptedEngine, createScriptedEvaluator } from '../../support/scriptedEngine.ts';

const countWhere = (world: World, ids: string[], status: string) =>
  world.pool.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*)::int AS count FROM documents WHERE id = ANY(${sql.array(ids, 'uuid')}) AND status = ${status}`);

const eventCounts = (world: World, ids: string[], eventType: string) =>
  world.pool.any(sql.type(z.object({ id: z.string(), count: z.number() }))`
    SELECT d.id, count(e.id)::int AS count FROM documents d
    LEFT JOIN document_events e ON e.document_id = d.id AND e.event_type = ${eventType}
    WHERE d.id = ANY(${sql.array(ids, 'uuid')}) GROUP BY d.id`);

describe('recovery from lost Redis state and crashed effects', () => {
  let world: World;
  before(async () => {
    // A Redis database of this file's own, because the test flushes it.
    const database = 8 + Math.floor(Math.random() * 8);
    world = await createWorld({
      redisUrl: `${TEST_REDIS_URL}/${database}`,
      overrides: { SWEEPER_INTERVAL_MS: '300', SWEEPER_STALE_MS: '30000', OUTBOX_POLL_MS: '100' },
    });
  });
  afterEach(async () => {
    await world.stopRuntimes();
  });
  after(async () => {
    await world.close();
  });

  it('should bring all 100 in-flight documents to a final state, none twice, after FLUSHDB', async () => {
    const engine = createScriptedEngine(() => ({ kind: 'ok', delayMs: 20 + Math.floor(Math.random() * 150) }));
    const workers: Runtime[] = [];
    for (const id of ['a', 'b']) {
      workers.push(
        await world.runtime(
          { engine, evaluator: createScriptedEvaluator() },
          { workerId: `worker-${id}`, overrides: { WORKER_CONCURRENCY: '6' } },
        ),
      );
    }
    const documents = Array.from({ length: 100 }, () => newDocument());
    const ids = documents.map((document) => document.id);
    await Promise.all(documents.map((document, index) => workers[index % 2]?.documents.create(document, USER)));
    await waitFor(async () => (await countWhere(world, ids, 'auto_approve')) >= 10, 20_000, 'the first decisions');

    const before = await countWhere(world, ids, 'auto_approve');
    assert.ok(before < 100, 'the flush happens while documents are in flight');
    assert.equal(await world.redis.flushdb(), 'OK');

    await waitFor(async () => (await countWhere(world, ids, 'auto_approve')) === 100, 60_000, '100 decisions');
    const decisions = await eventCounts(world, ids, 'DECIDE');
    assert.equal(decisions.length, 100);
    assert.deepEqual(
      decisions.filter((row) => row.count !== 1),
      [],
      'every document decided exactly once',
    );
    const total = await world.pool.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM documents`);
    assert.ok(total >= 100);
  });

  it('should deliver an effect exactly once at the consumer when the writer dies between commit and effect', async () => {
    const document = newDocument();
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('../../support/processes/crashAfterCommit.ts', import.meta.url))],
      {
        env: {
          ...process.env,
          FILOT_TEST_CRASH: JSON.stringify({
            env: {
              NODE_ENV: 'test',
              DATABASE_URL: world.config.databaseUrl,
              REDIS_URL: world.config.redisUrl,
              REDIS_KEY_PREFIX: world.config.redisKeyPrefix,
            },
            document: { ...document, sha256: document.sha256.toString('hex') },
          }),
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    const [, signal] = (await new Promise((resolve) => child.once('exit', (...args) => resolve(args)))) as [
      number | null,
      NodeJS.Signals | null,
    ];
    assert.equal(signal, 'SIGKILL');

    // Committed, with its effect still undelivered in the outbox, and nothing in Redis.
    const pending = await world.pool.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM outbox WHERE document_id = ${document.id} AND delivered_at IS NULL`);
    assert.equal(pending, 1);
    assert.equal(await world.redis.xlen(`${world.prefix}ocr:jobs`), 0);

    const engine = createScriptedEngine();
    const worker = await world.runtime({ engine, evaluator: createScriptedEvaluator() }, { workerId: 'relay-worker' });
    await waitFor(async () => (await countWhere(world, [document.id], 'auto_approve')) === 1, 20_000, 'decision');

    // The relay may deliver twice (it can die after delivering, before marking); simulate that and
    // check the consumer still acts once.
    await world.pool.query(
      sql.unsafe`UPDATE outbox SET delivered_at = NULL, available_at = now() WHERE document_id = ${document.id}`,
    );
    await waitFor(
      async () =>
        (await world.pool.oneFirst(sql.type(z.object({ count: z.number() }))`
          SELECT count(*)::int AS count FROM outbox WHERE document_id = ${document.id} AND delivered_at IS NOT NULL`)) ===
        1,
      10_000,
      'redelivery',
    );
    await waitFor(
      async () => (await world.redis.xlen(`${world.prefix}ocr:jobs`)) === 0,
      10_000,
      'the duplicate consumed',
    );
    const history = await worker.store.history(document.id);
    assert.equal(history.filter((entry) => entry.eventType === 'PROCESSING_STARTED').length, 1);
    assert.equal(history.filter((entry) => entry.eventType === 'DECIDE').length, 1);
    assert.equal(engine.calls.get(document.id), 1, 'OCR ran once');
  });
});
