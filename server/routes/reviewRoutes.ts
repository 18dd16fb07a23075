import { type Router as ExpressRouter, Router } from 'express';
import { z } from 'zod';
import type { Documents } from '../../runtime/documents/documents.ts';
import type { DocumentStorage } from '../../runtime/ports.ts';
import type { createAuth, Principal } from '../http/auth.ts';
import { json, parameters, problems, secured } from '../openapi/openApiSchemas.ts';
import { type RouteTable, routerFor } from '../openapi/routeTable.ts';
import type { DocumentQueries, ReviewQueue } from '../ports.ts';
import { idParams, visibleDocument } from './documentAccess.ts';
import { documentResponse, present } from './documentRoutes.ts';
import { freeText } from './freeText.ts';
import { pageAnswer, pageQuery, pageRequested } from './paging.ts';

/**
 * The internal review API (reviewer or admin): the queue of `needs_review` documents, a document's
 * full detail with its image, and the decision, which is the machine's REVIEW_DECIDED event. A
 * decision on a document that is not (or no longer) in review is 409 and changes nothing.
 */

export const decisionBody = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  reason: freeText(1000),
});

export const reviewRouteTable = {
  queue: {
    method: 'get',
    path: '/internal/reviews',
    operation: {
      summary: 'Documents waiting for review, oldest first (reviewer, admin)',
      ...secured,
      parameters: parameters(pageQuery, 'query'),
      responses: { '200': { description: 'A page' }, ...problems(400, 401, 403) },
    },
  },
  detail: {
    method: 'get',
    path: '/internal/reviews/:id',
    operation: {
      summary: 'Full detail, unmasked (reviewer, admin)',
      ...secured,
      parameters: parameters(idParams, 'path'),
      responses: {
        '200': { description: 'The document', ...json(documentResponse) },
        ...problems(400, 401, 403, 404),
      },
    },
  },
  image: {
    method: 'get',
    path: '/internal/reviews/:id/image',
    operation: {
      summary: 'The uploaded image (reviewer, admin)',
      ...secured,
      parameters: parameters(idParams, 'path'),
      responses: { '200': { description: 'The file as uploaded' }, ...problems(400, 401, 403, 404) },
    },
  },
  decision: {
    method: 'post',
    path: '/internal/reviews/:id/decision',
    operation: {
      summary: 'Approve or reject a document in review (reviewer, admin)',
      ...secured,
      parameters: parameters(idParams, 'path'),
      requestBody: { required: true, ...json(decisionBody) },
      responses: { '200': { description: 'The new status' }, ...problems(400, 401, 403, 404, 409) },
    },
  },
} as const satisfies RouteTable;

export function reviewRoutes(deps: {
  auth: ReturnType<typeof createAuth>;
  queries: DocumentQueries;
  reviewQueue: ReviewQueue;
  documents: Pick<Documents, 'send'>;
  storage: Pick<DocumentStorage, 'get'>;
}): ExpressRouter {
  const router = Router();
  // Everything under /internal, served or not, is for staff: anyone else learns nothing of its routes.
  router.use('/internal', deps.auth.authenticate, deps.auth.requireRole('reviewer', 'admin'));
  /** Staff may see every document: this is a 404 for an unknown id only. */
  const existing = (id: string, principal: Principal) => visibleDocument(deps.queries, id, principal);

  router.use(
    routerFor(reviewRouteTable, {
      queue: [
        async (request, response) => {
          const page = await deps.reviewQueue(pageRequested(request.query));
          response.json(pageAnswer(page, (item) => ({ ...item, waitingSince: item.updatedAt })));
        },
      ],
      detail: [
        async (request, response) => {
          const { id } = idParams.parse(request.params);
          const principal = response.locals.principal as Principal;
          const document = await existing(id, principal);
          response.json({
            ...present(document, principal),
            ownerId: document.ownerId,
            image: `/internal/reviews/${id}/image`,
          });
        },
      ],
      image: [
        async (request, response) => {
          const { id } = idParams.parse(request.params);
          const document = await existing(id, response.locals.principal as Principal);
          const image = await deps.storage.get(document.storageKey);
          // Identity documents: never cached by browsers or proxies, never sniffed into something else.
          response
            .setHeader('Cache-Control', 'no-store')
            .setHeader('X-Content-Type-Options', 'nosniff')
            .type(document.mime)
            .send(image);
        },
      ],
      decision: [
        async (request, response) => {
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
        },
      ],
    }),
  );
  return router;
}
