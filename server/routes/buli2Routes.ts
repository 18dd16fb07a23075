import { createHash } from 'node:crypto';
import express, { type Router as ExpressRouter, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { DocumentStorage, Logger } from '../../runtime/ports.ts';
import { BULI2_SIGNATURE_HEADER, verifyBuli2Signature } from '../http/buli2Signature.ts';
import { IMAGE_LINK_PARTS, IMAGE_LINK_PATH, verifyImageLink } from '../http/imageLinks.ts';
import { HttpProblem, sendProblem } from '../http/problems.ts';
import { json, parameters, problems } from '../openapi/openApiSchemas.ts';
import { type RouteTable, routerFor } from '../openapi/routeTable.ts';
import type { Buli2Callbacks, DocumentQueries, RecordedDecision, ReviewDecisions } from '../ports.ts';

/**
 * What BULI2, the external review system, calls on this API (docs/buli2.md). Neither route takes a
 * bearer token: the callback is authenticated by its HMAC signature over the raw body
 * (http/buli2Signature.ts), the image by the signed, expiring link it was given
 * (http/imageLinks.ts). They are mounted before the JSON parser and the staff-only `/internal`
 * guard of the review routes (app.ts), so neither runs for them.
 *
 * A process composed without BULI2 (`buli2` absent, or, for the callback, no review workflows to
 * take the decision) answers both routes 404, as for a route it does not serve: it never forwarded
 * a review, so nothing can rightly call back or ask for an image, and a 404 tells a caller nothing
 * more. `npm start` always composes BULI2 (its settings have development defaults and are required
 * in production).
 */

/** The contract's formats (docs/buli2/callback.schema.json), as patterns every validator reads alike. */
const DATE_TIME =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
/** Ids compare case-insensitively in Postgres; the request id and the lookups take one spelling. */
const id = () => z.guid().transform((value) => value.toLowerCase());

export const callbackBody = z.strictObject({
  review_id: id(),
  document_id: id(),
  decision: z.enum(['approve', 'reject']),
  // The reviewer id is stored with the decision: what Postgres cannot store (U+0000, lone
  // surrogates) is refused here, with the other control characters, rather than failing later.
  reviewer: z
    .string()
    .min(1)
    .max(128)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
    .regex(/^[^\u0000-\u001F\u007F]+$/, 'must contain no control characters')
    .refine((value) => value.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)'),
  notes: z.string().max(1000).optional(),
  decided_at: z.string().max(40).regex(DATE_TIME, 'must be an ISO 8601 date-time with a zone'),
});
z.globalRegistry.add(callbackBody, {
  id: 'Buli2Callback',
  description: "BULI2's decision on a review it was forwarded",
});

export type Buli2Callback = z.infer<typeof callbackBody>;

/** The link's parts, for the OpenAPI document; the route checks them with verifyImageLink. */
const imageParams = z.strictObject({ documentId: z.string().regex(IMAGE_LINK_PARTS.documentId) });
const imageQuery = z.strictObject({
  expires: z.string().regex(IMAGE_LINK_PARTS.expires),
  signature: z.string().regex(IMAGE_LINK_PARTS.signature),
});

export const buli2RouteTable = {
  callback: {
    method: 'post',
    path: '/internal/buli2/callback',
    operation: {
      operationId: 'receiveBuli2Decision',
      summary:
        "BULI2's decision on a review it was forwarded, signed with X-Buli2-Signature over the raw body (BULI2 only; no bearer token)",
      security: [{ buli2Signature: [] }],
      requestBody: { required: true, ...json(callbackBody) },
      responses: {
        '200': { description: 'Applied, or this same decision was applied before: the new status' },
        '202': { description: 'The decision was taken by the review and is applied as soon as the database answers' },
        ...problems(400, 'invalid_signature', 404, 'decided_already', 413),
      },
    },
  },
  image: {
    method: 'get',
    path: `${IMAGE_LINK_PATH}/:documentId`,
    operation: {
      operationId: 'getBuli2Image',
      summary:
        'The uploaded image, for a signed and expiring link FiLot gave BULI2 with a review (the link is the credential; no bearer token)',
      security: [],
      parameters: [...parameters(imageParams, 'path'), ...parameters(imageQuery, 'query')],
      responses: { '200': { description: 'The file as uploaded' }, ...problems('invalid_link', 404) },
    },
  },
} as const satisfies RouteTable;

/** What the reason of a BULI2 decision says when its notes say nothing. */
export const DEFAULT_BULI2_REASON = 'Decided in BULI2';

/**
 * The reason recorded with the decision: the notes, else the default. Notes are BULI2's free text:
 * what Postgres cannot store and other control characters are dropped rather than refused, so odd
 * notes never cost a decision.
 */
export function reasonOf(notes: string | undefined): string {
  const cleaned = notes
    ?.toWellFormed()
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it drops
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '')
    .trim();
  return cleaned ? cleaned : DEFAULT_BULI2_REASON;
}

/**
 * The request id of a callback's decision, which becomes the Temporal Update id (applied once per
 * id): the same for the same callback delivered again, different for another decision on the same
 * review. A hash, so its length is bounded whatever the reviewer id.
 */
export function buli2RequestId(callback: Pick<Buli2Callback, 'review_id' | 'decision' | 'reviewer' | 'decided_at'>) {
  const identity = JSON.stringify([callback.review_id, callback.decision, callback.reviewer, callback.decided_at]);
  return `buli2-${createHash('sha256').update(identity).digest('hex')}`;
}

/** Whether the review's recorded decision is this callback's: a duplicate delivered after the review ended. */
const isThisDecision = (recorded: RecordedDecision | null, callback: Buli2Callback) =>
  recorded !== null &&
  recorded.source === 'buli2' &&
  recorded.decision === callback.decision &&
  recorded.reviewerId === callback.reviewer;

/** Seconds BULI2 should wait before delivering a callback again while the reviews cannot be reached. */
const REVIEWS_RETRY_AFTER_S = 5;
const CALLBACK_BODY_LIMIT = '16kb';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The answer of a process that does not serve BULI2: the same as for any route it does not serve. */
const notServed = (response: Response) => sendProblem(response, 'not_found');

export function buli2Routes(deps: {
  /** Absent: this process does not serve BULI2, and both routes answer 404. */
  buli2?: Buli2Callbacks;
  /** The review workflows, which take BULI2's decisions; without them the callback answers 404. */
  reviews?: ReviewDecisions;
  queries: Pick<DocumentQueries, 'view'>;
  storage: Pick<DocumentStorage, 'get'>;
  logger: Logger;
}): ExpressRouter {
  const { buli2, reviews, logger } = deps;

  const refuse = (response: Response, reason: string, fields: Record<string, unknown> = {}) => {
    // Ids and reasons only: never the notes, the reviewer or the signature.
    logger.warn('buli2.callback_refused', { reason, ...fields, correlationId: response.locals.requestId });
  };
  const taken = (response: Response, callback: Buli2Callback, outcome: string) => {
    logger.info('buli2.callback', {
      reviewId: callback.review_id,
      documentId: callback.document_id,
      outcome,
      correlationId: response.locals.requestId,
    });
  };

  /** The callback, checked: its signature first, so an unsigned request learns nothing of the body's rules. */
  const receive: RequestHandler = async (request, response) => {
    if (!buli2 || !reviews) return notServed(response);
    // `request.body` is the raw bytes (express.raw), absent when the request had no body at all.
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const signature = verifyBuli2Signature(
      request.get(BULI2_SIGNATURE_HEADER),
      rawBody,
      buli2.webhookSecrets(),
      nowSeconds(),
    );
    if (!signature.ok) {
      refuse(response, `signature_${signature.reason}`);
      response.setHeader('WWW-Authenticate', 'Buli2-Signature');
      sendProblem(response, 'invalid_signature', { detail: 'A valid, current X-Buli2-Signature is required.' });
      return;
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(rawBody));
    } catch {
      refuse(response, 'malformed_json');
      sendProblem(response, 'malformed_request', { detail: 'The body is not valid JSON.' });
      return;
    }
    const checked = callbackBody.safeParse(parsed);
    if (!checked.success) {
      refuse(response, 'invalid_body');
      // The problem handler answers 400 with each issue's path and rule, never the value.
      throw checked.error;
    }
    const callback = checked.data;
    const ids = { reviewId: callback.review_id, documentId: callback.document_id };

    const review = await buli2.findReview(callback.review_id);
    if (!review || review.documentId.toLowerCase() !== callback.document_id) {
      refuse(response, review ? 'document_mismatch' : 'unknown_review', ids);
      throw new HttpProblem('not_found', { detail: 'No such review for this document.' });
    }

    let outcome: Awaited<ReturnType<ReviewDecisions['decide']>>;
    try {
      outcome = await reviews.decide(
        callback.document_id,
        {
          decision: callback.decision,
          reason: reasonOf(callback.notes),
          reviewerId: callback.reviewer,
          source: 'buli2',
        },
        buli2RequestId(callback),
      );
    } catch {
      refuse(response, 'reviews_unavailable', ids);
      response.setHeader('Retry-After', String(REVIEWS_RETRY_AFTER_S));
      sendProblem(response, 'service_unavailable', {
        detail: 'The review service cannot be reached. Nothing was decided; deliver the callback again.',
      });
      return;
    }
    const answer = { review_id: callback.review_id, document_id: callback.document_id };
    switch (outcome.outcome) {
      case 'applied':
        taken(response, callback, 'applied');
        response.json({ ...answer, status: outcome.status });
        return;
      case 'accepted':
        taken(response, callback, 'accepted');
        response.status(202).json({ ...answer, status: 'needs_review', decision: 'accepted' });
        return;
      case 'no_review':
        refuse(response, 'no_review', ids);
        throw new HttpProblem('not_found', { detail: 'No such review for this document.' });
      case 'refused': {
        // The review has ended. If it ended with this very decision, this is a redelivery: BULI2
        // hears the same success again, and nothing changes.
        const recorded = await buli2.decisionOf(callback.document_id);
        if (isThisDecision(recorded, callback)) {
          taken(response, callback, 'duplicate');
          response.json({ ...answer, status: callback.decision === 'approve' ? 'approved' : 'rejected' });
          return;
        }
        refuse(response, 'decided_already', { ...ids, refusal: outcome.reason.slice(0, 64) });
        throw new HttpProblem('decided_already', {
          detail: 'The review has been decided otherwise; this decision changed nothing.',
        });
      }
    }
  };

  /** The image, for a link signImageLink made; invalid and expired links get the same 403. */
  const image: RequestHandler = async (request, response) => {
    if (!buli2) return notServed(response);
    const { documentId } = request.params;
    const check = verifyImageLink(
      buli2.imageLinkSecret,
      documentId,
      request.query.expires,
      request.query.signature,
      nowSeconds(),
    );
    if (check !== 'ok' || typeof documentId !== 'string') {
      // The id only once the signature vouches for it; the signature itself never.
      logger.warn('buli2.image_link_refused', {
        reason: check,
        ...(check === 'expired' ? { documentId } : {}),
        correlationId: response.locals.requestId,
      });
      sendProblem(response, 'invalid_link', { detail: 'The link is not valid, or has expired.' });
      return;
    }
    const document = await deps.queries.view(documentId);
    if (!document) throw new HttpProblem('not_found', { detail: 'No such document.' });
    const bytes = await deps.storage.get(document.storageKey);
    // As the reviewers' image route: never cached, never sniffed into something else. BULI2's
    // reviewers load the link from BULI2's pages, so it may be embedded across origins.
    response
      .setHeader('Cache-Control', 'no-store')
      .setHeader('X-Content-Type-Options', 'nosniff')
      .setHeader('Cross-Origin-Resource-Policy', 'cross-origin')
      .type(document.mime)
      .send(bytes);
  };

  return routerFor(buli2RouteTable, {
    // Whether the route is served is decided before the body is read; the signature is over the
    // raw bytes, which this parser keeps (the app's JSON parser never sees this route).
    callback: [
      (_request, response, next) => (buli2 && reviews ? next() : notServed(response)),
      express.raw({ type: () => true, limit: CALLBACK_BODY_LIMIT }),
      receive,
    ],
    image: [image],
  });
}
