import { type Router as ExpressRouter, Router } from 'express';
import { z } from 'zod';
import {
  CURSOR_PATTERN,
  type createReviewQueue,
  type DocumentQueries,
  decodeCursor,
} from '../../adapters/postgres/documentQueries.ts';
import type { Documents } from '../../runtime/documents.ts';
import type { DocumentStorage } from '../../runtime/ports.ts';
import type { createAuth, Principal } from '../http/auth.ts';
import { HttpProblem } from '../http/problems.ts';
import { idParams, present } from './documentRoutes.ts';
import { freeText } from './freeText.ts';

/**
 * The internal review API (reviewer or admin): the queue of `needs_review` documents, a document's
 * full detail with its image, and the decision, which is the machine's REVIEW_DECIDED event. A
 * decision on a document that is not (or no longer) in review is 409 and changes nothing.
 */

export const queueQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().regex(CURSOR_PATTERN, 'a cursor from a previous page').optional(),
});
export const decisionBody = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  reason: freeText(1000),
});

export function reviewRoutes(deps: {
  auth: ReturnType<typeof createAuth>;
  queries: DocumentQueries;
  reviewQueue: ReturnType<typeof createReviewQueue>;
  documents: Pick<Documents, 'send'>;
  storage: Pick<DocumentStorage, 'get'>;
}): ExpressRouter {
  const router = Router();
  router.use('/internal', deps.auth.authenticate, deps.auth.requireRole('reviewer', 'admin'));

  const existing = async (id: string) => {
    const document = await deps.queries.view(id);
    if (!document) throw new HttpProblem({ status: 404, title: 'Not Found', detail: 'No such document.' });
    return document;
  };

  router.get('/internal/reviews', async (request, response) => {
    const query = queueQuery.parse(request.query);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (after === null)
      throw new HttpProblem({ status: 400, title: 'Bad Request', detail: 'The cursor is not valid.' });
    const page = await deps.reviewQueue({ limit: query.limit, ...(after ? { after } : {}) });
    response.json({
      items: page.items.map((item) => ({ ...item, waitingSince: item.updatedAt })),
      nextCursor: page.nextCursor,
    });
  });

  router.get('/internal/reviews/:id', async (request, response) => {
    const { id } = idParams.parse(request.params);
    const document = await existing(id);
    response.json({
      ...present(document, response.locals.principal as Principal),
      ownerId: document.ownerId,
      image: `/internal/reviews/${id}/image`,
    });
  });

  router.get('/internal/reviews/:id/image', async (request, response) => {
    const { id } = idParams.parse(request.params);
    const document = await existing(id);
    const image = await deps.storage.get(document.storageKey);
    // Identity documents: never cached by browsers or proxies, never sniffed into something else.
    response
      .setHeader('Cache-Control', 'no-store')
      .setHeader('X-Content-Type-Options', 'nosniff')
      .type(document.mime)
      .send(image);
  });

  router.post('/internal/reviews/:id/decision', async (request, response) => {
    const { id } = idParams.parse(request.params);
    const body = decisionBody.parse(request.body ?? {});
    const principal = response.locals.principal as Principal;
    const result = await deps.documents.send(
      id,
      {
        type: 'REVIEW_DECIDED',
        decision: body.decision,
        reviewerId: principal.id,
        source: 'internal',
        reason: body.reason,
      },
      { type: 'reviewer', id: principal.id },
      { correlationId: response.locals.requestId as string },
    );
    response.json({ id, status: result.status });
  });

  return router;
}
