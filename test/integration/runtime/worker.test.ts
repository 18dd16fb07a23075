import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { DocumentNotFoundError, IllegalTransitionError, InvalidEventError } from '../../../runtime/errors.ts';
import { completeOcr, createWorld, newDocument, SYSTEM, USER, type World, waitFor } from '../../support/harness.ts';
import { CLEAN_EVALUATION, createScriptedEngine, createScriptedEvaluator } from '../../support/scriptedEngine.ts';

const rowOf = (world: World, id: string) =>
  world.pool.one(
    sql.type(
      z.object({
        status: z.string(),
        attempts: z.number(),
        version: z.number(),
        lease: z.string().nullable(),
        evaluation: z.unknown(),
      }),
    )`SELECT status, attempts, version, lease_token AS lease, evaluation FROM documents WHERE id = ${id}`,
  );

describe('OCR workers, reaper and sweeper', () => {
  let world: World;
  before(async () => {
    world = await createWorld({
      overrides: { OCR_LEASE_MS: '800', SWEEPER_STALE_MS: '300', SWEEPER_INTERVAL_MS: '200' },
    });
  });
  afterEach(async () => {
    await world.stopRuntimes();
  });
  after(async () => {
    await world.close();
  });

  it('should retry a failed OCR and send the document to review once attempts are exhausted', async () => {
    const engine = createScriptedEngine(() => ({ kind: 'fail', code: 'model_error' }));
    await world.runtime({ engine, evaluator: createScriptedEvaluator() }, { overrides: { OCR_MAX_ATTEMPTS: '3' } });
    const document = newDocument();
    const creator = await world.runtime(undefined, { start: false });
    await creator.documents.create(document, USER);
    await waitFor(async () => (await rowOf(world, document.id)).status === 'needs_review', 15_000, 'needs_review');
    const row = await rowOf(world, document.id);
    assert.equal(row.attempts, 3);
    assert.equal(engine.calls.get(document.id), 3);
    const history = await creator.store.history(document.id);
    assert.deepEqual(
      history.filter((entry) => entry.eventType === 'OCR_FAILED').map((entry) => [entry.toStatus, entry.payload.error]),
      [
        ['uploaded', { code: 'model_error' }],
        ['uploaded', { code: 'model_error' }],
        ['needs_review', { code: 'model_error' }],
      ],
    );
  });

  it('should fail an attempt whose engine hangs past the OCR timeout', async () => {
    const engine = createScriptedEngine((_input, call) => (call === 1 ? { kind: 'hang' } : { kind: 'ok' }));
    await world.runtime(
      { engine, evaluator: createScriptedEvaluator() },
      { overrides: { OCR_TIMEOUT_MS: '300', OCR_LEASE_MS: '5000' } },
    );
    const document = newDocument();
    const creator = await world.runtime(undefined, { start: false });
    await creator.documents.create(document, USER);
    await waitFor(async () => (await rowOf(world, document.id)).status === 'auto_approve', 15_000, 'auto_approve');
    const history = await creator.store.history(document.id);
    assert.deepEqual(history.find((entry) => entry.eventType === 'OCR_FAILED')?.payload.error, { code: 'ocr_timeout' });
  });

  it('should count an attempt’s timeout from when the engine starts on it, not while it waits behind another', async () => {
    // One engine thread, two documents: the second waits 700 ms, then reads for 700 ms. Counted from
    // its pull, that is past the 1000 ms timeout; counted from its start it is well within.
    const engine = createScriptedEngine(() => ({ kind: 'ok', delayMs: 700 }), { threads: 1 });
    await world.runtime(
      { engine, evaluator: createScriptedEvaluator() },
      { overrides: { OCR_TIMEOUT_MS: '1000', OCR_LEASE_MS: '5000', WORKER_CONCURRENCY: '2' } },
    );
    const documents = [newDocument(), newDocument()];
    const creator = await world.runtime(undefined, { start: false });
    for (const document of documents) await creator.documents.create(document, USER);
    for (const document of documents)
      await waitFor(async () => (await rowOf(world, document.id)).status === 'auto_approve', 15_000, 'auto_approve');
    for (const document of documents) {
      const history = await creator.store.history(document.id);
      assert.deepEqual(
        history.filter((entry) => entry.eventType === 'OCR_FAILED'),
        [],
      );
      assert.equal((await rowOf(world, document.id)).attempts, 1);
    }
  });

  it('should send a document to review after one attempt when its OCR failure is permanent', async () => {
    const engine = createScriptedEngine(() => ({ kind: 'fail', code: 'pdf_too_complex', permanent: true }));
    await world.runtime({ engine, evaluator: createScriptedEvaluator() }, { overrides: { OCR_MAX_ATTEMPTS: '3' } });
    const document = newDocument();
    const creator = await world.runtime(undefined, { start: false });
    await creator.documents.create(document, USER);
    await waitFor(async () => (await rowOf(world, document.id)).status === 'needs_review', 15_000, 'needs_review');
    assert.equal((await rowOf(world, document.id)).attempts, 1);
    assert.equal(engine.calls.get(document.id), 1);
    const history = await creator.store.history(document.id);
    assert.deepEqual(
      history.filter((entry) => entry.eventType === 'OCR_FAILED').map((entry) => [entry.toStatus, entry.payload.error]),
      [['needs_review', { code: 'pdf_too_complex', permanent: true }]],
    );
  });

  it('should route by the evaluation: hard failure to auto_reject, doubt to needs_review', async () => {
    const outcomes = new Map([
      [
        'reject',
        {
          ...CLEAN_EVALUATION,
          score: 1,
          reasons: [
            {
              code: 'NIK_DATE_INVALID',
              severity: 'reject' as const,
              message: 'The NIK encodes an impossible birth date.',
            },
          ],
        },
      ],
      ['review', { ...CLEAN_EVALUATION, score: 0.6 }],
    ]);
    const documents = { reject: newDocument(), review: newDocument() };
    const plan = (id: string) => (id === documents.reject.id ? outcomes.get('reject') : outcomes.get('review'));
    await world.runtime({
      engine: createScriptedEngine(),
      evaluator: createScriptedEvaluator((id) => plan(id) ?? CLEAN_EVALUATION),
    });
    const creator = await world.runtime(undefined, { start: false });
    await creator.documents.create(documents.reject, USER);
    await creator.documents.create(documents.review, USER);
    await waitFor(
      async () => (await rowOf(world, documents.reject.id)).status === 'auto_reject',
      10_000,
      'auto_reject',
    );
    await waitFor(
      async () => (await rowOf(world, documents.review.id)).status === 'needs_review',
      10_000,
      'needs_review',
    );
    const evaluation = (await rowOf(world, documents.reject.id)).evaluation as { reasons: { code: string }[] };
    assert.equal(evaluation.reasons[0]?.code, 'NIK_DATE_INVALID');
  });

  it('should have the sweeper decide an ai_evaluated document that missed DECIDE, and resume an ocr_completed one', async () => {
    const runtime = await world.runtime(undefined, { start: false });
    const evaluated = newDocument();
    const ocred = newDocument();
    for (const document of [evaluated, ocred]) {
      await runtime.documents.create(document, USER);
      await completeOcr(runtime.documents, document.id, 'gone');
    }
    await runtime.documents.send(evaluated.id, { type: 'AI_EVALUATED', ...CLEAN_EVALUATION }, SYSTEM);
    // A worker that starts later finds both through the sweeper (their queue messages are long gone).
    await world.redis.del(`${world.prefix}ocr:jobs`);
    const evaluator = createScriptedEvaluator();
    await world.runtime({ engine: createScriptedEngine(), evaluator });
    await waitFor(
      async () => (await rowOf(world, evaluated.id)).status === 'auto_approve',
      10_000,
      'evaluated decided',
    );
    await waitFor(
      async () => (await rowOf(world, ocred.id)).status === 'auto_approve',
      10_000,
      'ocr_completed resumed',
    );
    const history = await runtime.store.history(evaluated.id);
    assert.equal(history.at(-1)?.actorId, 'sweeper');
  });

  it('should re-send a waiting document at most once per window while no worker consumes it', async () => {
    const runtime = await world.runtime(undefined, { start: false });
    const document = newDocument();
    await runtime.documents.create(document, USER);
    await world.redis.set(`${world.prefix}runtime:marker`, '1');
    const stream = `${world.prefix}ocr:jobs`;
    const before = await world.redis.xlen(stream);
    // Idle for longer than SWEEPER_STALE_MS, without waiting for it.
    await world.pool.query(sql.unsafe`
      UPDATE documents SET updated_at = now() - interval '1 minute' WHERE id = ${document.id}`);
    const sweeps = [];
    for (let round = 0; round < 3; round++) {
      // Past the sweep lock (one sweep per interval), so only the per-document marker can hold it back.
      await world.redis.del(`${world.prefix}runtime:sweep-lock`);
      sweeps.push(await runtime.sweep());
    }
    assert.deepEqual(
      sweeps.map((sweep) => sweep.requeued),
      [1, 0, 0],
    );
    assert.equal(await world.redis.xlen(stream), before + 1);
  });

  /**
   * A stopped worker `workerId` whose copy of a new document says `uploaded` (its job queued), while
   * the stored document is in `processing` under a 60 s lease given to `leaseHolder`.
   */
  async function leasedBehindTheWorkersBack(workerId: string, leaseHolder: string) {
    const long = { OCR_LEASE_MS: '60000' };
    const worker = await world.runtime(
      { engine: createScriptedEngine(), evaluator: createScriptedEvaluator() },
      { workerId, start: false, overrides: long },
    );
    const document = newDocument();
    await worker.documents.create(document, USER);
    const elsewhere = await world.runtime(undefined, { start: false, overrides: long });
    await elsewhere.documents.send(
      document.id,
      { type: 'PROCESSING_STARTED', workerId: leaseHolder, attempt: 1, leaseToken: randomUUID(), device: 'cpu' },
      SYSTEM,
    );
    return { worker, document };
  }

  it('should go on with an attempt whose PROCESSING_STARTED committed while its answer was lost, instead of leaving the lease to expire', async () => {
    // What the lost answer hid: the worker's own PROCESSING_STARTED, committed.
    const { worker, document } = await leasedBehindTheWorkersBack('w-own-lease', 'w-own-lease');
    await worker.start();
    await waitFor(
      async () => (await rowOf(world, document.id)).status === 'auto_approve',
      10_000,
      'the attempt to go on under its lease (it would otherwise wait 60 s for the reaper)',
    );
    const history = await worker.store.history(document.id);
    assert.deepEqual(
      history.map((entry) => entry.eventType),
      ['DOCUMENT_UPLOADED', 'PROCESSING_STARTED', 'OCR_COMPLETED', 'AI_EVALUATED', 'DECIDE'],
      'one attempt, no expired lease',
    );
  });

  it('should leave a lease of another worker to the reaper', async () => {
    const { worker, document } = await leasedBehindTheWorkersBack('w-mine', 'w-someone-else');
    await worker.start();
    // A handled job is acknowledged and deleted from the stream.
    await waitFor(async () => (await world.redis.xlen(`${world.prefix}ocr:jobs`)) === 0, 5000, 'the job to be handled');
    assert.equal((await rowOf(world, document.id)).status, 'processing', "the other worker's lease stands");
    assert.equal((await worker.store.history(document.id)).length, 2);
  });

  it('should expire a dead worker’s lease and send the document to review when it was the last attempt', async () => {
    const runtime = await world.runtime(undefined, { start: false, overrides: { OCR_MAX_ATTEMPTS: '1' } });
    const document = newDocument();
    await runtime.documents.create(document, USER);
    await runtime.documents.send(
      document.id,
      { type: 'PROCESSING_STARTED', workerId: 'dead', attempt: 1, leaseToken: randomUUID(), device: 'cpu' },
      SYSTEM,
    );
    await waitFor(
      async () =>
        await world.pool.oneFirst(sql.type(z.object({ expired: z.boolean() }))`
      SELECT lease_expires_at < now() AS expired FROM documents WHERE id = ${document.id}`),
      5000,
      'lease expiry',
    );
    assert.equal(await runtime.reap(), 1);
    const row = await rowOf(world, document.id);
    assert.equal(row.status, 'needs_review');
    assert.equal(row.lease, null);
    const snapshot = await world.pool.oneFirst(sql.type(z.object({ reason: z.string() }))`
      SELECT snapshot->'context'->>'reviewReason' AS reason FROM documents WHERE id = ${document.id}`);
    assert.equal(snapshot, 'lease_expired');
  });

  it('should refuse illegal, invalid and unknown-document events without writing anything', async () => {
    const runtime = await world.runtime(undefined, { start: false });
    const document = newDocument();
    await runtime.documents.create(document, USER);
    const before = await rowOf(world, document.id);
    await assert.rejects(runtime.documents.send(document.id, { type: 'DECIDE' }, SYSTEM), IllegalTransitionError);
    await assert.rejects(
      runtime.documents.send(
        document.id,
        { type: 'PROCESSING_STARTED', workerId: 'w', attempt: 2, leaseToken: randomUUID(), device: 'cpu' },
        SYSTEM,
      ),
      IllegalTransitionError,
    );
    await assert.rejects(
      // @ts-expect-error: a malformed event, as an untyped caller could send it
      runtime.documents.send(document.id, { type: 'PROCESSING_STARTED', attempt: 'one' }, SYSTEM),
      InvalidEventError,
    );
    await assert.rejects(runtime.documents.send(randomUUID(), { type: 'DECIDE' }, SYSTEM), DocumentNotFoundError);
    assert.deepEqual(await rowOf(world, document.id), before);
    assert.equal((await runtime.store.history(document.id)).length, 1);
  });
});
