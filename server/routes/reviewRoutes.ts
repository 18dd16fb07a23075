import { type Router as ExpressRouter, type Response, Router } from 'express';
import { z } from 'zod';
import { REVIEW_CLAIM_DEFAULT_MS } from '../../config/schema.ts';
import { DOCUMENT_TYPES } from '../../domain/documentType.ts';
import { decodeNik } from '../../domain/identifiers/nikDecoding.ts';
import type { RegionIndex } from '../../domain/identifiers/regions.ts';
import { REVIEW_REASON_TEMPLATES } from '../../domain/reviewReasons.ts';
import type { Documents } from '../../runtime/documents/documents.ts';
import type { DocumentStorage } from '../../runtime/ports.ts';
import type { createAuth, Principal } from '../http/auth.ts';
import { HttpProblem, sendProblem } from '../http/problems.ts';
import { json, parameters, problems, secured } from '../openapi/openApiSchemas.ts';
import { type RouteTable, routerFor } from '../openapi/routeTable.ts';
import type {
  DocumentQueries,
  ReviewClaim,
  ReviewClaims,
  ReviewDecisions,
  ReviewQueue,
  ReviewQueueCounts,
  ReviewQueueFilter,
  ReviewRecordOf,
  SameNikDocuments,
} from '../ports.ts';
import { documentResponse, present } from './client/documentRoutes.ts';
import { idParams, visibleDocument } from './documentAccess.ts';
import { freeText } from './freeText.ts';
import { pageAnswer, pageFrom, pageQuery } from './paging.ts';

/**
 * The internal review API (reviewer or admin): the queue of `needs_review` documents, a document's
 * full detail with its image, and the decision, which is the machine's REVIEW_DECIDED event. A
 * decision on a document that is not (or no longer) in review is 409 and changes nothing.
 *
 * What the reviewer console needs besides: claims (a soft lock with an expiry: opening a document
 * claims it; a decision by anyone but the holder of a live claim is 409; deciding releases it), the
 * reason templates, and the other documents with the same NIK (found by its keyed hash, owners
 * masked). Responses with document data are sent `Cache-Control: no-store`.
 */

/** How many other documents with the same NIK a reviewer is shown. */
export const SAME_NIK_LIMIT = 20;

/** An owner id as the same-NIK list shows it: its first and last 2 characters; all hidden when short. */
export function maskOwnerId(ownerId: string): string {
  const characters = [...ownerId];
  if (characters.length <= 6) return '*'.repeat(Math.max(characters.length, 4));
  return `${characters.slice(0, 2).join('')}${'*'.repeat(characters.length - 4)}${characters.slice(-2).join('')}`;
}

const claimSchema = z.object({ reviewerId: z.string(), expiresAt: z.string() });
export const claimResponse = z.object({ claim: claimSchema, yours: z.literal(true) });
z.globalRegistry.add(claimResponse, { id: 'ReviewClaim', description: "The caller's claim on a document in review" });
const templateList = z.array(z.object({ code: z.string(), text: z.string() }));
export const reviewReasonsResponse = z.object({ approve: templateList, reject: templateList });
export const sameNikResponse = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      status: z.string(),
      type: z.string(),
      createdAt: z.string(),
      owner: z.string().describe('The owner id, masked'),
    }),
  ),
});

/** The queue's filters: a reason code (any code; one no document carries matches nothing) and a type. */
const queueFilter = z.strictObject({
  reason: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'an UPPER_SNAKE reason code')
    .optional(),
  type: z.enum(DOCUMENT_TYPES).optional(),
});
const queueQuery = pageQuery.extend(queueFilter.shape);
export const reviewCountsResponse = z.object({
  total: z.number().int().describe('Documents in review under both filters'),
  reasons: z.object({
    total: z.number().int().describe('Documents in review under the type filter alone'),
    items: z.array(z.object({ code: z.string(), count: z.number().int() })),
  }),
  types: z.object({
    total: z.number().int().describe('Documents in review under the reason filter alone'),
    items: z.array(z.object({ type: z.enum(DOCUMENT_TYPES), count: z.number().int() })),
  }),
});

const regionItem = z.object({
  code: z.string().describe('The dotted region code the NIK holds'),
  name: z.string().nullable().describe('Its name; null for a code that does not exist'),
  printed: z.string().nullable().describe('What the card prints there'),
  agrees: z
    .boolean()
    .nullable()
    .describe('Whether they name the same region; null when the card prints none we can resolve'),
});
const nikItem = (value: z.ZodType) =>
  z.object({
    fromNik: value.nullable().describe('What the NIK encodes; null when its digits make none'),
    printed: z.string().nullable().describe('What the card prints'),
    agrees: z.boolean().nullable().describe('Whether the two agree; null when the card prints none we can read'),
  });
const decodedNikResponse = z
  .object({
    province: regionItem.describe('The province of first registration (digits 1–2)'),
    regency: regionItem.describe('The regency or city of first registration (digits 3–4)'),
    district: regionItem.describe('The district (kecamatan) of first registration (digits 5–6)'),
    birthDate: nikItem(z.string()).describe('The birth date (digits 7–12, the day plus 40 for women)'),
    sex: nikItem(z.enum(['LAKI-LAKI', 'PEREMPUAN'])).describe('The sex, from the day of birth'),
    serial: z.string().describe('The last four digits'),
  })
  .nullable()
  .describe(
    'The NIK decoded (domain/identifiers/nikDecoding.ts) beside what the card prints; null when the document holds no 16-digit NIK. A region differing is where the person first registered, not a fault',
  );
export const reviewDetailResponse = documentResponse.extend({
  ownerId: z.string().describe("The owner's id, whole (reviewers only)"),
  image: z.string().describe("The image's path"),
  review: z.looseObject({}).nullable().describe('The review workflow: id, SLA phase, external failure, BULI2 state'),
  claim: z.looseObject({}).nullable().describe('Who reviews it now, until when; null when nobody holds a live claim'),
  nik: decodedNikResponse,
});

export const decisionBody = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  reason: freeText(1000).describe(
    "The reviewer's internal note: kept in the history for reviewers and auditors, never shown to the client",
  ),
  clientMessage: freeText(500)
    .optional()
    .describe('What the applicant should be told (the client reads it with the verdict), e.g. why a card was refused'),
});
z.globalRegistry.add(decisionBody, {
  id: 'ReviewDecision',
  description: "A reviewer's decision on a document in review",
});

export const reviewRouteTable = {
  queue: {
    method: 'get',
    path: '/internal/reviews',
    operation: {
      operationId: 'listReviewQueue',
      summary:
        'Documents waiting for review: those whose external review failed first, then the oldest; each with its review workflow (reviewer, admin)',
      ...secured,
      parameters: parameters(queueQuery, 'query'),
      responses: { '200': { description: 'A page' }, ...problems(400, 401, 403) },
    },
  },
  counts: {
    method: 'get',
    path: '/internal/review-counts',
    operation: {
      operationId: 'getReviewCounts',
      summary:
        "How many documents in review each filter value would show, over the whole queue: reason codes under the query's type, types under its reason, and the total under both (reviewer, admin)",
      ...secured,
      parameters: parameters(queueFilter, 'query'),
      responses: {
        '200': { description: 'The counts', ...json(reviewCountsResponse) },
        ...problems(400, 401, 403),
      },
    },
  },
  detail: {
    method: 'get',
    path: '/internal/reviews/:id',
    operation: {
      operationId: 'getReviewDocument',
      summary: 'Full detail, unmasked (reviewer, admin)',
      ...secured,
      parameters: parameters(idParams, 'path'),
      responses: {
        '200': { description: 'The document', ...json(reviewDetailResponse) },
        ...problems(400, 401, 403, 404),
      },
    },
  },
  image: {
    method: 'get',
    path: '/internal/reviews/:id/image',
    operation: {
      operationId: 'getReviewImage',
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
      operationId: 'decideReview',
      summary: 'Approve or reject a document in review (reviewer, admin)',
      ...secured,
      parameters: parameters(idParams, 'path'),
      requestBody: { required: true, ...json(decisionBody) },
      responses: {
        '200': { description: 'The new status' },
        '202': { description: 'The decision was taken by the review and is applied as soon as the database answers' },
        ...problems(400, 401, 403, 404, 'claim_held', 'not_in_review', 409, 503),
      },
    },
  },
  claim: {
    method: 'post',
    path: '/internal/reviews/:id/claim',
    operation: {
      operationId: 'claimReview',
      summary:
        'Claim a document in review for REVIEW_CLAIM_MS, or renew your claim; 409 with the holder and expiry while another reviewer holds it (reviewer, admin)',
      ...secured,
      parameters: parameters(idParams, 'path'),
      responses: {
        '200': { description: 'The claim is yours until expiresAt', ...json(claimResponse) },
        ...problems(400, 401, 403, 404, 'claim_held', 'not_in_review'),
      },
    },
  },
  release: {
    method: 'delete',
    path: '/internal/reviews/:id/claim',
    operation: {
      operationId: 'releaseReviewClaim',
      summary: 'Give up the claim on a document: its holder, or an admin (reviewer, admin)',
      ...secured,
      parameters: parameters(idParams, 'path'),
      responses: {
        '204': { description: 'No live claim by another reviewer is left' },
        ...problems(400, 401, 403, 404, 'claim_held'),
      },
    },
  },
  sameNik: {
    method: 'get',
    path: '/internal/reviews/:id/same-nik',
    operation: {
      operationId: 'listSameNikDocuments',
      summary: `Other documents with the same NIK (by its keyed hash), newest first, at most ${SAME_NIK_LIMIT}, owners masked (reviewer, admin)`,
      ...secured,
      parameters: parameters(idParams, 'path'),
      responses: {
        '200': { description: 'The documents', ...json(sameNikResponse) },
        ...problems(400, 401, 403, 404),
      },
    },
  },
  reasons: {
    method: 'get',
    path: '/internal/review-reasons',
    operation: {
      operationId: 'listReviewReasonTemplates',
      summary: "Reason templates for a decision's free-text reason (reviewer, admin)",
      ...secured,
      responses: { '200': { description: 'The templates', ...json(reviewReasonsResponse) }, ...problems(401, 403) },
    },
  },
} as const satisfies RouteTable;

/** The filter without absent members (the ports take exact optional properties). */
function filterOf(query: z.infer<typeof queueFilter>): ReviewQueueFilter {
  return { ...(query.reason ? { reason: query.reason } : {}), ...(query.type ? { type: query.type } : {}) };
}

/** 409 while another reviewer holds a live claim: who, and until when (RFC 9457 extension member `claim`). */
function heldByAnother(claim: ReviewClaim, detail: string): HttpProblem {
  return new HttpProblem('claim_held', { detail, claim });
}

/** Seconds a reviewer's client should wait before sending a decision again while reviews cannot be reached. */
const REVIEWS_RETRY_AFTER_S = 5;

function unavailable(response: Response, detail: string) {
  response.setHeader('Retry-After', String(REVIEWS_RETRY_AFTER_S));
  sendProblem(response, 'service_unavailable', { detail });
}

export function reviewRoutes(deps: {
  auth: ReturnType<typeof createAuth>;
  queries: DocumentQueries;
  reviewQueue: ReviewQueue;
  reviewQueueCounts: ReviewQueueCounts;
  /** The document's review workflow, shown with its detail. */
  reviewRecordOf: ReviewRecordOf;
  reviewClaims: ReviewClaims;
  sameNikDocuments: SameNikDocuments;
  /** How long a claim lasts unless renewed (REVIEW_CLAIM_MS). */
  reviewClaimMs?: number;
  documents: Pick<Documents, 'send'>;
  storage: Pick<DocumentStorage, 'get'>;
  /**
   * The review workflows. A process composed without them (tools, a test file run alone) applies a
   * decision to the document directly; `npm start` always has them.
   */
  reviews?: ReviewDecisions;
  /** The region names a decoded NIK shows. */
  regions: RegionIndex;
  /** Today's date (ISO), for the century of a NIK's birth year; the clock by default. */
  today?: () => string;
}): ExpressRouter {
  const router = Router();
  // Everything under /internal, served or not, is for staff: anyone else learns nothing of its routes.
  router.use('/internal', deps.auth.authenticate, deps.auth.requireRole('reviewer', 'admin'));
  /** Staff may see every document: this is a 404 for an unknown id only. */
  const existing = (id: string, principal: Principal) => visibleDocument(deps.queries, id, principal);
  const claimMs = deps.reviewClaimMs ?? REVIEW_CLAIM_DEFAULT_MS;
  const today = deps.today ?? (() => new Date().toISOString().slice(0, 10));
  const noStore = (response: Response) => response.setHeader('Cache-Control', 'no-store');

  router.use(
    routerFor(reviewRouteTable, {
      queue: [
        async (request, response) => {
          const { limit, cursor, ...filter } = queueQuery.parse(request.query);
          const page = await deps.reviewQueue(pageFrom({ limit, cursor }), filterOf(filter));
          noStore(response).json(pageAnswer(page, (item) => ({ ...item, waitingSince: item.updatedAt })));
        },
      ],
      counts: [
        async (request, response) => {
          noStore(response).json(await deps.reviewQueueCounts(filterOf(queueFilter.parse(request.query))));
        },
      ],
      detail: [
        async (request, response) => {
          const { id } = idParams.parse(request.params);
          const principal = response.locals.principal as Principal;
          const document = await existing(id, principal);
          noStore(response).json({
            ...present(document, principal),
            ownerId: document.ownerId,
            image: `/internal/reviews/${id}/image`,
            // The review workflow that owns it: id, SLA phase, external failure; null before it starts.
            review: await deps.reviewRecordOf(id),
            // Who is reviewing it now; null when nobody holds a live claim.
            claim: document.status === 'needs_review' ? await deps.reviewClaims.current(id) : null,
            nik: document.fields?.nik ? decodeNik(document.fields.nik, document.fields, deps.regions, today()) : null,
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
          const document = await existing(id, principal);
          // The claim is enforced here, not only in the console: while another reviewer holds a live
          // claim, nobody else decides (an admin releases it first). A lapsed claim holds nobody back.
          const claim = await deps.reviewClaims.current(id);
          if (claim && claim.reviewerId !== principal.id)
            throw heldByAnother(claim, 'Another reviewer holds a live claim on this document. Nothing was decided.');
          if (!deps.reviews) {
            const result = await deps.documents.send(
              id,
              { type: 'REVIEW_DECIDED', ...body, reviewerId: principal.id, source: 'internal' },
              { type: 'reviewer', id: principal.id },
              { correlationId },
            );
            await deps.reviewClaims.clear(id);
            response.json({ id, status: result.status });
            return;
          }
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
          // Deciding releases the claim: the decision is taken, durably, either way.
          if (outcome.outcome === 'applied' || outcome.outcome === 'accepted') await deps.reviewClaims.clear(id);
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
          throw new HttpProblem('not_in_review', { detail: 'The document is not, or no longer, open for review.' });
        },
      ],
      claim: [
        async (request, response) => {
          const { id } = idParams.parse(request.params);
          const principal = response.locals.principal as Principal;
          const document = await existing(id, principal);
          const result =
            document.status === 'needs_review' ? await deps.reviewClaims.claim(id, principal.id, claimMs) : null;
          if (result?.taken) {
            noStore(response).json({ claim: result.claim, yours: true });
            return;
          }
          if (result?.claim) throw heldByAnother(result.claim, 'Another reviewer holds a live claim on this document.');
          throw new HttpProblem('not_in_review', { detail: 'The document is not in review.' });
        },
      ],
      release: [
        async (request, response) => {
          const { id } = idParams.parse(request.params);
          const principal = response.locals.principal as Principal;
          await existing(id, principal);
          const result = await deps.reviewClaims.release(id, principal.role === 'admin' ? null : principal.id);
          if (result.outcome === 'held')
            throw heldByAnother(
              result.claim,
              'Another reviewer holds the claim; only they or an admin can release it.',
            );
          response.status(204).end();
        },
      ],
      sameNik: [
        async (request, response) => {
          const { id } = idParams.parse(request.params);
          await existing(id, response.locals.principal as Principal);
          const others = await deps.sameNikDocuments(id, SAME_NIK_LIMIT);
          noStore(response).json({
            items: others.map(({ ownerId, ...other }) => ({ ...other, owner: maskOwnerId(ownerId) })),
          });
        },
      ],
      reasons: [
        (_request, response) => {
          response.json(REVIEW_REASON_TEMPLATES);
        },
      ],
    }),
  );
  return router;
}
