import { sql } from 'slonik';
import { z } from 'zod';
import { completeOcr, evaluateAndDecide, newDocument, REVIEW_EVALUATION } from '../test/support/harness.ts';
import { openReviewStack, type ReviewStack } from './reviewStack.ts';
import { type CpuUse, cpuMeter, forEachConcurrent, percentile, phase, sleep } from './support.ts';

/**
 * Reviewers' decisions through the review workflows, end to end on a local Temporal dev server: the
 * documents are in `needs_review` with their workflows started (the start effect delivered), then
 * each decision is a reviewer's POST /internal/reviews/:id/decision over HTTP to the API as main.ts
 * serves it: the route sends the Update, the workflow validates it, its activity sends
 * REVIEW_DECIDED through the runtime's send(), and the route answers 200 once the document is
 * decided. One process runs the API, the engine, the review worker and the callers, as `npm start`
 * runs the first three; the dev server is another.
 */
export type ReviewThroughputOptions = { documents: number; concurrency: number; poolSize: number };

export type ReviewThroughputFigures = {
  documents: number;
  concurrency: number;
  decisionsPerS: number;
  p50Ms: number;
  p99Ms: number;
  cpu: CpuUse;
};

export async function reviewThroughput(options: ReviewThroughputOptions): Promise<ReviewThroughputFigures> {
  let stack: ReviewStack | undefined;
  try {
    stack = await openReviewStack({ name: 'review', poolSize: options.poolSize });
    const { engine, url } = stack;
    const authorization = stack.authorization('bench-reviewer', 'reviewer');
    phase('review.setup');
    const ids: string[] = [];
    await forEachConcurrent(options.documents, options.concurrency, async () => {
      const document = newDocument({ ownerId: 'bench-review' });
      await engine.runtime.documents.create(document, { type: 'user', id: 'bench-review' });
      await completeOcr(engine.runtime.documents, document.id);
      await evaluateAndDecide(engine.runtime.documents, document.id, REVIEW_EVALUATION);
      ids.push(document.id);
    });
    // Every review started (the start effects delivered) before the clock runs.
    for (;;) {
      const started = await engine.pool.oneFirst(
        sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM review_workflows`,
      );
      if (started >= ids.length) break;
      await sleep(50);
    }

    phase('review.timed');
    const latencies: number[] = [];
    const cpu = cpuMeter();
    const started = performance.now();
    let next = 0;
    await forEachConcurrent(ids.length, options.concurrency, async () => {
      const id = ids[next++] as string;
      const begun = performance.now();
      const response = await fetch(`${url}/internal/reviews/${id}/decision`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json', 'x-request-id': crypto.randomUUID() },
        body: JSON.stringify({ decision: 'approve', reason: 'Bench: checked.' }),
      });
      const answer = await response.text();
      if (response.status !== 200) throw new Error(`decision answered ${response.status} for ${id}: ${answer}`);
      latencies.push(performance.now() - begun);
    });
    const seconds = (performance.now() - started) / 1000;
    const cpuUse = cpu();
    phase('review.done');
    return {
      documents: ids.length,
      concurrency: options.concurrency,
      decisionsPerS: ids.length / seconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      cpu: cpuUse,
    };
  } finally {
    await stack?.close();
  }
}
