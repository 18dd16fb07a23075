import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import type { DocumentEvent } from '../../../machines/document.events.ts';
import { IllegalTransitionError } from '../../../runtime/errors.ts';
import type { Runtime } from '../../../runtime/index.ts';
import {
  completeOcr,
  createWorld,
  evaluateAndDecide,
  newDocument,
  REVIEWER,
  SYSTEM,
  USER,
  type World,
  waitFor,
} from '../../support/harness.ts';
import { CLEAN_EVALUATION, createScriptedEngine, createScriptedEvaluator } from '../../support/scriptedEngine.ts';

/** Every document's event log is 1..n without holes or repeats. */
async function assertGaplessLogs(world: World) {
  const broken = await world.pool.any(sql.type(z.object({ id: z.string() }))`
    SELECT document_id AS id FROM document_events GROUP BY document_id
    HAVING max(seq) <> count(*) OR count(DISTINCT seq) <> count(*) OR min(seq) <> 1`);
  assert.deepEqual(broken, [], 'event logs with gaps');
  const drift = await world.pool.any(sql.type(z.object({ id: z.string() }))`
    SELECT d.id FROM documents d
    WHERE d.version <> (SELECT max(seq) FROM document_events e WHERE e.document_id = d.id)`);
  assert.deepEqual(drift, [], 'documents whose version is not their last event');
}

/** Drives one document to needs_review by hand, as a worker would. */
async function driveToReview(runtime: Runtime, id: string) {
  await completeOcr(runtime.documents, id);
  await evaluateAndDecide(runtime.documents, id, {
    ...CLEAN_EVALUATION,
    score: 0.6,
    reasons: [{ code: 'NAME_UNREADABLE', severity: 'review', message: 'The name could not be read.' }],
  });
}

describe('concurrency', () => {
  let world: World;
  before(async () => {
    world = await createWorld();
  });
  afterEach(async () => {
    await world.stopRuntimes();
  });
  after(async () => {
    await world.close();
  });

  it('should apply exactly one of 50 concurrent conflicting review decisions from several processes', async () => {
    // Five runtimes stand for five API processes: each has its own cache and in-process queue, so
    // they can only be kept apart by the database's version check.
    const runtimes = await Promise.all(Array.from({ length: 5 }, () => world.runtime(undefined, { start: false })));
    const document = newDocument();
    await runtimes[0]?.documents.create(document, USER);
    await driveToReview(runtimes[0] as Runtime, document.id);
    // Warm every runtime's cache with the needs_review snapshot, so most of them decide from a stale copy.
    for (const runtime of runtimes) {
      await assert.rejects(runtime.documents.send(document.id, { type: 'DECIDE' }, SYSTEM), IllegalTransitionError);
    }

    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, index) =>
        (runtimes[index % 5] as Runtime).documents.send(
          document.id,
          {
            type: 'REVIEW_DECIDED',
            decision: index % 2 === 0 ? 'approve' : 'reject',
            reviewerId: `reviewer-${index}`,
            source: 'internal',
            reason: `decision ${index}`,
          },
          REVIEWER,
        ),
      ),
    );
    const applied = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result) => result.status === 'rejected');
    assert.equal(applied.length, 1);
    assert.equal(refused.length, 49);
    for (const result of refused) {
      assert.ok(result.reason instanceof IllegalTransitionError, String(result.reason));
      assert.ok(['approved', 'rejected'].includes(result.reason.status));
    }
    const history = await runtimes[0]?.store.history(document.id);
    assert.equal(history?.filter((entry) => entry.eventType === 'REVIEW_DECIDED').length, 1);
    await assertGaplessLogs(world);
  });

  it('should let exactly one of 50 concurrent PROCESSING_STARTED claims own the document', async () => {
    const runtimes = await Promise.all(Array.from({ length: 5 }, () => world.runtime(undefined, { start: false })));
    const document = newDocument();
    await runtimes[0]?.documents.create(document, USER);
    const claims: DocumentEvent[] = Array.from({ length: 50 }, (_, index) => ({
      type: 'PROCESSING_STARTED',
      workerId: `worker-${index}`,
      attempt: 1,
      leaseToken: randomUUID(),
      device: 'cpu',
    }));
    const results = await Promise.allSettled(
      claims.map((claim, index) => (runtimes[index % 5] as Runtime).documents.send(document.id, claim, SYSTEM)),
    );
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    assert.ok(
      results.every((result) => result.status === 'fulfilled' || result.reason instanceof IllegalTransitionError),
    );
    const winner = claims[results.findIndex((result) => result.status === 'fulfilled')] as { leaseToken: string };
    const lease = await world.pool.oneFirst(sql.type(z.object({ lease: z.string() }))`
      SELECT lease_token AS lease FROM documents WHERE id = ${document.id}`);
    assert.equal(lease, winner.leaseToken);
    await assertGaplessLogs(world);
  });

  it('should drive 200 documents concurrently to a final state with exactly one decision each', async () => {
    // Three workers sharing one scripted engine; one in five documents fails its first attempt, so
    // retries interleave with first attempts (possibly on another worker).
    const engine = createScriptedEngine((input, call) =>
      call === 1 && input.documentId.charCodeAt(0) % 5 === 0
        ? { kind: 'fail', code: 'ocr_error', delayMs: 5 }
        : { kind: 'ok', delayMs: Math.floor(Math.random() * 20) },
    );
    const workers: Runtime[] = [];
    for (const id of ['a', 'b', 'c']) {
      workers.push(
        await world.runtime(
          { engine, evaluator: createScriptedEvaluator() },
          { workerId: `worker-${id}`, overrides: { WORKER_CONCURRENCY: '8', OCR_MAX_ATTEMPTS: '3' } },
        ),
      );
    }
    const documents = Array.from({ length: 200 }, () => newDocument());
    await Promise.all(documents.map((document, index) => workers[index % 3]?.documents.create(document, USER)));
    const ids = sql.array(
      documents.map((document) => document.id),
      'uuid',
    );
    await waitFor(
      async () =>
        (await world.pool.oneFirst(sql.type(z.object({ count: z.number() }))`
          SELECT count(*)::int AS count FROM documents WHERE id = ANY(${ids}) AND status = 'auto_approve'`)) === 200,
      60_000,
      '200 decisions',
    );
    const decisions = await world.pool.any(sql.type(z.object({ id: z.string(), count: z.number() }))`
      SELECT document_id AS id, count(*)::int AS count FROM document_events
      WHERE document_id = ANY(${ids}) AND event_type = 'DECIDE' GROUP BY document_id`);
    assert.equal(decisions.length, 200);
    assert.ok(decisions.every((row) => row.count === 1));
    const retried = await world.pool.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(DISTINCT document_id)::int AS count FROM document_events
      WHERE document_id = ANY(${ids}) AND event_type = 'OCR_FAILED'`);
    assert.ok(retried > 0, 'some documents went through a retry');
    await assertGaplessLogs(world);
  });
});
