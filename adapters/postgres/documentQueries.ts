import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { DOCUMENT_TYPES, reasonSchema } from '../../machines/document.events.ts';
import { DOCUMENT_STATUSES } from '../../machines/document.machine.ts';
import { piiContext } from './documentStore.ts';
import type { PiiCipher } from './piiCipher.ts';

/** Read models for the API: what a document looks like to its owner or a reviewer. */

const ISO_UTC = sql.fragment`'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

const summaryRow = z.object({
  id: z.string(),
  ownerId: z.string(),
  type: z.enum(DOCUMENT_TYPES),
  status: z.enum(DOCUMENT_STATUSES),
  evaluation: z.object({ score: z.number(), reasons: z.array(reasonSchema), policyVersion: z.string() }).nullable(),
  gpuProcessed: z.boolean().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const viewRow = summaryRow.extend({
  fieldsEnc: z.instanceof(Buffer).nullable(),
  storageKey: z.string(),
  mime: z.string(),
});

export type DocumentSummary = z.infer<typeof summaryRow>;
export type DocumentView = DocumentSummary & {
  fields: Record<string, string | null> | null;
  storageKey: string;
  mime: string;
};

const columns = sql.fragment`
  id, owner_id AS "ownerId", type, status, evaluation, gpu_processed AS "gpuProcessed",
  to_char(created_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "createdAt",
  to_char(updated_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "updatedAt"`;

/** Opaque page cursor: the position (created_at, id) of the last row of the previous page. */
const encodeCursor = (row: { createdAt: string; id: string }) =>
  Buffer.from(`${row.createdAt}|${row.id}`).toString('base64url');
const cursorShape = z.tuple([z.iso.datetime(), z.uuid()]);
export function decodeCursor(cursor: string): [string, string] | null {
  const parsed = cursorShape.safeParse(Buffer.from(cursor, 'base64url').toString('utf8').split('|'));
  return parsed.success ? parsed.data : null;
}

export function createDocumentQueries(pool: DatabasePool, cipher: PiiCipher) {
  return {
    async view(documentId: string): Promise<DocumentView | null> {
      const row = await pool.maybeOne(sql.type(viewRow)`
        SELECT ${columns}, fields_enc AS "fieldsEnc", storage_key AS "storageKey", mime
        FROM documents WHERE id = ${documentId}`);
      if (!row) return null;
      const { fieldsEnc, ...summary } = row;
      const fields = fieldsEnc
        ? (JSON.parse(cipher.decrypt(fieldsEnc, piiContext(documentId, 'fields'))) as Record<string, string | null>)
        : null;
      return { ...summary, fields };
    },

    /** The owner's documents, newest first, `limit` per page. */
    async listByOwner(ownerId: string, page: { limit: number; after?: [string, string] }) {
      const rows = await pool.any(sql.type(summaryRow)`
        SELECT ${columns} FROM documents
        WHERE owner_id = ${ownerId}
          ${page.after ? sql.fragment`AND (created_at, id) < (${page.after[0]}::timestamptz, ${page.after[1]}::uuid)` : sql.fragment``}
        ORDER BY created_at DESC, id DESC
        LIMIT ${page.limit + 1}`);
      const items = rows.slice(0, page.limit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > page.limit && last ? encodeCursor(last) : null };
    },
  };
}

export type DocumentQueries = ReturnType<typeof createDocumentQueries>;

/** The review queue: documents waiting for a human, the longest-waiting first. */
export function createReviewQueue(pool: DatabasePool) {
  return async (page: { limit: number; after?: [string, string] }) => {
    const rows = await pool.any(sql.type(summaryRow)`
      SELECT ${columns} FROM documents
      WHERE status = 'needs_review'
        ${page.after ? sql.fragment`AND (updated_at, id) > (${page.after[0]}::timestamptz, ${page.after[1]}::uuid)` : sql.fragment``}
      ORDER BY updated_at, id
      LIMIT ${page.limit + 1}`);
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: rows.length > page.limit && last ? encodeCursor({ createdAt: last.updatedAt, id: last.id }) : null,
    };
  };
}
