import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { DOCUMENT_TYPES } from '../../domain/documentType.ts';
import { reasonSchema } from '../../domain/reasons.ts';
import { DOCUMENT_STATUSES } from '../../machines/document.machine.ts';
import type {
  DocumentQueries,
  DocumentSummary,
  DocumentView,
  Page,
  PagePosition,
  ReviewQueue,
  ReviewRecord,
  ReviewRecordOf,
  ReviewSummary,
  SameNikDocument,
  SameNikDocuments,
} from '../../server/ports.ts';
import { piiContext } from './documentStore.ts';
import type { PiiCipher } from './piiCipher.ts';

/** The API's read models (server/ports.ts): what a document looks like to its owner or a reviewer. */

const ISO_UTC = sql.fragment`'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

// Checked against the port's type, so a column the API needs cannot go missing here unnoticed.
const summaryRow = z.object({
  id: z.string(),
  ownerId: z.string(),
  type: z.enum(DOCUMENT_TYPES),
  status: z.enum(DOCUMENT_STATUSES),
  evaluation: z.object({ score: z.number(), reasons: z.array(reasonSchema), policyVersion: z.string() }).nullable(),
  gpuProcessed: z.boolean().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
}) satisfies z.ZodType<DocumentSummary>;
const reviewRecord = z.object({
  workflowId: z.string(),
  phase: z.enum(['waiting', 'reminded', 'escalated']),
  externalFailure: z.string().nullable(),
  reviewId: z.string().nullable(),
  buli2: z.enum(['forwarded', 'retrying', 'failed', 'withdrawn', 'decided']).nullable(),
}) satisfies z.ZodType<ReviewRecord>;
const reviewClaim = z.object({ reviewerId: z.string(), expiresAt: z.string() });
const reviewSummaryRow = summaryRow.extend({
  review: reviewRecord.nullable(),
  claim: reviewClaim.nullable(),
}) satisfies z.ZodType<ReviewSummary>;
const viewRow = summaryRow.extend({
  fieldsEnc: z.instanceof(Buffer).nullable(),
  storageKey: z.string(),
  mime: z.string(),
});

const columns = sql.fragment`
  id, owner_id AS "ownerId", type, status, evaluation, gpu_processed AS "gpuProcessed",
  to_char(created_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "createdAt",
  to_char(updated_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "updatedAt"`;

/**
 * A page of `limit` rows out of `rows` (fetched with one more than asked, so a further page is
 * known without counting), and where the next page starts: after the last row's `position`.
 */
function pageOf<Row extends DocumentSummary>(
  rows: readonly Row[],
  limit: number,
  position: (row: Row) => PagePosition,
): Page<Row> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? position(last) : null };
}

export function createDocumentQueries(pool: DatabasePool, cipher: PiiCipher): DocumentQueries {
  return {
    async view(documentId: string): Promise<DocumentView | null> {
      const row = await pool.maybeOne(sql.type(viewRow)`
        SELECT ${columns}, fields_enc AS "fieldsEnc", storage_key AS "storageKey", mime
        FROM documents WHERE id = ${documentId}`);
      if (!row) return null;
      const { fieldsEnc, ...summary } = row;
      // The stored id, not the one asked for: the associated data was written with the canonical form.
      const fields = fieldsEnc
        ? (JSON.parse(cipher.decrypt(fieldsEnc, piiContext(row.id, 'fields'))) as Record<string, string | null>)
        : null;
      return { ...summary, fields };
    },

    async listByOwner(ownerId, page) {
      const rows = await pool.any(sql.type(summaryRow)`
        SELECT ${columns} FROM documents
        WHERE owner_id = ${ownerId}
          ${page.after ? sql.fragment`AND (created_at, id) < (${page.after.at}::timestamptz, ${page.after.id}::uuid)` : sql.fragment``}
        ORDER BY created_at DESC, id DESC
        LIMIT ${page.limit + 1}`);
      return pageOf(rows, page.limit, (row) => ({ at: row.createdAt, id: row.id }));
    },
  };
}

/**
 * A flagged document (its external review failed) comes before every other, in the order it was
 * flagged: its place in the queue is its flag time moved 50 years back, so one ordered key (and the
 * cursor's one timestamp) serves both. The rest wait in the order they entered review.
 */
const queueRow = reviewSummaryRow.extend({ queueAt: z.string() });

export function createReviewQueue(pool: DatabasePool): ReviewQueue {
  return async (page) => {
    const rows = await pool.any(sql.type(queueRow)`
      SELECT ${columns},
             CASE WHEN r.document_id IS NULL THEN NULL ELSE json_build_object(
               'workflowId', r.workflow_id, 'phase', r.phase, 'externalFailure', r.external_failure,
               'reviewId', r.review_id, 'buli2', r.buli2_state) END AS review,
             CASE WHEN c.document_id IS NULL THEN NULL ELSE json_build_object(
               'reviewerId', c.reviewer_id,
               'expiresAt', to_char(c.expires_at AT TIME ZONE 'UTC', ${ISO_UTC})) END AS claim,
             to_char(q.queue_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "queueAt"
      FROM documents
      LEFT JOIN review_workflows r ON r.document_id = documents.id
      LEFT JOIN review_claims c ON c.document_id = documents.id AND c.expires_at > now()
      CROSS JOIN LATERAL (
        SELECT coalesce(r.flagged_at - interval '50 years', documents.updated_at) AS queue_at) q
      WHERE status = 'needs_review'
        ${page.after ? sql.fragment`AND (q.queue_at, documents.id) > (${page.after.at}::timestamptz, ${page.after.id}::uuid)` : sql.fragment``}
      ORDER BY q.queue_at, documents.id
      LIMIT ${page.limit + 1}`);
    const { items, next } = pageOf(rows, page.limit, (row) => ({ at: row.queueAt, id: row.id }));
    return { items: items.map(({ queueAt: _queueAt, ...item }) => item), next };
  };
}

export function createReviewRecordOf(pool: DatabasePool): ReviewRecordOf {
  return async (documentId) =>
    pool.maybeOne(sql.type(reviewRecord)`
      SELECT workflow_id AS "workflowId", phase, external_failure AS "externalFailure",
             review_id AS "reviewId", buli2_state AS buli2
      FROM review_workflows WHERE document_id = ${documentId}`);
}

const sameNikRow = z.object({
  id: z.string(),
  ownerId: z.string(),
  type: z.enum(DOCUMENT_TYPES),
  status: z.enum(DOCUMENT_STATUSES),
  createdAt: z.string(),
}) satisfies z.ZodType<SameNikDocument>;

/** By the keyed hash (`nik_hash`, its partial index), so no NIK is decrypted or compared in plain. */
export function createSameNikDocuments(pool: DatabasePool): SameNikDocuments {
  return async (documentId, limit) =>
    pool.any(sql.type(sameNikRow)`
      SELECT other.id, other.owner_id AS "ownerId", other.type, other.status,
             to_char(other.created_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "createdAt"
      FROM documents this
      JOIN documents other ON other.nik_hash = this.nik_hash AND other.id <> this.id
      WHERE this.id = ${documentId} AND this.nik_hash IS NOT NULL AND other.nik_hash IS NOT NULL
      ORDER BY other.created_at DESC, other.id DESC
      LIMIT ${limit}`);
}
