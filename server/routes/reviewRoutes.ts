import { type Router as ExpressRouter, type Response, Router } from 'express';
import { z } from 'zod';
import type { Documents } from '../../runtime/documents/documents.ts';
import type { DocumentStorage } from '../../runtime/ports.ts';
import type { createAuth, Principal } from '../http/auth.ts';
import { HttpProblem, sendProblem } from '../http/problems.ts';
import { json, parameters, problems, secured } from '../openapi/openApiSchemas.ts';
import { type RouteTable, routerFor } from '../openapi/routeTable.ts';
import type { DocumentQueries, ReviewDecisions, ReviewQueue, ReviewRecordOf } from '../ports.ts';
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
      summary:
        'Documents waiting for review: those whose external review failed first, then the oldest; each with its review workflow (reviewer, admin)',
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
      responses: {
        '200': { description: 'The new status' },
        '202': { description: 'The decision was taken by the review and is applied as soon as the database answers' },
        ...problems(400, 401, 403, 404, 409, 503),
      },
    },
  },
} as const satisfies RouteTable;

/** Seconds a reviewer's client should wait before sending a decision again while reviews cannot be reached. */
const REVIEWS_RETRY_AFTER_S = 5;

function unavailable(response: Response, detail: string) {
  response.setHeader('Retry-After', String(REVIEWS_RETRY_AFTER_S));
  sendProblem(response, { status: 503, title: 'Service Unavailable', detail });
}

export function reviewRoutes(deps: {
  auth: ReturnType<typeof createAuth>;
  queries: DocumentQueries;
  reviewQueue: ReviewQueue;
  /** The document's review workflow, shown with its detail. */
  reviewRecordOf: ReviewRecordOf;
  documents: Pick<Documents, 'send'>;
  storage: Pick<DocumentStorage, 'get'>;
  /**
   * The review workflows. A process composed without them (tools, a test file run alone) applies a
   * decision to the document directly; `npm start` always has them.
   */
  reviews?: ReviewDecisions;
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
            // The review workflow that owns it: id, SLA phase, external failure; null before it starts.
            review: await deps.reviewRecordOf(id),
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
          const correlationId = response.locals.requestId as string;
          if (!deps.reviews) {
            const result = await deps.documents.send(
              id,
              { type: 'REVIEW_DECIDED', ...body, reviewerId: principal.id, source: 'internal' },
              { type: 'reviewer', id: principal.id },
              { correlationId },
            );
            response.json({ id, status: result.status });
            return;
          }
          const document = await existing(id, principal);
          let outcome: Awaited<ReturnType<ReviewDecisions['decide']>>;
          try {
            outcome = await deps.reviews.decide(
              id,
              { ...body, reviewerId: principal.id, source: 'internal' },
              correlationId,
            );
          } catch {
            unavailable(response, 'The review service cannot be reached. Nothing was decided; try again.');
            return;
          }
          if (outcome.outcome === 'applied') {
            response.json({ id, status: outcome.status });
            return;
          }
          if (outcome.outcome === 'accepted') {
            response.status(202).json({ id, status: 'needs_review', decision: 'accepted' });
            return;
          }
          // In review, but its workflow is not started yet: the start is on its way (outbox, sweeper).
          if (outcome.outcome === 'no_review' && document.status === 'needs_review') {
            unavailable(response, 'The review of this document is being set up. Nothing was decided; try again.');
            return;
          }
          throw new HttpProblem({
            status: 409,
            title: 'Conflict',
            detail: 'The document is not, or no longer, open for review.',
          });
        },
      ],
    }),
  );
  return router;
}
