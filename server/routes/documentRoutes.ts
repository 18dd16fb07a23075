import { type Router as ExpressRouter, Router } from 'express';
import { z } from 'zod';
import {
  CURSOR_PATTERN,
  type DocumentQueries,
  type DocumentSummary,
  type DocumentView,
  decodeCursor,
} from '../../adapters/postgres/documentQueries.ts';
import type { DocumentStore } from '../../runtime/ports.ts';
import type { createAuth, Principal } from '../http/auth.ts';
import { HttpProblem } from '../http/problems.ts';

/**
 * The client's view of its documents: list, detail and history. A user reaches only their own
 * documents and gets 404, not 403, for anyone else's (no confirmation that an id exists); reviewers
 * and admins reach every document. Owners see NIK and NPWP masked to their last 4 digits.
 */

/**
 * A document id, canonicalised once here: UUIDs compare case-insensitively in Postgres, but the id
 * also names the document elsewhere (the PII cipher's associated data, logs, links), where only
 * the canonical lower-case form is right.
 */
export const idParams = z.strictObject({ id: z.uuid().transform((id) => id.toLowerCase()) });
export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().regex(CURSOR_PATTERN, 'a cursor from a previous page').optional(),
});

const IDENTIFIER_FIELDS = new Set(['nik', 'npwp']);
const maskIdentifier = (value: string) => value.replace(/\d(?=(?:\D*\d){4})/g, '*');

const isStaff = (principal: Principal) => principal.role === 'reviewer' || principal.role === 'admin';

export function present(document: DocumentSummary & Pick<DocumentView, 'fields'>, principal: Principal) {
  const fields =
    document.fields && !isStaff(principal)
      ? Object.fromEntries(
          Object.entries(document.fields).map(([name, value]) => [
            name,
            value !== null && IDENTIFIER_FIELDS.has(name) ? maskIdentifier(value) : value,
          ]),
        )
      : document.fields;
  return {
    id: document.id,
    type: document.type,
    status: document.status,
    gpuProcessed: document.gpuProcessed,
    evaluation: document.evaluation,
    fields,
    createdAt: document.createdAt,
    updatedAt: document.updatedAt,
  };
}

export function documentRoutes(deps: {
  auth: ReturnType<typeof createAuth>;
  queries: DocumentQueries;
  store: Pick<DocumentStore, 'history'>;
}): ExpressRouter {
  const router = Router();
  const notFound = () => new HttpProblem({ status: 404, title: 'Not Found', detail: 'No such document.' });

  /** The document if the caller may see it; 404 otherwise, whether or not it exists. */
  const visible = async (id: string, principal: Principal) => {
    const document = await deps.queries.view(id);
    if (!document || (!isStaff(principal) && document.ownerId !== principal.id)) throw notFound();
    return document;
  };

  router.get('/documents', deps.auth.authenticate, async (request, response) => {
    const query = listQuery.parse(request.query);
    const principal = response.locals.principal as Principal;
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (after === null)
      throw new HttpProblem({ status: 400, title: 'Bad Request', detail: 'The cursor is not valid.' });
    const page = await deps.queries.listByOwner(principal.id, { limit: query.limit, ...(after ? { after } : {}) });
    response.json({
      items: page.items.map((item) => present({ ...item, fields: null }, principal)),
      nextCursor: page.nextCursor,
    });
  });

  router.get('/documents/:id', deps.auth.authenticate, async (request, response) => {
    const { id } = idParams.parse(request.params);
    response.json(present(await visible(id, response.locals.principal as Principal), response.locals.principal));
  });

  router.get('/documents/:id/history', deps.auth.authenticate, async (request, response) => {
    const { id } = idParams.parse(request.params);
    await visible(id, response.locals.principal as Principal);
    const history = await deps.store.history(id);
    response.json({
      items: history.map((entry) => ({
        seq: entry.seq,
        event: entry.eventType,
        from: entry.fromStatus,
        to: entry.toStatus,
        actor: { type: entry.actorType, id: entry.actorId },
        at: entry.at.toISOString(),
      })),
    });
  });

  return router;
}
