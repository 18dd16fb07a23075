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

/**
 * Opaque page cursor: the position (timestamp, id) of the last row of the previous page, as 45
 * lower-case hex digits: the timestamp in microseconds since 1970 (13 digits, enough until 2112),
 * then the id's 32. Every string of that shape is a valid position, so the shape (CURSOR_PATTERN,
 * published in the OpenAPI document) is the whole validation: no cursor that passes it can fail
 * later in the database.
 */
export const CURSOR_PATTERN = /^[0-9a-f]{45}$/;

/** `createdAt` is the ISO form with microseconds that the queries select (`…:SS.ffffffZ`). */
export function encodeCursor(row: { createdAt: string; id: string }): string {
  const [seconds = '', fraction = ''] = row.createdAt.replace(/Z$/, '').split('.');
  const micros = Date.parse(`${seconds}Z`) * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
  return micros.toString(16).padStart(13, '0') + row.id.replaceAll('-', '');
}

export function decodeCursor(cursor: string): [string, string] | null {
  if (!CURSOR_PATTERN.test(cursor)) return null;
  const micros = Number.parseInt(cursor.slice(0, 13), 16);
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  const at = `${iso.slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`;
  const hex = cursor.slice(13);
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return [at, id];
}

export function createDocumentQueries(pool: DatabasePool, cipher: PiiCipher) {
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
