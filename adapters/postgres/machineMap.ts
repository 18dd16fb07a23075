import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { DOCUMENT_TYPES } from '../../domain/documentType.ts';
import { DOCUMENT_STATUSES, type DocumentStatus } from '../../machines/document.machine.ts';
import type {
  DocumentInStatus,
  DocumentPath,
  MachineMapQueries,
  PathStep,
  TransitionCount,
} from '../../server/ports.ts';
import { ISO_UTC, pageOf } from './documentQueries.ts';

/**
 * The machine map's reads (server/ports.ts, routes/inspectorRoutes.ts). They select ids, statuses,
 * event and document types and times, and nothing else: no fields (encrypted or not), no event
 * payloads, no owners, actors or correlation ids, so nothing they return can carry PII. Each is
 * bounded: by LIMIT, by the primary key's order, or by a single document; the pool's statement
 * timeout bounds the rest.
 */

/**
 * The latest events the last-hour counts read, at most. document_events has no index on `at`; its
 * identity key follows insertion, so the newest rows are read backwards along the primary key and
 * those inside the window counted. A busier hour is reported as incomplete rather than scanned.
 */
export const RECENT_EVENTS_READ = 50_000;
/** Steps of one document's path read, at most (a document takes about ten). */
export const PATH_STEPS_READ = 500;

const countRow = z.object({ status: z.enum(DOCUMENT_STATUSES), count: z.number().int() });
const transitionRow = z.object({
  from: z.string().nullable(),
  event: z.string(),
  to: z.string(),
  count: z.number().int(),
  truncated: z.boolean(),
});
const inStatusRow = z.object({
  id: z.string(),
  type: z.enum(DOCUMENT_TYPES),
  since: z.string(),
  createdAt: z.string(),
}) satisfies z.ZodType<DocumentInStatus>;
const documentRow = z.object({
  id: z.string(),
  type: z.enum(DOCUMENT_TYPES),
  status: z.enum(DOCUMENT_STATUSES),
  createdAt: z.string(),
});
const stepRow = z.object({
  seq: z.number().int(),
  event: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  at: z.string(),
}) satisfies z.ZodType<PathStep>;

export function createMachineMap(pool: DatabasePool): MachineMapQueries {
  return {
    async countsByStatus() {
      const rows = await pool.any(sql.type(countRow)`
        SELECT status, count(*)::int AS count FROM documents GROUP BY status`);
      const counts: Partial<Record<DocumentStatus, number>> = {};
      for (const row of rows) counts[row.status] = row.count;
      return counts;
    },

    async recentTransitions(windowSeconds) {
      // `truncated`: every event read is inside the window, so older ones inside it were not read.
      const rows = await pool.any(sql.type(transitionRow)`
        WITH recent AS (
          SELECT from_status, event_type, to_status, at FROM document_events
          ORDER BY id DESC LIMIT ${RECENT_EVENTS_READ}
        ), bound AS (
          SELECT count(*) = ${RECENT_EVENTS_READ} AND min(at) > now() - ${windowSeconds}::int * interval '1 second'
                 AS truncated
          FROM recent
        )
        SELECT recent.from_status AS "from", recent.event_type AS event, recent.to_status AS "to",
               count(*)::int AS count, bound.truncated
        FROM recent CROSS JOIN bound
        WHERE recent.at > now() - ${windowSeconds}::int * interval '1 second'
        GROUP BY recent.from_status, recent.event_type, recent.to_status, bound.truncated`);
      const transitions: TransitionCount[] = rows.map(({ truncated: _truncated, ...transition }) => transition);
      return { transitions, complete: !rows.some((row) => row.truncated) };
    },

    async inStatus(status, page) {
      const rows = await pool.any(sql.type(inStatusRow)`
        SELECT id, type,
               to_char(updated_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS since,
               to_char(created_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "createdAt"
        FROM documents
        WHERE status = ${status}
          ${page.after ? sql.fragment`AND (updated_at, id) > (${page.after.at}::timestamptz, ${page.after.id}::uuid)` : sql.fragment``}
        ORDER BY updated_at, id
        LIMIT ${page.limit + 1}`);
      return pageOf(rows, page.limit, (row) => ({ at: row.since, id: row.id }));
    },

    async pathOf(documentId): Promise<DocumentPath | null> {
      const document = await pool.maybeOne(sql.type(documentRow)`
        SELECT id, type, status, to_char(created_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "createdAt"
        FROM documents WHERE id = ${documentId}`);
      if (!document) return null;
      const steps = await pool.any(sql.type(stepRow)`
        SELECT seq, event_type AS event, from_status AS "from", to_status AS "to",
               to_char(at AT TIME ZONE 'UTC', ${ISO_UTC}) AS at
        FROM document_events WHERE document_id = ${documentId}
        ORDER BY seq
        LIMIT ${PATH_STEPS_READ + 1}`);
      return { ...document, steps: steps.slice(0, PATH_STEPS_READ), truncated: steps.length > PATH_STEPS_READ };
    },
  };
}
