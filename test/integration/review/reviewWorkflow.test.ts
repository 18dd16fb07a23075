import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { z } from 'zod';
import { composeRuntime } from '../../../composition/runtime.ts';
import type { Runtime } from '../../../runtime/index.ts';
import { createReviewActivities, type ReviewPorts } from '../../../workflows/review/activities.ts';
import {
  createReviewClient,
  DecisionNotTakenError,
  type ReviewClient,
  reviewWorkflowId,
} from '../../../workflows/review/client.ts';
import { createReviewWorker } from '../../../workflows/review/worker.ts';
import { decideUpdate, type ReviewDecision, type ReviewInput } from '../../../workflows/review/workflows.ts';
import { createTestPool } from '../../support/database.ts';
import { createWorld, documentInReview, testLogger, type World, waitFor } from '../../support/harness.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';
import { createTcpProxy } from '../../support/tcpProxy.ts';
import { startTemporal } from '../../support/temporalServer.ts';

const APPROVE: ReviewDecision = {
  decision: 'approve',
  reason: 'Readable and genuine.',
  reviewerId: 'reviewer-1',
  source: 'internal',
};
const REJECT: ReviewDecision = {
  decision: 'reject',
  reason: 'Not the applicant.',
  reviewerId: 'reviewer-2',
  source: 'internal',
};
/** Long enough that no timer fires in a test that does not ask for it. */
const QUIET_SLA = { reminderMs: 3_600_000, escalationMs: 7_200_000 };

describe('review workflow (real Temporal dev server)', () => {
  let world: World;
  let runtime: Runtime;
  let temporal: TestWorkflowEnvironment;
  let reviews: ReviewClient;
  const taskQueue = `review-test-${randomUUID()}`;
  const recorded = recordingLogger();
  const flagged: { documentId: string; reason: string }[] = [];
  const breaches: string[] = [];
  const phases: { documentId: string; phase: string }[] = [];
  /** Where the decision activity's send() goes: the world's runtime, or one behind a proxy a test cuts. */
  let decisionsThrough: () => Runtime['documents'] = () => runtime.documents;
  /** What the decision activity's send() threw, as the database reported it. */
  const decideErrors: unknown[] = [];
  let worker: Worker;
  let running: Promise<void>;

  const ports: ReviewPorts = {
    async decide(documentId, decision, correlationId) {
      try {
        return await decisionsThrough().send(
          documentId,
          { type: 'REVIEW_DECIDED', ...decision },
          { type: 'reviewer', id: decision.reviewerId },
          { correlationId },
        );
      } catch (error) {
        decideErrors.push(error);
        throw error;
      }
    },
    async flagExternalFailure(documentId, reason) {
      flagged.push({ documentId, reason });
    },
    async phaseReached(documentId, phase) {
      phases.push({ documentId, phase });
    },
    slaBreached: (kind) => breaches.push(kind),
    logger: recorded.logger,
  };

  const startWorker = async () => {
    worker = await createReviewWorker({
      connection: temporal.nativeConnection,
      namespace: 'default',
      taskQueue,
      activities: createReviewActivities(ports),
    });
    running = worker.run();
  };
  const stopWorker = async () => {
    worker.shutdown();
    await running;
  };

  /** A document in needs_review, as the engine leaves one. */
  async function inReview(): Promise<ReviewInput> {
    const documentId = await documentInReview(runtime.documents);
    return { documentId, documentType: 'KTP', reasons: ['NAME_UNREADABLE'], sla: QUIET_SLA };
  }

  const statusOf = async (id: string) =>
    world.pool.oneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM documents WHERE id = ${id}`);
  const decisionEvents = async (id: string) =>
    world.pool.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM document_events WHERE document_id = ${id} AND event_type = 'REVIEW_DECIDED'`);

  before(async () => {
    // The workflows here are started by the test itself, with activities it controls.
    world = await createWorld({ reviews: false });
    runtime = await world.runtime(undefined, { start: false });
    temporal = await startTemporal();
    reviews = createReviewClient(temporal.client, { taskQueue, callTimeoutMs: 10_000 });
    await startWorker();
  });
  after(async () => {
    await stopWorker();
    await temporal?.teardown();
    await world?.close();
  });

  it('should start exactly one workflow per document, however often the start is delivered', async () => {
    const input = await inReview();
    const starts = await Promise.all([1, 2, 3].map(() => reviews.startKYCWorkflow(input)));
    assert.deepEqual(starts.map((start) => start.started).sort(), [false, false, true]);
    assert.ok(starts.every((start) => start.workflowId === `kyc-review-${input.documentId}`));
    // Even once the first review has ended.
    await reviews.completeManualReviewWorkflow(input.documentId, APPROVE);
    await temporal.client.workflow.getHandle(reviewWorkflowId(input.documentId)).result();
    assert.equal((await reviews.startKYCWorkflow(input)).started, false);
    const runs = [];
    for await (const run of temporal.client.workflow.list({
      query: `WorkflowId = '${reviewWorkflowId(input.documentId)}'`,
    }))
      runs.push(run);
    assert.equal(runs.length, 1);
  });

  it('should apply a decision to the document, with REVIEW_DECIDED in its history, and report the state', async () => {
    const input = await inReview();
    await reviews.startKYCWorkflow(input);
    const open = await reviews.getWorkflowState(input.documentId);
    assert.equal(open?.status, 'open');
    assert.equal(open?.phase, 'waiting');

    assert.deepEqual(await reviews.completeManualReviewWorkflow(input.documentId, REJECT), {
      outcome: 'applied',
      status: 'rejected',
    });
    assert.equal(await statusOf(input.documentId), 'rejected');
    assert.equal(await decisionEvents(input.documentId), 1);
    const result = await temporal.client.workflow.getHandle(reviewWorkflowId(input.documentId)).result();
    assert.equal(result.status, 'rejected');
    assert.deepEqual(result.decision, REJECT);
    assert.ok(
      recorded.entries.some(
        (entry) => entry.message === 'review.decision_applied' && entry.fields?.documentId === input.documentId,
      ),
    );
  });

  it('should apply exactly one of 20 concurrent decisions and refuse the rest', async () => {
    const input = await inReview();
    await reviews.startKYCWorkflow(input);
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        reviews.completeManualReviewWorkflow(input.documentId, {
          ...(index % 2 === 0 ? APPROVE : REJECT),
          reviewerId: `reviewer-${index}`,
        }),
      ),
    );
    const applied = outcomes.filter((outcome) => outcome.outcome === 'applied');
    assert.equal(applied.length, 1);
    // Refused by the validator, or, once the review had ended, by finding it closed.
    assert.ok(
      outcomes.every(
        (outcome) =>
          outcome.outcome === 'applied' ||
          (outcome.outcome === 'refused' && ['AlreadyDecided', 'ReviewClosed'].includes(outcome.reason)),
      ),
      JSON.stringify(outcomes),
    );
    assert.equal(outcomes.filter((outcome) => outcome.outcome === 'refused').length, 19);
    assert.equal(await decisionEvents(input.documentId), 1);
    assert.equal(await statusOf(input.documentId), applied[0]?.outcome === 'applied' ? applied[0].status : 'none');
  });

  it('should refuse a decision for a document decided otherwise, log it, and end the review', async () => {
    const input = await inReview();
    await reviews.startKYCWorkflow(input);
    await runtime.documents.send(
      input.documentId,
      { type: 'REVIEW_DECIDED', ...REJECT },
      { type: 'reviewer', id: 'r' },
    );
    const outcome = await reviews.completeManualReviewWorkflow(input.documentId, APPROVE);
    assert.deepEqual(outcome, { outcome: 'refused', reason: 'DocumentDecidedOtherwise' });
    const result = await temporal.client.workflow.getHandle(reviewWorkflowId(input.documentId)).result();
    assert.equal(result.status, 'decided_elsewhere');
    assert.equal(await statusOf(input.documentId), 'rejected');
    assert.ok(
      recorded.entries.some((entry) => entry.message === 'review.decided_elsewhere' && entry.level === 'error'),
    );
    // A retry of the decision that was applied is success, not a conflict.
    const same = await createReviewActivities(ports).applyReviewDecision({
      documentId: input.documentId,
      reviewId: 'r',
      decision: REJECT,
    });
    assert.deepEqual(same, { status: 'rejected' });
  });

  it('should answer no_review for a document without a workflow, and null state', async () => {
    const id = randomUUID();
    assert.deepEqual(await reviews.completeManualReviewWorkflow(id, APPROVE), { outcome: 'no_review' });
    assert.equal(await reviews.getWorkflowState(id), null);
  });

  it('should remind and then escalate on the SLA timers, and still take a decision', async () => {
    const input = { ...(await inReview()), sla: { reminderMs: 300, escalationMs: 900 } };
    await reviews.startKYCWorkflow(input);
    const state = await waitFor(
      async () => {
        const current = await reviews.getWorkflowState(input.documentId);
        return current?.phase === 'escalated' ? current : null;
      },
      15_000,
      'escalation',
    );
    assert.equal(state.status, 'open');
    // The phase changes as the activity that logs it is scheduled.
    const events = await waitFor(
      async () => {
        const logged = recorded.entries
          .filter((entry) => entry.fields?.documentId === input.documentId && entry.message.startsWith('review.'))
          .map((entry) => entry.message);
        return logged.length >= 2 ? logged : null;
      },
      10_000,
      'SLA log events',
    );
    assert.deepEqual(events, ['review.reminder', 'review.escalated']);
    assert.ok(breaches.includes('reminder') && breaches.includes('escalation'));
    assert.deepEqual(
      phases.filter((entry) => entry.documentId === input.documentId).map((entry) => entry.phase),
      ['reminded', 'escalated'],
    );
    assert.equal((await reviews.completeManualReviewWorkflow(input.documentId, APPROVE)).outcome, 'applied');
    assert.equal(await statusOf(input.documentId), 'approved');
  });

  it('should flag a failed external review, and keep the document decidable', async () => {
    const input = await inReview();
    await reviews.startKYCWorkflow(input);
    await reviews.failReviewWorkflow(input.documentId, 'BULI2 refused the review');
    await waitFor(async () => flagged.some((flag) => flag.documentId === input.documentId), 10_000, 'flag');
    assert.equal((await reviews.getWorkflowState(input.documentId))?.externalFailure, 'BULI2 refused the review');
    assert.equal(await statusOf(input.documentId), 'needs_review');
    assert.equal((await reviews.completeManualReviewWorkflow(input.documentId, APPROVE)).outcome, 'applied');
  });

  it('should retry a decision that met a transient database error until it applies', async () => {
    const input = await inReview();
    await reviews.startKYCWorkflow(input);
    // The activity reaches Postgres through a proxy; the shared server is never touched.
    const target = new URL(world.database.url);
    const proxy = await createTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    target.port = String(proxy.port);
    const pool = await createTestPool({ ...world.database, url: target.toString() }, 2);
    const proxied = composeRuntime({
      config: world.config,
      connections: { pool, redis: world.redis },
      logger: testLogger,
    });
    decisionsThrough = () => proxied.documents;
    decideErrors.length = 0;
    try {
      proxy.cut();
      const outcome = reviews.completeManualReviewWorkflow(input.documentId, APPROVE);
      await waitFor(async () => decideErrors.length > 0, 10_000, 'the activity to meet the database away');
      assert.equal(await statusOf(input.documentId), 'needs_review');
      proxy.restore();
      assert.deepEqual(await outcome, { outcome: 'applied', status: 'approved' });
      assert.equal(await decisionEvents(input.documentId), 1);
    } finally {
      decisionsThrough = () => runtime.documents;
      proxy.restore();
      await pool.end();
      await proxy.close();
    }
  });

  it('should apply a decision sent after the worker was stopped and another started', async () => {
    const input = await inReview();
    await reviews.startKYCWorkflow(input);
    await waitFor(async () => (await reviews.getWorkflowState(input.documentId))?.status === 'open', 10_000, 'open');
    await stopWorker();
    await startWorker();
    assert.deepEqual(await reviews.completeManualReviewWorkflow(input.documentId, APPROVE), {
      outcome: 'applied',
      status: 'approved',
    });
    assert.equal(await statusOf(input.documentId), 'approved');
  });

  it('should never apply a decision whose sender gave up waiting, even once a worker takes it', async () => {
    await stopWorker();
    try {
      const [answeredFailed, control] = [await inReview(), await inReview()];
      await reviews.startKYCWorkflow(answeredFailed);
      await reviews.startKYCWorkflow(control);
      const impatient = createReviewClient(temporal.client, { taskQueue, callTimeoutMs: 300 });
      // No worker: the request fails, and the route answers 503 ("nothing was decided").
      await assert.rejects(impatient.completeManualReviewWorkflow(answeredFailed.documentId, APPROVE, 'request-1'));
      // The control: the same Update without a deadline, left waiting on the server the same way.
      const controlHandle = temporal.client.workflow.getHandle(reviewWorkflowId(control.documentId));
      await assert.rejects(
        temporal.client.withAbortSignal(AbortSignal.timeout(300), () =>
          controlHandle.startUpdate(decideUpdate, { args: [APPROVE, undefined], waitForStage: 'ACCEPTED' }),
        ),
      );
      await startWorker();
      // The server kept both Updates and gave them to the worker: the control is applied ...
      await waitFor(async () => (await statusOf(control.documentId)) === 'approved', 20_000, 'control applied');
      // ... and the one whose sender had answered "failed" is refused by its deadline.
      assert.equal(await statusOf(answeredFailed.documentId), 'needs_review');
      assert.equal(await decisionEvents(answeredFailed.documentId), 0);
      const state = await reviews.getWorkflowState(answeredFailed.documentId);
      assert.equal(state?.status, 'open');
      assert.equal(state?.decision, null);

      // The reviewer's retry with the same request id joins the stale send while it still waits (not
      // taken, again), or is a new Update once that one was refused, and applies.
      let outcome: Awaited<ReturnType<ReviewClient['completeManualReviewWorkflow']>> | undefined;
      for (let attempt = 0; attempt < 5 && outcome === undefined; attempt += 1) {
        try {
          outcome = await reviews.completeManualReviewWorkflow(answeredFailed.documentId, REJECT, 'request-1');
        } catch (error) {
          assert.ok(error instanceof DecisionNotTakenError, String(error));
        }
      }
      assert.deepEqual(outcome, { outcome: 'applied', status: 'rejected' });
      assert.equal(await decisionEvents(answeredFailed.documentId), 1);
    } finally {
      if (worker.getState() !== 'RUNNING') await startWorker();
    }
  });
});
