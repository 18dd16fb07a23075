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
  };
}

export type ReviewRecords = ReturnType<typeof createReviewRecords>;
