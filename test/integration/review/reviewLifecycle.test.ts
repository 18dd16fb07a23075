import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';
import { composeRuntime } from '../../../composition/runtime.ts';
import { startTemporalDevServer, type TemporalDevServer } from '../../../composition/temporalDevServer.ts';
import { reviewWorkflowId } from '../../../workflows/review/client.ts';
import { startApi } from '../../support/api.ts';
import {
  createWorld,
  documentInReview,
  newDocument,
  type TestRuntime,
  testLogger,
  USER,
  type World,
  waitFor,
} from '../../support/harness.ts';
import { startReviewWorkerProcess } from '../../support/processes/index.ts';
import { createTcpProxy } from '../../support/tcpProxy.ts';

/**
 * The review workflows wired into the engine: the start effect on entering needs_review, the
 * sweeper's starts, the decision route through the workflow, and Temporal going away and coming back.
 */
describe('review workflows in the engine (real Temporal dev server)', () => {
  let ownServer: TemporalDevServer | null = null;
  let world: World;
  let runtime: TestRuntime;
  let api: Awaited<ReturnType<typeof startApi>>;

  before(async () => {
    // Run alone, without the test run's shared server (test/support/globalSetup.ts), start one.
    if (!process.env.TEMPORAL_ADDRESS) {
      ownServer = await startTemporalDevServer();
      process.env.TEMPORAL_ADDRESS = ownServer.address;
    }
    world = await createWorld();
    runtime = await world.runtime();
    api = await startApi(world, runtime);
  });
  after(async () => {
    await api?.close();
    await world?.close();
    if (ownServer) {
      delete process.env.TEMPORAL_ADDRESS;
      await ownServer.stop();
    }
  });

  const toReview = (into: TestRuntime = runtime) => documentInReview(into.documents);

  const count = z.object({ count: z.number() });
  const startedRows = (on: World, id: string) =>
    on.pool.oneFirst(sql.type(count)`SELECT count(*)::int AS count FROM review_workflows WHERE document_id = ${id}`);
  const statusOf = (on: World, id: string) =>
    on.pool.oneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM documents WHERE id = ${id}`);
  const decisionEvents = (on: World, id: string) =>
    on.pool.oneFirst(sql.type(count)`
      SELECT count(*)::int AS count FROM document_events WHERE document_id = ${id} AND event_type = 'REVIEW_DECIDED'`);
  const decide = (
    url: string,
    id: string,
    decision: 'approve' | 'reject',
    reviewer = 'reviewer-1',
    through: Pick<typeof api, 'tokenFor'> = api,
    requestId?: string,
  ) =>
    fetch(`${url}/internal/reviews/${id}/decision`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${through.tokenFor(reviewer, 'reviewer')}`,
        'content-type': 'application/json',
        ...(requestId ? { 'x-request-id': requestId } : {}),
      },
      body: JSON.stringify({ decision, reason: 'Checked against the photo.' }),
    });
  let temporal: Client;
  before(async () => {
    temporal = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS }) });
  });
  after(async () => {
    await temporal?.connection.close();
  });
  async function workflowsOf(id: string) {
    const runs = [];
    for await (const run of temporal.workflow.list({ query: `WorkflowId = '${reviewWorkflowId(id)}'` })) runs.push(run);
    return runs;
  }

  it('should start exactly one review workflow on entering needs_review, even when the start is delivered twice', async () => {
    const id = await toReview();
    await waitFor(async () => (await startedRows(world, id)) === 1, 15_000, 'the review started');
    // The relay delivers again what it finds undelivered (a process died before marking it).
    await world.pool.query(sql.unsafe`
      UPDATE outbox SET delivered_at = NULL, available_at = now() WHERE document_id = ${id} AND kind = 'start_review'`);
    await waitFor(
      async () =>
        (await world.pool.oneFirst(sql.type(count)`
          SELECT count(*)::int AS count FROM outbox
          WHERE document_id = ${id} AND kind = 'start_review' AND delivered_at IS NOT NULL`)) === 1,
      15_000,
      'the redelivery',
    );
    assert.equal((await workflowsOf(id)).length, 1);
    assert.equal((await world.reviews?.client.getWorkflowState(id))?.status, 'open');
  });

  it('should apply a decision made through the route, with REVIEW_DECIDED by the reviewer in the history', async () => {
    const id = await toReview();
    await waitFor(async () => (await startedRows(world, id)) === 1, 15_000, 'the review started');
    const response = await decide(api.url, id, 'approve');
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { id, status: 'approved' });
    assert.equal(await statusOf(world, id), 'approved');
    const actor = await world.pool.one(sql.type(z.object({ type: z.string(), id: z.string() }))`
      SELECT actor_type AS type, actor_id AS id FROM document_events
      WHERE document_id = ${id} AND event_type = 'REVIEW_DECIDED'`);
    assert.deepEqual(actor, { type: 'reviewer', id: 'reviewer-1' });
  });

  it('should answer one of 20 concurrent decisions with 200 and the rest with 409, deciding once', async () => {
    const id = await toReview();
    await waitFor(async () => (await startedRows(world, id)) === 1, 15_000, 'the review started');
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        decide(api.url, id, index % 2 === 0 ? 'approve' : 'reject', `reviewer-${index}`).then((r) => r.status),
      ),
    );
    assert.equal(statuses.filter((status) => status === 200).length, 1, statuses.join(','));
    assert.equal(statuses.filter((status) => status === 409).length, 19, statuses.join(','));
    assert.equal(await decisionEvents(world, id), 1);
  });

  it('should answer 409 for a document that is not in review, and 404 for none', async () => {
    const document = newDocument();
    await runtime.documents.create(document, USER);
    assert.equal((await decide(api.url, document.id, 'approve')).status, 409);
    assert.equal((await decide(api.url, randomUUID(), 'approve')).status, 404);
  });

  it('should flag a failed external review and keep the document decidable', async () => {
    const id = await toReview();
    await waitFor(async () => (await startedRows(world, id)) === 1, 15_000, 'the review started');
    await world.reviews?.client.failReviewWorkflow(id, 'BULI2 refused the review');
    await waitFor(
      async () =>
        world.pool.exists(sql.unsafe`
          SELECT 1 FROM review_workflows WHERE document_id = ${id} AND flagged_at IS NOT NULL
            AND external_failure = 'BULI2 refused the review'`),
      15_000,
      'the flag',
    );
    assert.equal(await statusOf(world, id), 'needs_review');

    // The queue and the detail show the workflow and what became of the external review.
    const reviewer = { authorization: `Bearer ${api.tokenFor('reviewer-1', 'reviewer')}` };
    const expected = {
      workflowId: reviewWorkflowId(id),
      phase: 'waiting',
      externalFailure: 'BULI2 refused the review',
      // This world has no BULI2: the review was never forwarded.
      reviewId: null,
      buli2: null,
    };
    const detail = (await (await fetch(`${api.url}/internal/reviews/${id}`, { headers: reviewer })).json()) as {
      review: unknown;
    };
    assert.deepEqual(detail.review, expected);
    const seen: { id: string; review: unknown }[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (
        await fetch(`${api.url}/internal/reviews?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { headers: reviewer })
      ).json()) as { items: { id: string; review: unknown }[]; nextCursor: string | null };
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen.find((item) => item.id === id)?.review, expected);
    assert.equal(seen[0]?.id, id, 'a failed external review comes first in the queue');
    assert.equal(new Set(seen.map((item) => item.id)).size, seen.length, 'each document once');

    assert.equal((await decide(api.url, id, 'reject')).status, 200);
  });

  it('should answer 503 while Temporal is away, change nothing, and start the review once it is back', async () => {
    // A second engine, reaching Temporal through a proxy that can be cut.
    const [host, port] = (process.env.TEMPORAL_ADDRESS as string).split(':') as [string, string];
    const proxy = await createTcpProxy({ host, port: Number(port) });
    const away = await createWorld({
      overrides: { TEMPORAL_ADDRESS: `127.0.0.1:${proxy.port}`, TEMPORAL_CALL_TIMEOUT_MS: '1000' },
    });
    try {
      proxy.cut();
      const engine = await away.runtime();
      const awayApi = await startApi(away, engine, { awaitReviewWorker: false });
      try {
        const id = await toReview(engine);
        await waitFor(
          async () =>
            (await away.pool.oneFirst(sql.type(count)`
              SELECT count(*)::int AS count FROM outbox
              WHERE document_id = ${id} AND kind = 'start_review' AND delivered_at IS NULL AND attempts > 0`)) === 1,
          15_000,
          'a failed start, waiting in the outbox',
        );
        const refused = await decide(awayApi.url, id, 'approve', 'reviewer-1', awayApi);
        assert.equal(refused.status, 503);
        assert.ok(refused.headers.get('retry-after'));
        assert.equal(await statusOf(away, id), 'needs_review');
        assert.equal(await decisionEvents(away, id), 0);

        proxy.restore();
        await waitFor(
          async () => (await startedRows(away, id)) === 1,
          30_000,
          'the start delivered once Temporal is back',
        );
        // The review worker reconnects on its own a few seconds later; until then the decision is
        // answered 503. The reviewer's retries carry the same request id: one Update, applied once.
        const requestId = randomUUID();
        await waitFor(
          async () => (await decide(awayApi.url, id, 'approve', 'reviewer-1', awayApi, requestId)).status === 200,
          30_000,
          'the decision, once the worker is back',
        );
        assert.equal(await statusOf(away, id), 'approved');
        assert.equal(await decisionEvents(away, id), 1);
      } finally {
        await awayApi.close();
      }
    } finally {
      await away.close();
      await proxy.close();
    }
  });

  it('should give a review workflow to a document left in review without one, from the sweeper', async () => {
    // A document that reached review before the workflows existed: an engine without them, and no
    // start effect left in the outbox.
    const before = composeRuntime({
      config: world.config,
      connections: { pool: world.pool, redis: world.redis },
      logger: testLogger,
    });
    const id = await toReview(before);
    await world.pool.query(sql.unsafe`DELETE FROM outbox WHERE document_id = ${id} AND kind = 'start_review'`);
    await world.pool.query(sql.unsafe`UPDATE documents SET updated_at = now() - interval '1 hour' WHERE id = ${id}`);
    assert.equal(await startedRows(world, id), 0);
    // The running engine's sweeper finds it.
    await waitFor(async () => (await startedRows(world, id)) === 1, 20_000, 'the sweeper started its review');
    assert.equal((await workflowsOf(id)).length, 1);
    assert.equal((await decide(api.url, id, 'approve')).status, 200);
  });

  it('should apply a decision after the worker process that ran the review was SIGKILLed and another took over', async () => {
    // An engine whose only review worker is a separate process.
    const alone = await createWorld();
    try {
      const engine = await alone.runtime();
      const id = await toReview(engine);
      await waitFor(async () => (await startedRows(alone, id)) === 1, 15_000, 'the review started');
      const child = await startReviewWorkerProcess(alone.config);
      // The query is answered by a worker replaying the workflow: the child has it in its cache.
      assert.equal((await alone.reviews?.client.getWorkflowState(id))?.status, 'open');
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));

      const successor = alone.reviewWorker(engine);
      await successor?.started;
      // Temporal first offers the workflow to the dead worker's sticky queue (10 s), so a decision
      // right after the crash waits; the reviewer's retries carry the same request id.
      const requestId = randomUUID();
      const outcome = await waitFor(
        async () =>
          alone.reviews?.client
            .completeManualReviewWorkflow(
              id,
              {
                decision: 'approve',
                reason: 'Checked after the restart.',
                reviewerId: 'reviewer-1',
                source: 'internal',
              },
              requestId,
            )
            .catch(() => null),
        60_000,
        'the decision after the restart',
      );
      assert.deepEqual(outcome, { outcome: 'applied', status: 'approved' });
      assert.equal(await statusOf(alone, id), 'approved');
      assert.equal(await decisionEvents(alone, id), 1);
    } finally {
      await alone.close();
    }
  });
});
