import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { DOCUMENT_TYPES } from '../../domain/documentType.ts';
import { reasonSchema } from '../../domain/reasons.ts';
import { DOCUMENT_STATUSES } from '../../machines/document.machine.ts';
import type {
  DocumentListFilter,
  DocumentQueries,
  DocumentSummary,
  DocumentView,
  Page,
  PagePosition,
  ReviewQueue,
  ReviewQueueCounts,
  ReviewQueueFilter,
  ReviewRecord,
  ReviewRecordOf,
  ReviewSummary,
  SameNikDocument,
  SameNikDocuments,
} from '../../server/ports.ts';
import { piiContext } from './documentStore.ts';
import type { PiiCipher } from './piiCipher.ts';

/** The API's read models (server/ports.ts): what a document looks like to its owner or a reviewer. */

/** Timestamps as the read models give them: ISO 8601 in UTC with microseconds (the cursor's form). */
export const ISO_UTC = sql.fragment`'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

// Checked against the port's type, so a column the API needs cannot go missing here unnoticed.
const summaryRow = z.object({
  id: z.string(),
  ownerId: z.string(),
  type: z.enum(DOCUMENT_TYPES),
  status: z.enum(DOCUMENT_STATUSES),
  evaluation: z.object({ score: z.number(), reasons: z.array(reasonSchema), policyVersion: z.string() }).nullable(),
  gpuProcessed: z.boolean().nullable(),
  applicantId: z.string().nullable(),
  externalRef: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
  clientMessage: z.string().nullable(),
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

// The reviewer's message for the applicant lives in the machine's context (REVIEW_DECIDED).
const columns = sql.fragment`
  documents.id, documents.owner_id AS "ownerId", documents.type, documents.status, documents.evaluation,
  documents.gpu_processed AS "gpuProcessed", documents.applicant_id AS "applicantId",
  documents.external_ref AS "externalRef", documents.metadata,
  documents.snapshot #>> '{context,review,clientMessage}' AS "clientMessage",
  to_char(documents.created_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "createdAt",
  to_char(documents.updated_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "updatedAt"`;
const viewColumns = sql.fragment`
  ${columns}, documents.fields_enc AS "fieldsEnc", documents.storage_key AS "storageKey", documents.mime`;

/** The document's fields, decrypted with the row's own id (the associated data was written with it). */
function withFields(cipher: PiiCipher, row: z.infer<typeof viewRow>): DocumentView {
  const { fieldsEnc, ...summary } = row;
  const fields = fieldsEnc
    ? (JSON.parse(cipher.decrypt(fieldsEnc, piiContext(row.id, 'fields'))) as Record<string, string | null>)
    : null;
  return { ...summary, fields };
}

/** An applicant's documents (adapters/postgres/applicants.ts), oldest first, fields decrypted. */
export async function applicantDocuments(
  pool: DatabasePool,
  cipher: PiiCipher,
  applicantId: string,
  limit: number,
): Promise<DocumentView[]> {
  const rows = await pool.any(sql.type(viewRow)`
    SELECT ${viewColumns} FROM documents WHERE applicant_id = ${applicantId}
    ORDER BY created_at, id LIMIT ${limit}`);
  return rows.map((row) => withFields(cipher, row));
}

/** A list filter as SQL conditions on `documents`. */
function listConditions(ownerId: string, filter: DocumentListFilter) {
  return [
    sql.fragment`documents.owner_id = ${ownerId}`,
    ...(filter.status?.length ? [sql.fragment`documents.status = ANY(${sql.array(filter.status, 'text')})`] : []),
    ...(filter.type ? [sql.fragment`documents.type = ${filter.type}`] : []),
    ...(filter.externalRef ? [sql.fragment`documents.external_ref = ${filter.externalRef}`] : []),
    ...(filter.applicantId ? [sql.fragment`documents.applicant_id = ${filter.applicantId}`] : []),
    ...(filter.createdFrom ? [sql.fragment`documents.created_at >= ${filter.createdFrom}::timestamptz`] : []),
    ...(filter.createdTo ? [sql.fragment`documents.created_at < ${filter.createdTo}::timestamptz`] : []),
  ];
}

/**
 * A page of `limit` rows out of `rows` (fetched with one more than asked, so a further page is
 * known without counting), and where the next page starts: after the last row's `position`.
 */
export function pageOf<Row>(rows: readonly Row[], limit: number, position: (row: Row) => PagePosition): Page<Row> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? position(last) : null };
}

export function createDocumentQueries(pool: DatabasePool, cipher: PiiCipher): DocumentQueries {
  return {
    async view(documentId: string): Promise<DocumentView | null> {
      const row = await pool.maybeOne(sql.type(viewRow)`SELECT ${viewColumns} FROM documents WHERE id = ${documentId}`);
      return row ? withFields(cipher, row) : null;
    },

    async listByOwner(ownerId, page, filter = {}) {
      const rows = await pool.any(sql.type(viewRow)`
        SELECT ${viewColumns} FROM documents
        WHERE ${sql.join(listConditions(ownerId, filter), sql.fragment` AND `)}
          ${page.after ? sql.fragment`AND (created_at, id) < (${page.after.at}::timestamptz, ${page.after.id}::uuid)` : sql.fragment``}
        ORDER BY created_at DESC, id DESC
        LIMIT ${page.limit + 1}`);
      const { items, next } = pageOf(rows, page.limit, (row) => ({ at: row.createdAt, id: row.id }));
      return { items: items.map((row) => withFields(cipher, row)), next };
    },
  };
}

/**
 * A flagged document (its external review failed) comes before every other, in the order it was
 * flagged: its place in the queue is its flag time moved 50 years back, so one ordered key (and the
 * cursor's one timestamp) serves both. The rest wait in the order they entered review.
 */
const queueRow = reviewSummaryRow.extend({ queueAt: z.string() });

/**
 * The filter as SQL conditions on `documents`. A reason code is matched by containment in the
 * evaluation's reasons (`@>`), so a code that is in no document matches nothing rather than failing.
 */
function queueConditions(filter: ReviewQueueFilter) {
  return [
    sql.fragment`documents.status = 'needs_review'`,
    ...(filter.type ? [sql.fragment`documents.type = ${filter.type}`] : []),
    ...(filter.reason
      ? [sql.fragment`documents.evaluation -> 'reasons' @> ${sql.jsonb([{ code: filter.reason }])}`]
      : []),
  ];
}

export function createReviewQueue(pool: DatabasePool): ReviewQueue {
  return async (page, filter = {}) => {
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
      WHERE ${sql.join(queueConditions(filter), sql.fragment` AND `)}
        ${page.after ? sql.fragment`AND (q.queue_at, documents.id) > (${page.after.at}::timestamptz, ${page.after.id}::uuid)` : sql.fragment``}
      ORDER BY q.queue_at, documents.id
      LIMIT ${page.limit + 1}`);
    const { items, next } = pageOf(rows, page.limit, (row) => ({ at: row.queueAt, id: row.id }));
    return { items: items.map(({ queueAt: _queueAt, ...item }) => item), next };
  };
}

const countRow = z.object({ value: z.string(), count: z.number() });

/**
 * Faceted counts over the whole queue: each reason code's count under the type filter, each type's
 * under the reason filter, so a reviewer sees what choosing another value would show. A document
 * counts once per code it carries, however many of its reasons have that code.
 */
export function createReviewQueueCounts(pool: DatabasePool): ReviewQueueCounts {
  return async (filter) => {
    const typeOnly: ReviewQueueFilter = filter.type ? { type: filter.type } : {};
    const reasonOnly: ReviewQueueFilter = filter.reason ? { reason: filter.reason } : {};
    const where = (conditions: ReturnType<typeof queueConditions>) => sql.join(conditions, sql.fragment` AND `);
    const [underType, reasons, types] = await Promise.all([
      pool.oneFirst(sql.type(z.object({ count: z.number() }))`
        SELECT count(*)::int AS count FROM documents WHERE ${where(queueConditions(typeOnly))}`),
      pool.any(sql.type(countRow)`
        SELECT code AS value, count(DISTINCT documents.id)::int AS count
        FROM documents
        CROSS JOIN LATERAL jsonb_array_elements(coalesce(documents.evaluation -> 'reasons', '[]'::jsonb)) AS reason
        CROSS JOIN LATERAL (SELECT reason ->> 'code' AS code) c
        WHERE ${where(queueConditions(typeOnly))} AND code IS NOT NULL
        GROUP BY code ORDER BY code`),
      pool.any(sql.type(countRow)`
        SELECT type AS value, count(*)::int AS count FROM documents
        WHERE ${where(queueConditions(reasonOnly))}
        GROUP BY type ORDER BY type`),
    ]);
    // A document has one type: the type counts add up to the count under the reason filter, and
    // the chosen type's count is the count under both.
    const underReason = types.reduce((sum, row) => sum + row.count, 0);
    const total = filter.type ? (types.find((row) => row.value === filter.type)?.count ?? 0) : underReason;
    return {
      total,
      reasons: { total: underType, items: reasons.map((row) => ({ code: row.value, count: row.count })) },
      types: {
        total: underReason,
        items: types.map((row) => ({ type: z.enum(DOCUMENT_TYPES).parse(row.value), count: row.count })),
      },
    };
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
