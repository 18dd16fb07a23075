import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';

/**
 * What Postgres keeps of each document's review workflow (db/migrations/000003): that it was
 * started, and whether its external part failed. Temporal holds the workflow; this is what the
 * sweeper and the internal queue read without asking it.
 */
const toReview = z.object({
  type: z.enum(['KTP', 'NPWP']),
  status: z.string(),
  reasons: z.array(z.string()),
});

const recordedDecision = z.object({
  decision: z.enum(['approve', 'reject']),
  reviewerId: z.string(),
  source: z.enum(['internal', 'buli2']),
});

export function createReviewRecords(pool: DatabasePool) {
  return {
    /**
     * What a review workflow is started with: the document's type and the reason codes that sent it
     * to review (the policy's, or the OCR failure that did); null unless it is in `needs_review`.
     */
    async toReview(documentId: string): Promise<{ type: 'KTP' | 'NPWP'; reasons: string[] } | null> {
      const row = await pool.maybeOne(sql.type(toReview)`
        SELECT type, status,
               coalesce(
                 (SELECT array_agg(reason->>'code') FROM jsonb_array_elements(evaluation->'reasons') AS reason),
                 ARRAY[coalesce(snapshot->'context'->>'reviewReason', 'unknown')]) AS reasons
        FROM documents WHERE id = ${documentId}`);
      return row && row.status === 'needs_review' ? { type: row.type, reasons: row.reasons } : null;
    },

    async recordStarted(documentId: string, workflowId: string): Promise<void> {
      await pool.query(sql.unsafe`
        INSERT INTO review_workflows (document_id, workflow_id) VALUES (${documentId}, ${workflowId})
        ON CONFLICT (document_id) DO NOTHING`);
    },

    /** The SLA phase the review reached; never back to an earlier one. */
    async recordPhase(documentId: string, workflowId: string, phase: 'reminded' | 'escalated'): Promise<void> {
      await pool.query(sql.unsafe`
        INSERT INTO review_workflows (document_id, workflow_id, phase) VALUES (${documentId}, ${workflowId}, ${phase})
        ON CONFLICT (document_id) DO UPDATE
          SET phase = CASE WHEN review_workflows.phase = 'escalated' THEN 'escalated' ELSE excluded.phase END`);
    },

    /** Flags the document for the internal queue; the first failure's reason is kept. */
    async flagExternalFailure(documentId: string, workflowId: string, reason: string): Promise<void> {
      await pool.query(sql.unsafe`
        INSERT INTO review_workflows (document_id, workflow_id, external_failure, flagged_at)
        VALUES (${documentId}, ${workflowId}, ${reason.slice(0, 2000) || 'unspecified'}, now())
        ON CONFLICT (document_id) DO UPDATE
          SET external_failure = coalesce(review_workflows.external_failure, excluded.external_failure),
              flagged_at = coalesce(review_workflows.flagged_at, excluded.flagged_at)`);
    },

    /** The review's id as BULI2 will know it; the first one recorded stays. */
    async recordReviewId(documentId: string, workflowId: string, reviewId: string): Promise<void> {
      await pool.query(sql.unsafe`
        INSERT INTO review_workflows (document_id, workflow_id, review_id)
        VALUES (${documentId}, ${workflowId}, ${reviewId})
        ON CONFLICT (document_id) DO UPDATE
          SET review_id = coalesce(review_workflows.review_id, excluded.review_id)`);
    },

    /**
     * The review's BULI2 state, with its review id. A late attempt's `retrying` or `forwarded`
     * never overwrites where the review ended (`failed`, `withdrawn`, `decided`).
     */
    async recordBuli2State(
      documentId: string,
      workflowId: string,
      reviewId: string,
      state: 'forwarded' | 'retrying' | 'failed' | 'withdrawn' | 'decided',
    ): Promise<void> {
      await pool.query(sql.unsafe`
        INSERT INTO review_workflows (document_id, workflow_id, review_id, buli2_state)
        VALUES (${documentId}, ${workflowId}, ${reviewId}, ${state})
        ON CONFLICT (document_id) DO UPDATE
          SET review_id = coalesce(review_workflows.review_id, excluded.review_id),
              buli2_state = CASE
                WHEN review_workflows.buli2_state IN ('failed', 'withdrawn', 'decided')
                 AND excluded.buli2_state IN ('retrying', 'forwarded')
                THEN review_workflows.buli2_state
                ELSE excluded.buli2_state END`);
    },

    /** The reviewer's decision the document recorded (its machine's `review`), or null before one. */
    async decisionOf(
      documentId: string,
    ): Promise<{ decision: 'approve' | 'reject'; reviewerId: string; source: 'internal' | 'buli2' } | null> {
      const review = await pool.maybeOneFirst(sql.type(z.object({ review: recordedDecision.nullable() }))`
        SELECT snapshot->'context'->'review' AS review FROM documents WHERE id = ${documentId}`);
      return review ?? null;
    },

    /** The document a BULI2 review id belongs to, or null when no review was forwarded with it. */
    async documentOfReview(reviewId: string): Promise<string | null> {
      return pool.maybeOneFirst(sql.type(z.object({ document_id: z.string() }))`
        SELECT document_id FROM review_workflows WHERE review_id = ${reviewId}`);
    },
  };
}

export type ReviewRecords = ReturnType<typeof createReviewRecords>;
