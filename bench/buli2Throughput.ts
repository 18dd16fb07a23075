import { sql } from 'slonik';
import { z } from 'zod';
import { signBuli2Body } from '../server/http/buli2Signature.ts';
import { type Buli2Simulator, createBuli2Simulator } from '../simulators/buli2/simulator.ts';
import { completeOcr, newDocument, REVIEW_EVALUATION } from '../test/support/harness.ts';
import { openReviewStack, type ReviewStack } from './reviewStack.ts';
import { type CpuUse, cpuMeter, forEachConcurrent, percentile, phase, sleep, weightedCpu } from './support.ts';

/**
 * BULI2 both ways, end to end on a local Temporal dev server, with the BULI2 simulator
 * (simulators/buli2) as the far side, over HTTP both ways. One process runs the API, the engine, the
 * review worker (with its BULI2 client, as main.ts composes them), the simulator and the callers;
 * the dev server is another.
 *
 * Forwards: the documents are created and read (OCR, evaluation) untimed; then each is sent DECIDE,
 * `concurrency` at a time, which puts it in `needs_review`. From there everything is FiLot's: the
 * start effect starts its review workflow, the workflow runs `forwardToBuli2`, and the activity POSTs
 * the review to the simulator. `forwardsPerS` is the number of documents over the time from the
 * first document in `needs_review` (its DECIDE answered) to the last review the simulator accepted
 * (its 201, timed by the simulator's log call as it takes the review).
 *
 * Callbacks: once every review is forwarded (the simulator holds it and FiLot recorded it as
 * forwarded), each is decided by a callback as BULI2 sends it:
 * the same body and `X-Buli2-Signature` the simulator sends (signBuli2Body, first webhook secret),
 * POSTed with fetch to `POST /internal/buli2/callback`, `concurrency` in flight. The body is built
 * and signed before the clock starts, so a latency is exactly the callback's round trip: the POST
 * until FiLot's whole answer is read, and the route answers only once the Update is applied (the
 * document decided). `sim.decide()` is not used because it also validates the callback against the
 * contract's schema and signs it inside the measured call.
 *
 * A warm-up of `concurrency` documents goes the whole way first (untimed), so that the lazy
 * Temporal connection, the BULI2 client's connections and the routes are warm, as in the review
 * bench, whose setup starts every workflow before its clock runs.
 */
export type Buli2ThroughputOptions = { documents: number; concurrency: number; poolSize: number };

export type Buli2ThroughputFigures = {
  documents: number;
  concurrency: number;
  forwardsPerS: number;
  /** Seconds from the first document in needs_review to the last review the simulator took. */
  forwardSeconds: number;
  /** Forward requests that reached the simulator in the timed part (more than `documents`: retries). */
  forwardRequests: number;
  callbackP50Ms: number;
  callbackP99Ms: number;
  /** Both timed parts together (forwards, then callbacks), weighted by their durations. */
  cpu: CpuUse;
};

const API_KEY = 'bench-buli2-api-key-0123456789abcdef0123';
const WEBHOOK_SECRETS = ['bench-buli2-webhook-secret-0123456789abcdef'];
const REVIEWER = 'buli2-bench-reviewer';
/** Generous: on the 2-core box 300 forwards took a few seconds. */
const FORWARD_TIMEOUT_MS = 120_000;

const statusRow = z.object({ id: z.string(), status: z.string() });

export async function buli2Throughput(options: Buli2ThroughputOptions): Promise<Buli2ThroughputFigures> {
  let sim: Buli2Simulator | undefined;
  let stack: ReviewStack | undefined;
  // When the simulator took each review (its 201), by review id: the simulator logs as it takes one.
  const heldAt = new Map<string, number>();
  try {
    sim = await createBuli2Simulator({
      apiKey: API_KEY,
      webhookSecrets: WEBHOOK_SECRETS,
      logger: {
        info(message, fields) {
          const { review_id: reviewId, status } = (fields ?? {}) as { review_id?: string; status?: number };
          if (message === 'buli2 simulator: review forwarded' && status === 201 && reviewId !== undefined)
            heldAt.set(reviewId, performance.now());
        },
      },
    });
    const simulator = sim;
    stack = await openReviewStack({
      name: 'buli2',
      poolSize: options.poolSize,
      buli2: { url: simulator.url, apiKey: API_KEY, webhookSecrets: WEBHOOK_SECRETS },
    });
    const { engine: opened, url } = stack;
    simulator.setCallbackUrl(`${url}/internal/buli2/callback`);
    const documents = opened.runtime.documents;

    /** Documents created and read, one DECIDE short of needs_review. */
    const readied = async (count: number) => {
      const ids: string[] = [];
      await forEachConcurrent(count, options.concurrency, async () => {
        const document = newDocument({ ownerId: 'bench-buli2' });
        await documents.create(document, { type: 'user', id: 'bench-buli2' });
        await completeOcr(documents, document.id);
        await documents.send(
          document.id,
          { type: 'AI_EVALUATED', ...REVIEW_EVALUATION },
          { type: 'system', id: 'bench-buli2' },
        );
        ids.push(document.id);
      });
      return ids;
    };

    /** DECIDE for each, `concurrency` at a time; the time the first was in needs_review. */
    const toReview = async (ids: readonly string[]) => {
      let first: number | undefined;
      let next = 0;
      await forEachConcurrent(ids.length, options.concurrency, async () => {
        const id = ids[next++] as string;
        const result = await documents.send(id, { type: 'DECIDE' }, { type: 'system', id: 'bench-buli2' });
        if (result.status !== 'needs_review') throw new Error(`DECIDE put ${id} in ${result.status}, not needs_review`);
        first ??= performance.now();
      });
      return first as number;
    };

    /** Until the simulator holds a review of each document: the review id of each. */
    const held = async (ids: readonly string[]) => {
      const wanted = new Set(ids);
      const deadline = performance.now() + FORWARD_TIMEOUT_MS;
      const holding = () => simulator.reviews().filter((review) => wanted.has(review.document_id));
      while (holding().length < ids.length) {
        if (performance.now() > deadline) {
          const stats = simulator.stats();
          throw new Error(
            `only ${holding().length} of ${ids.length} reviews reached the BULI2 simulator in ${FORWARD_TIMEOUT_MS / 1000} s (forward requests ${stats.requests.forward}, answers ${JSON.stringify(stats.answered)})`,
          );
        }
        await sleep(20);
      }
      return new Map(holding().map((review) => [review.document_id, review.review_id]));
    };

    /**
     * Until FiLot recorded each review forwarded, so that the callbacks' window does not overlap
     * the forwards' (the route would find each review anyway: its id is recorded before the forward).
     */
    const recorded = async (ids: readonly string[]) => {
      const deadline = performance.now() + FORWARD_TIMEOUT_MS;
      for (;;) {
        const count = await opened.pool.oneFirst(
          sql.type(z.object({ n: z.number() }))`
            SELECT count(*)::int AS n FROM review_workflows
            WHERE document_id = ANY(${sql.array(ids, 'uuid')}) AND buli2_state = 'forwarded'`,
        );
        if (count >= ids.length) return;
        if (performance.now() > deadline)
          throw new Error(
            `only ${count} of ${ids.length} reviews were recorded forwarded in ${FORWARD_TIMEOUT_MS / 1000} s`,
          );
        await sleep(20);
      }
    };

    /** One callback per document, `concurrency` in flight; each one's round trip, in ms. */
    const callBack = async (ids: readonly string[], reviewIds: Map<string, string>) => {
      const latencies: number[] = [];
      let next = 0;
      await forEachConcurrent(ids.length, options.concurrency, async () => {
        const index = next++;
        const documentId = ids[index] as string;
        // One in four rejected, so both outcomes are applied.
        const decision = index % 4 === 3 ? 'reject' : 'approve';
        const rawBody = JSON.stringify({
          review_id: reviewIds.get(documentId),
          document_id: documentId,
          decision,
          reviewer: REVIEWER,
          decided_at: new Date().toISOString(),
        });
        const signature = signBuli2Body(WEBHOOK_SECRETS[0] as string, rawBody, Date.now() / 1000);
        const begun = performance.now();
        const response = await fetch(`${url}/internal/buli2/callback`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Buli2-Signature': signature },
          body: rawBody,
          redirect: 'manual',
        });
        const answer = await response.text();
        const took = performance.now() - begun;
        if (response.status !== 200)
          throw new Error(`callback answered ${response.status} for ${documentId}: ${answer}`);
        latencies.push(took);
      });
      return latencies;
    };

    /** Every document decided in Postgres as its callback said. */
    const checkDecided = async (ids: readonly string[]) => {
      const rows = await opened.pool.any(
        sql.type(statusRow)`SELECT id, status FROM documents WHERE id = ANY(${sql.array(ids, 'uuid')})`,
      );
      const status = new Map(rows.map((row) => [row.id, row.status]));
      ids.forEach((id, index) => {
        const expected = index % 4 === 3 ? 'rejected' : 'approved';
        if (status.get(id) !== expected) throw new Error(`${id} ended ${status.get(id)}, not ${expected}`);
      });
    };

    phase('buli2.setup');
    const warmup = await readied(options.concurrency);
    await toReview(warmup);
    const warmupReviews = await held(warmup);
    await recorded(warmup);
    await callBack(warmup, warmupReviews);
    await checkDecided(warmup);
    const ids = await readied(options.documents);
    simulator.reset();
    heldAt.clear();

    phase('buli2.forwards');
    const forwardCpu = cpuMeter();
    const firstInReview = await toReview(ids);
    const reviewIds = await held(ids);
    const forwardWindow = forwardCpu();
    const lastHeld = Math.max(...[...reviewIds.values()].map((reviewId) => heldAt.get(reviewId) ?? Number.NaN));
    if (Number.isNaN(lastHeld)) throw new Error('the simulator did not log every review it took');
    const forwardSeconds = (lastHeld - firstInReview) / 1000;
    const forwardRequests = simulator.stats().requests.forward;
    await recorded(ids);

    phase('buli2.callbacks');
    const callbackCpu = cpuMeter();
    const callbacksStarted = performance.now();
    const latencies = await callBack(ids, reviewIds);
    const callbackWindow = callbackCpu();
    const callbackSeconds = (performance.now() - callbacksStarted) / 1000;
    await checkDecided(ids);
    phase('buli2.done');
    return {
      documents: ids.length,
      concurrency: options.concurrency,
      forwardsPerS: ids.length / forwardSeconds,
      forwardSeconds,
      forwardRequests,
      callbackP50Ms: percentile(latencies, 50),
      callbackP99Ms: percentile(latencies, 99),
      cpu: weightedCpu([
        { cpu: forwardWindow, seconds: forwardSeconds },
        { cpu: callbackWindow, seconds: callbackSeconds },
      ]),
    };
  } finally {
    await stack?.close();
    // After the stack: a forward still in flight when the worker stops (a failed run) gets its answer.
    await sim?.close();
  }
}
