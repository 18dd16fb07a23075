import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createWorld, newDocument, USER, type World, waitFor } from '../../support/harness.ts';
import { startWorkerProcess } from '../../support/processes/index.ts';
import { createScriptedEngine, createScriptedEvaluator } from '../../support/scriptedEngine.ts';

const statusOf = (world: World, id: string) =>
  world.pool.oneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM documents WHERE id = ${id}`);

const decisionsOf = async (world: World, id: string) =>
  world.pool.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*)::int AS count FROM document_events
    WHERE document_id = ${id} AND event_type IN ('DECIDE', 'REVIEW_DECIDED')`);

describe('crashes and stalled workers', () => {
  let world: World;
  before(async () => {
    world = await createWorld({ overrides: { OCR_LEASE_MS: '1500', STREAM_CLAIM_IDLE_MS: '2500' } });
  });
  afterEach(async () => {
    await world.stopRuntimes();
  });
  after(async () => {
    await world.close();
  });

  it('should finish a document on another worker after the first is SIGKILLed holding it', async () => {
    const doomed = await startWorkerProcess(
      world.config,
      { OCR_LEASE_MS: '1500', STREAM_CLAIM_IDLE_MS: '2500', WORKER_ID: 'doomed', REAPER_INTERVAL_MS: '200' },
      { kind: 'hang' },
    );
    const document = newDocument();
    const creator = await world.runtime(undefined, { start: false });
    await creator.documents.create(document, USER);
    await waitFor(async () => (await statusOf(world, document.id)) === 'processing', 10_000, 'processing');

    doomed.child.kill('SIGKILL');
    assert.equal((await doomed.exited).signal, 'SIGKILL');

    const survivor = await world.runtime(
      { engine: createScriptedEngine(), evaluator: createScriptedEvaluator() },
      { workerId: 'survivor', overrides: { OCR_LEASE_MS: '1500', STREAM_CLAIM_IDLE_MS: '2500' } },
    );
    await waitFor(async () => (await statusOf(world, document.id)) === 'auto_approve', 20_000, 'auto_approve');

    const history = await survivor.store.history(document.id);
    assert.deepEqual(
      history.map((entry) => entry.eventType),
      [
        'DOCUMENT_UPLOADED',
        'PROCESSING_STARTED',
        'LEASE_EXPIRED',
        'PROCESSING_STARTED',
        'OCR_COMPLETED',
        'AI_EVALUATED',
        'DECIDE',
      ],
    );
    assert.deepEqual(
      history.map((entry) => entry.seq),
      history.map((_, index) => index + 1),
    );
    const starts = history.filter((entry) => entry.eventType === 'PROCESSING_STARTED');
    assert.deepEqual(
      starts.map((entry) => [entry.actorId, entry.payload.attempt]),
      [
        ['doomed', 1],
        ['survivor', 2],
      ],
    );
    assert.equal(history.find((entry) => entry.eventType === 'LEASE_EXPIRED')?.actorId, 'reaper');
    assert.equal(await decisionsOf(world, document.id), 1);

    // The dead consumer's message is claimed with XAUTOCLAIM and acknowledged as a no-op.
    await waitFor(
      async () => {
        const pending = (await world.redis.xpending(`${world.prefix}ocr:jobs`, 'ocr-workers')) as [number];
        return pending[0] === 0;
      },
      15_000,
      'no pending stream entries',
    );
    assert.equal(await decisionsOf(world, document.id), 1);
  });

  it('should refuse the result of a worker that stalled past its lease', async () => {
    const stalled = await startWorkerProcess(
      world.config,
      { OCR_LEASE_MS: '1000', WORKER_ID: 'stalled', REAPER_INTERVAL_MS: '60000', SWEEPER_INTERVAL_MS: '60000' },
      // Atomics.wait blocks the process's event loop: no heartbeat, no lock extension, like a long GC pause.
      { kind: 'stall', ms: 4000 },
    );
    const document = newDocument();
    const observer = await world.runtime(undefined, { start: false });
    await observer.documents.create(document, USER);
    await waitFor(async () => (await statusOf(world, document.id)) === 'processing', 10_000, 'processing');

    const healthy = await world.runtime(
      { engine: createScriptedEngine(), evaluator: createScriptedEvaluator() },
      { workerId: 'healthy', overrides: { OCR_LEASE_MS: '1000', REAPER_INTERVAL_MS: '100' } },
    );
    await waitFor(async () => (await statusOf(world, document.id)) === 'auto_approve', 20_000, 'auto_approve');
    await waitFor(async () => stalled.logs.some((line) => line.message === 'processing.fenced'), 15_000, 'fenced log');
    stalled.child.kill('SIGTERM');
    await stalled.exited;

    const history = await healthy.store.history(document.id);
    const completed = history.filter((entry) => entry.eventType === 'OCR_COMPLETED');
    const starts = history.filter((entry) => entry.eventType === 'PROCESSING_STARTED');
    assert.equal(completed.length, 1, 'only one OCR result was written');
    assert.equal(completed[0]?.payload.leaseToken, starts.at(-1)?.payload.leaseToken, 'it is the live lease’s');
    assert.equal(starts[0]?.actorId, 'stalled');
    assert.ok(history.some((entry) => entry.eventType === 'LEASE_EXPIRED'));
    assert.equal(await decisionsOf(world, document.id), 1);
    assert.equal(await statusOf(world, document.id), 'auto_approve');
  });

  it('should give the lease back at once when a worker is stopped with SIGTERM mid-job', async () => {
    const stopping = await startWorkerProcess(
      world.config,
      { OCR_LEASE_MS: '60000', WORKER_ID: 'stopping', SHUTDOWN_TIMEOUT_MS: '300', REAPER_INTERVAL_MS: '60000' },
      { kind: 'hang' },
    );
    const document = newDocument();
    const observer = await world.runtime(undefined, { start: false });
    await observer.documents.create(document, USER);
    await waitFor(async () => (await statusOf(world, document.id)) === 'processing', 10_000, 'processing');

    const stoppedAt = Date.now();
    stopping.child.kill('SIGTERM');
    const exit = await stopping.exited;
    assert.equal(exit.code, 0);
    assert.ok(Date.now() - stoppedAt < 10_000, 'shutdown did not wait for the 60 s lease');
    assert.equal(await statusOf(world, document.id), 'uploaded');
    const history = await observer.store.history(document.id);
    assert.deepEqual(history.at(-1)?.eventType, 'LEASE_EXPIRED');
    assert.equal(history.at(-1)?.actorId, 'stopping');
  });
});
