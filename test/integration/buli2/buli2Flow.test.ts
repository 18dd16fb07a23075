import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createMetrics } from '../../../adapters/metrics/registry.ts';
import { startTemporalDevServer, type TemporalDevServer } from '../../../composition/temporalDevServer.ts';
import { DEVELOPMENT_SECRETS } from '../../../config/schema.ts';
import { BULI2_SIGNATURE_HEADER, signBuli2Body } from '../../../server/http/buli2Signature.ts';
import { type Buli2Simulator, createBuli2Simulator } from '../../../simulators/buli2/simulator.ts';
import { startApi } from '../../support/api.ts';
import {
  createWorld,
  documentInReview,
  newDocument,
  type TestRuntime,
  type World,
  waitFor,
} from '../../support/harness.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';
import { CLEAN_EVALUATION } from '../../support/scriptedEngine.ts';

/**
 * BULI2 both ways, end to end: the engine, its review workflows on a real Temporal dev server, the
 * API as main.ts serves it, and the BULI2 simulator (simulators/buli2) as the far side. The
 * simulator validates every forward against the contract's JSON schema (docs/buli2/), fetches the
 * signed image link, and signs its callbacks as BULI2 does.
 */

const SECRETS = ['first-webhook-secret-for-the-buli2-flow-test', 'second-webhook-secret-for-the-buli2-flow-test'];
const API_KEY = 'buli2-flow-test-api-key-0123456789abcdef';
/** The extracted fields of every document here (scriptedEngine.ts): PII that must stay out of logs. */
const IMAGE = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
const PII = [CLEAN_EVALUATION.fields.nik as string, CLEAN_EVALUATION.fields.nama as string];

describe('BULI2 both ways (Temporal dev server, API, simulator)', () => {
  let ownServer: TemporalDevServer | null = null;
  let sim: Buli2Simulator;
  let world: World;
  let runtime: TestRuntime;
  let api: Awaited<ReturnType<typeof startApi>>;
  const recorded = recordingLogger();
  const metrics = createMetrics();
  const metric = async (name: string) =>
    ((await metrics.registry.getMetricsAsJSON()).find((entry) => entry.name === name)?.values ?? []) as {
      value: number;
      labels: Record<string, string | number>;
      metricName?: string;
    }[];

  before(async () => {
    if (!process.env.TEMPORAL_ADDRESS) {
      ownServer = await startTemporalDevServer();
      process.env.TEMPORAL_ADDRESS = ownServer.address;
    }
    sim = await createBuli2Simulator({ apiKey: API_KEY, webhookSecrets: SECRETS, fetchImages: true });
    world = await createWorld({
      overrides: {
        BULI2_URL: sim.url,
        BULI2_API_KEY: API_KEY,
        BULI2_WEBHOOK_SECRETS: SECRETS.join(','),
        // Small numbers, so that outages, the circuit and the backoff play out in seconds.
        BULI2_TIMEOUT_MS: '400',
        BULI2_BREAKER_FAILURES: '3',
        BULI2_BREAKER_HALF_OPEN_MS: '1500',
        BULI2_RETRY_INITIAL_MS: '200',
        BULI2_RETRY_MAX_INTERVAL_MS: '400',
      },
    });
    runtime = await world.runtime();
    api = await startApi(world, runtime, { logger: recorded.logger, metrics });
    // The image links point at this API, whose port is known only now.
    world.config.imageLinks.publicUrl = api.url;
    sim.setCallbackUrl(`${api.url}/internal/buli2/callback`);
  });
  after(async () => {
    await api?.close();
    await world?.close();
    await sim?.close();
    if (ownServer) {
      delete process.env.TEMPORAL_ADDRESS;
      await ownServer.stop();
    }
  });
  beforeEach(() => sim.clearFaults());

  async function toReview(): Promise<string> {
    const document = newDocument();
    // The bytes behind the signed image link (a made-up JPEG start: no card, no person).
    await api.storage.put(document.storageKey, IMAGE);
    return documentInReview(runtime.documents, document);
  }

  const forwardedReview = async (documentId: string, timeoutMs = 15_000) => {
    await waitFor(async () => sim.reviews().some((review) => review.document_id === documentId), timeoutMs, 'forward');
    const review = sim.reviews().find((candidate) => candidate.document_id === documentId);
    assert.ok(review);
    return review;
  };
  const statusOf = (id: string) =>
    world.pool.oneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM documents WHERE id = ${id}`);
  const decisions = (id: string) =>
    world.pool.any(sql.type(z.object({ actor_type: z.string(), actor_id: z.string(), to_status: z.string() }))`
      SELECT actor_type, actor_id, to_status FROM document_events
      WHERE document_id = ${id} AND event_type = 'REVIEW_DECIDED'`);
  const reviewer = () => ({ authorization: `Bearer ${api.tokenFor('reviewer-1', 'reviewer')}` });
  const detail = async (id: string) =>
    (await (await fetch(`${api.url}/internal/reviews/${id}`, { headers: reviewer() })).json()) as {
      review: { reviewId: string | null; buli2: string | null; externalFailure: string | null } | null;
    };
  /** A callback as BULI2 sends it, signed with `secret` at `at` (unix seconds). */
  const callback = (
    body: Record<string, unknown>,
    options: { secret?: string; at?: number; signature?: string | null; headers?: Record<string, string> } = {},
  ) => {
    const raw = JSON.stringify(body);
    const signature =
      options.signature === undefined
        ? signBuli2Body(options.secret ?? (SECRETS[0] as string), raw, options.at ?? Date.now() / 1000)
        : options.signature;
    return fetch(`${api.url}/internal/buli2/callback`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signature === null ? {} : { [BULI2_SIGNATURE_HEADER]: signature }),
        ...options.headers,
      },
      body: raw,
    });
  };

  it('should forward a review, take BULI2 decision back, and apply it as source buli2', async () => {
    const id = await toReview();
    const review = await forwardedReview(id);
    assert.equal(review.document_type, 'KTP');
    assert.deepEqual(review.reason_codes, ['NAME_UNREADABLE']);
    assert.equal(review.forwardCount, 1);
    // The signed link in the forward served the image to BULI2.
    await sim.settled();
    assert.equal(sim.review(review.review_id)?.imageFetchStatus, 200);
    await waitFor(async () => (await detail(id)).review?.buli2 === 'forwarded', 10_000, 'forwarded state');
    assert.equal((await detail(id)).review?.reviewId, review.review_id);

    const outcome = await sim.decide(review.review_id, { decision: 'reject', reviewer: 'buli2-reviewer-7' });
    assert.deepEqual(outcome.callbacks, [{ status: 200 }]);
    assert.equal(await statusOf(id), 'rejected');
    assert.deepEqual(await decisions(id), [
      { actor_type: 'buli2', actor_id: 'buli2-reviewer-7', to_status: 'rejected' },
    ]);
    const history = (await (await fetch(`${api.url}/documents/${id}/history`, { headers: reviewer() })).json()) as {
      items?: { eventType?: string; actor?: { type: string } }[];
    };
    assert.ok(JSON.stringify(history).includes('buli2'), 'the history names BULI2 as the actor');
    await waitFor(async () => (await detail(id)).review?.buli2 === 'decided', 10_000, 'decided state');
    assert.equal(sim.review(review.review_id)?.state, 'decided');
  });

  it('should take a callback that comes before the forward has even been answered', async () => {
    // BULI2 takes the review and decides it at once, while its answer to the forward is on its way.
    sim.addFault({ operation: 'forward', mode: 'slow', delayMs: 1500, count: 1 });
    const id = await toReview();
    const reviewId = await waitFor(
      async () =>
        world.pool.maybeOneFirst(sql.type(z.object({ review_id: z.string().nullable() }))`
          SELECT review_id FROM review_workflows WHERE document_id = ${id}`),
      10_000,
      'the review id recorded before the forward',
    );
    assert.equal(
      sim.reviews().some((review) => review.document_id === id),
      false,
      'the forward is still in flight',
    );
    const answer = await callback({
      review_id: reviewId,
      document_id: id,
      decision: 'approve',
      reviewer: 'buli2-reviewer-9',
      decided_at: new Date().toISOString(),
    });
    assert.equal(answer.status, 200);
    assert.equal(await statusOf(id), 'approved');
    // The forward then fails on its timeout (the answer is slower than BULI2_TIMEOUT_MS): its late
    // `retrying` does not undo where the review ended.
    await waitFor(
      async () =>
        recorded.entries.some((entry) => entry.message === 'buli2.forward_failed' && entry.fields?.documentId === id),
      10_000,
      'the forward to time out',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await detail(id)).review?.buli2, 'decided');
  });

  it('should open the circuit while BULI2 answers 500, send no storm, and deliver the review once after recovery', async () => {
    sim.addFault({ operation: 'forward', mode: 'error', status: 500 });
    const before = sim.stats().requests.forward;
    const id = await toReview();
    // The circuit opens after 3 failures; then calls fail at once for 1.5 s, and one goes through.
    await waitFor(
      async () => recorded.entries.some((entry) => entry.message === 'buli2.circuit_open'),
      15_000,
      'the circuit to open',
    );
    await waitFor(async () => (await detail(id)).review?.buli2 === 'retrying', 10_000, 'retrying state');
    const openedAt = sim.stats().requests.forward;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const duringOutage = sim.stats().requests.forward - openedAt;
    // Retries every 200–400 ms for 3 s would be about 10 requests without the breaker; with it, one
    // probe per half-open delay (1.5 s) gets through.
    assert.ok(duringOutage <= 3, `${duringOutage} requests reached BULI2 in 3 s of an open circuit`);
    sim.clearFaults();
    const review = await forwardedReview(id, 20_000);
    await waitFor(
      async () => recorded.entries.some((entry) => entry.message === 'buli2.circuit_closed'),
      10_000,
      'the circuit to close',
    );
    assert.equal(review.forwardCount, 1, 'delivered exactly once');
    const retries = await metric('filot_buli2_retry_count');
    assert.ok(
      retries.some((value) => value.labels.operation === 'forward' && value.value >= 3),
      JSON.stringify(retries),
    );
    assert.deepEqual(
      (await metric('filot_buli2_circuit_state')).map((value) => value.value),
      [0],
    );
    const latencies = await metric('filot_buli2_forward_latency_ms');
    for (const outcome of ['ok', 'retryable'])
      assert.ok(
        latencies.some(
          (value) => value.labels.outcome === outcome && value.metricName?.endsWith('_count') && value.value > 0,
        ),
        outcome,
      );
    assert.equal(sim.reviews().filter((candidate) => candidate.document_id === id).length, 1);
    assert.ok(sim.stats().requests.forward - before < 12, 'a bounded number of requests in all');
    await sim.decide(review.review_id);
    assert.equal(await statusOf(id), 'approved');
  });

  it('should give up on a hanging BULI2 within its timeout, honour a 429 Retry-After, and then deliver', async () => {
    sim.addFault({ operation: 'forward', mode: 'hang', count: 1 });
    sim.addFault({ operation: 'forward', mode: 'rate_limit', retryAfterS: 2, count: 1 });
    const started = performance.now();
    const id = await toReview();
    const review = await forwardedReview(id, 20_000);
    const took = performance.now() - started;
    // The hang cost a timeout (0.4 s); the 429 asked for 2 s, longer than the backoff (≤ 0.4 s).
    assert.ok(took >= 2000, `delivered after ${Math.round(took)} ms, before the Retry-After had passed`);
    assert.equal(review.forwardCount, 1);
    const failures = recorded.entries.filter(
      (entry) => entry.message === 'buli2.forward_failed' && entry.fields?.documentId === id,
    );
    assert.deepEqual(
      failures.map((entry) => [entry.fields?.retryable, entry.fields?.status ?? null]),
      [
        [true, null],
        [true, 429],
      ],
    );
    await sim.decide(review.review_id);
    assert.equal(await statusOf(id), 'approved');
  });

  it('should apply one REVIEW_DECIDED for duplicate and out-of-order callbacks', async () => {
    const duplicated = await toReview();
    const first = await forwardedReview(duplicated);
    const twice = await sim.decide(first.review_id, { decision: 'approve', duplicate: true });
    assert.deepEqual(twice.callbacks, [{ status: 200 }, { status: 200 }]);
    assert.equal((await decisions(duplicated)).length, 1);

    const reordered = await toReview();
    const second = await forwardedReview(reordered);
    // Approve, then a reject decided "earlier" arriving later: the first to arrive wins.
    const outOfOrder = await sim.decide(second.review_id, { decision: 'approve', followedBy: { decision: 'reject' } });
    assert.deepEqual(outOfOrder.callbacks, [{ status: 200 }, { status: 409 }]);
    assert.equal(await statusOf(reordered), 'approved');
    assert.equal((await decisions(reordered)).length, 1);
  });

  it('should answer 401 to tampered, stale, replayed, unsigned and JWT-only callbacks, and change nothing', async () => {
    const id = await toReview();
    const review = await forwardedReview(id);
    const body = {
      review_id: review.review_id,
      document_id: id,
      decision: 'approve',
      reviewer: 'buli2-reviewer-1',
      decided_at: new Date().toISOString(),
    };
    for (const outcome of [
      await sim.decide(review.review_id, { badSignature: true }),
      await sim.decide(review.review_id, { staleTimestamp: true }),
      await sim.decide(review.review_id, { unsigned: true }),
    ])
      assert.deepEqual(outcome.callbacks, [{ status: 401 }]);
    const now = Date.now() / 1000;
    const answers = [
      // A callback captured and replayed after the tolerance: its old signature no longer passes.
      await callback(body, { at: now - 301 }),
      await callback(body, { secret: 'a-secret-that-buli2-was-never-given-0123' }),
      await callback(body, { signature: null, headers: reviewer() }),
    ];
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [401, 401, 401],
    );
    assert.equal(await statusOf(id), 'needs_review');
    assert.equal((await decisions(id)).length, 0);
    // Signed with the second secret (a rotation under way): taken.
    assert.equal((await callback(body, { secret: SECRETS[1] })).status, 200);
    assert.equal(await statusOf(id), 'approved');
  });

  it('should withdraw the review from BULI2 when an internal reviewer decides first, and refuse its late callback', async () => {
    const id = await toReview();
    const review = await forwardedReview(id);
    const decided = await fetch(`${api.url}/internal/reviews/${id}/decision`, {
      method: 'POST',
      headers: { ...reviewer(), 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approve', reason: 'Checked against the image.' }),
    });
    assert.equal(decided.status, 200);
    await waitFor(async () => sim.review(review.review_id)?.state === 'withdrawn', 10_000, 'the withdrawal');
    await waitFor(async () => (await detail(id)).review?.buli2 === 'withdrawn', 10_000, 'withdrawn state');
    assert.ok(recorded.entries.some((entry) => entry.message === 'buli2.withdraw' && entry.fields?.documentId === id));
    // BULI2's reviewer decided anyway, before the withdrawal reached them.
    const late = await callback({
      review_id: review.review_id,
      document_id: id,
      decision: 'reject',
      reviewer: 'buli2-reviewer-3',
      decided_at: new Date().toISOString(),
    });
    assert.equal(late.status, 409);
    assert.equal(await statusOf(id), 'approved');
    assert.deepEqual(await decisions(id), [{ actor_type: 'reviewer', actor_id: 'reviewer-1', to_status: 'approved' }]);
  });

  it('should withdraw the review from BULI2 when its external part fails, and keep it decidable here', async () => {
    const id = await toReview();
    const review = await forwardedReview(id);
    await world.reviews?.client.failReviewWorkflow(id, 'BULI2 reviewers could not open the case');
    await waitFor(async () => sim.review(review.review_id)?.state === 'withdrawn', 10_000, 'the withdrawal');
    const { review: record } = await detail(id);
    assert.equal(record?.externalFailure, 'BULI2 reviewers could not open the case');
    await waitFor(async () => (await detail(id)).review?.buli2 === 'withdrawn', 10_000, 'withdrawn state');
    assert.equal(await statusOf(id), 'needs_review');
    const decided = await fetch(`${api.url}/internal/reviews/${id}/decision`, {
      method: 'POST',
      headers: { ...reviewer(), 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approve', reason: 'Checked against the image.' }),
    });
    assert.equal(decided.status, 200);
    assert.equal(await statusOf(id), 'approved');
  });

  it('should flag the document for the internal queue when BULI2 refuses the forward for good', async () => {
    sim.addFault({ operation: 'forward', mode: 'refuse', status: 403, count: 1 });
    const before = sim.stats().requests.forward;
    const id = await toReview();
    await waitFor(async () => (await detail(id)).review?.externalFailure !== null, 15_000, 'the flag');
    const { review } = await detail(id);
    assert.equal(review?.buli2, 'failed');
    assert.equal(review?.externalFailure, 'BULI2 refused the review');
    assert.equal(sim.stats().requests.forward - before, 1, 'a refusal is not retried');
    const queue = (await (await fetch(`${api.url}/internal/reviews?limit=1`, { headers: reviewer() })).json()) as {
      items: { id: string }[];
    };
    assert.equal(queue.items[0]?.id, id, 'first in the internal queue');
    // Still decidable, internally.
    const decided = await fetch(`${api.url}/internal/reviews/${id}/decision`, {
      method: 'POST',
      headers: { ...reviewer(), 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'reject', reason: 'Not the applicant.' }),
    });
    assert.equal(decided.status, 200);
  });

  it('should write no NIK, name or secret into any log line of the whole flow', () => {
    assert.ok(recorded.entries.length > 20, 'the flow logged');
    const text = JSON.stringify(recorded.entries);
    for (const secret of [...PII, ...SECRETS, API_KEY, DEVELOPMENT_SECRETS.IMAGE_LINK_SECRET])
      assert.equal(text.includes(secret), false, 'a log line holds PII or a secret');
    assert.equal(/\b\d{16}\b/.test(text), false, 'a log line holds a 16-digit number (a NIK or an NPWP)');
  });
});
