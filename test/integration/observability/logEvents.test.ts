import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createRedis } from '../../../adapters/redis/client.ts';
import { composeRuntime } from '../../../composition/runtime.ts';
import { startTemporalDevServer, type TemporalDevServer } from '../../../composition/temporalDevServer.ts';
import { createTransitionLog } from '../../../runtime/documents/transitionLog.ts';
import { type Buli2Simulator, createBuli2Simulator } from '../../../simulators/buli2/simulator.ts';
import { startApi } from '../../support/api.ts';
import {
  createWorld,
  ignoreRedisError,
  newDocument,
  REVIEW_EVALUATION,
  type TestRuntime,
  USER,
  type World,
  waitFor,
} from '../../support/harness.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';
import { CLEAN_EVALUATION, createScriptedEngine, createScriptedEvaluator } from '../../support/scriptedEngine.ts';

/**
 * The log events of a document's whole life, as an operator follows it: the seed's five steps
 * (queue pull, processing done, CPU fallback, AI evaluation done, BULI2 forward) once per document,
 * and one `document.transition` per committed step, each with the document's id and its
 * correlation id, and the review's id where there is one; no PII anywhere.
 */

const SECRET = 'log-events-test-webhook-secret-0123456789';
const API_KEY = 'log-events-test-api-key-0123456789abcdef';
const PII = [CLEAN_EVALUATION.fields.nik as string, CLEAN_EVALUATION.fields.nama as string];

describe('log events of a full flow (engine, review workflow, BULI2 simulator)', () => {
  let ownServer: TemporalDevServer | null = null;
  let sim: Buli2Simulator;
  let world: World;
  let runtime: TestRuntime;
  let api: Awaited<ReturnType<typeof startApi>>;
  const blockingRedis = createRedis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', {
    name: 'filot-test-blocking',
    use: 'blocking',
    onError: ignoreRedisError,
  });
  const recorded = recordingLogger();
  const toReview = new Set<string>();

  before(async () => {
    if (!process.env.TEMPORAL_ADDRESS) {
      ownServer = await startTemporalDevServer();
      process.env.TEMPORAL_ADDRESS = ownServer.address;
    }
    sim = await createBuli2Simulator({ apiKey: API_KEY, webhookSecrets: [SECRET] });
    world = await createWorld({
      overrides: { BULI2_URL: sim.url, BULI2_API_KEY: API_KEY, BULI2_WEBHOOK_SECRETS: SECRET },
    });
    // An engine set to CUDA that reads on the CPU: every document falls back.
    const engine = { ...createScriptedEngine(), device: 'cuda' as const };
    runtime = composeRuntime({
      config: world.config,
      connections: { pool: world.pool, redis: world.redis, blockingRedis },
      logger: recorded.logger,
      ocr: {
        engine,
        evaluator: createScriptedEvaluator((id) => (toReview.has(id) ? REVIEW_EVALUATION : CLEAN_EVALUATION)),
      },
      ...(world.reviews ? { reviews: world.reviews.workflows } : {}),
      observers: [createTransitionLog(recorded.logger)],
    });
    await runtime.start();
    api = await startApi(world, runtime, { logger: recorded.logger });
    world.config.imageLinks.publicUrl = api.url;
    sim.setCallbackUrl(`${api.url}/internal/buli2/callback`);
  });
  after(async () => {
    await api?.close();
    await runtime?.stop();
    blockingRedis.disconnect();
    await world?.close();
    await sim?.close();
    if (ownServer) {
      delete process.env.TEMPORAL_ADDRESS;
      await ownServer.stop();
    }
  });

  const statusOf = (id: string) =>
    world.pool.oneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM documents WHERE id = ${id}`);
  const stepsOf = (id: string) =>
    world.pool.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM document_events WHERE document_id = ${id}`);
  const linesOf = (message: string, id: string) =>
    recorded.entries.filter((entry) => entry.message === message && entry.fields?.documentId === id);

  it('should log each seed step once per document, and every transition, with its ids and no PII', async () => {
    const automatic = newDocument();
    const reviewed = newDocument();
    toReview.add(reviewed.id);
    await runtime.documents.create(automatic, USER);
    await runtime.documents.create(reviewed, USER);
    await waitFor(async () => (await statusOf(automatic.id)) === 'auto_approve', 20_000, 'the automatic decision');
    await waitFor(
      async () => sim.reviews().find((review) => review.document_id === reviewed.id),
      20_000,
      'the forward to BULI2',
    );
    const review = sim.reviews().find((candidate) => candidate.document_id === reviewed.id);
    assert.ok(review);
    assert.deepEqual((await sim.decide(review.review_id, { decision: 'approve' })).callbacks, [{ status: 200 }]);
    assert.equal(await statusOf(reviewed.id), 'approved');

    for (const document of [automatic, reviewed]) {
      for (const step of ['queue.pulled', 'processing.cpu_fallback', 'processing.done', 'evaluation.done']) {
        const lines = linesOf(step, document.id);
        assert.equal(lines.length, 1, `${step} for ${document.id === automatic.id ? 'automatic' : 'reviewed'}`);
        assert.equal(lines[0]?.fields?.correlationId, document.correlationId, step);
      }
      // One line per committed step, as many as the event log has rows.
      const transitions = linesOf('document.transition', document.id);
      assert.equal(transitions.length, await stepsOf(document.id));
      assert.equal(transitions[0]?.fields?.event, 'DOCUMENT_UPLOADED');
      assert.ok(
        transitions.every(
          (line) => typeof line.fields?.correlationId === 'string' && typeof line.fields?.event === 'string',
        ),
      );
    }
    assert.equal(linesOf('buli2.forward', automatic.id).length, 0);
    const forwards = linesOf('buli2.forward', reviewed.id);
    assert.equal(forwards.length, 1);
    assert.equal(forwards[0]?.fields?.reviewId, review.review_id);
    assert.equal(typeof forwards[0]?.fields?.correlationId, 'string');
    // The human decision names its review.
    const decided = linesOf('document.transition', reviewed.id).find((line) => line.fields?.event === 'REVIEW_DECIDED');
    assert.equal(decided?.fields?.reviewId, review.review_id);
    assert.equal(decided?.fields?.actor, 'buli2');

    const text = JSON.stringify(recorded.entries);
    for (const value of [...PII, SECRET, API_KEY]) assert.equal(text.includes(value), false, 'a log line holds PII');
    assert.equal(/\b\d{16}\b/.test(text), false, 'a log line holds a 16-digit number');
  });
});
