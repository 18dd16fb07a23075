import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import type { Applicant, Applicants } from '../../server/ports.ts';
import { applicantDocuments, ISO_UTC, pageOf } from './documentQueries.ts';
import type { PiiCipher } from './piiCipher.ts';

/** Applicants (server/ports.ts): one person's documents, grouped by the client that created them. */

const applicantRow = z.object({
  id: z.string(),
  ownerId: z.string(),
  externalRef: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
  createdAt: z.string(),
}) satisfies z.ZodType<Applicant>;

const columns = sql.fragment`
  id, owner_id AS "ownerId", external_ref AS "externalRef", metadata,
  to_char(created_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "createdAt"`;

export function createApplicants(pool: DatabasePool, cipher: PiiCipher): Applicants {
  return {
    async create(applicant) {
      return pool.one(sql.type(applicantRow)`
        INSERT INTO applicants (id, owner_id, external_ref, metadata)
        VALUES (${applicant.id}, ${applicant.ownerId}, ${applicant.externalRef},
                ${sql.jsonb(applicant.metadata)})
        RETURNING ${columns}`);
    },

    async get(id) {
      return pool.maybeOne(sql.type(applicantRow)`SELECT ${columns} FROM applicants WHERE id = ${id}`);
    },

    async listByOwner(ownerId, page, filter = {}) {
      const rows = await pool.any(sql.type(applicantRow)`
        SELECT ${columns} FROM applicants
        WHERE owner_id = ${ownerId}
          ${filter.externalRef ? sql.fragment`AND external_ref = ${filter.externalRef}` : sql.fragment``}
          ${page.after ? sql.fragment`AND (created_at, id) < (${page.after.at}::timestamptz, ${page.after.id}::uuid)` : sql.fragment``}
        ORDER BY created_at DESC, id DESC
        LIMIT ${page.limit + 1}`);
      return pageOf(rows, page.limit, (row) => ({ at: row.createdAt, id: row.id }));
    },

    documents: (applicantId, limit) => applicantDocuments(pool, cipher, applicantId, limit),
  };
}
