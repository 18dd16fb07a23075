import { createHash, randomUUID } from 'node:crypto';
import type { Router as ExpressRouter, RequestHandler } from 'express';
import { z } from 'zod';
import { crossCheck } from '../../../domain/checks/crossDocument.ts';
import { reasonSchema } from '../../../domain/reasons.ts';
import type { createAuth, Principal } from '../../http/auth.ts';
import { HttpProblem } from '../../http/problems.ts';
import { json, parameters, problems, secured } from '../../openapi/openApiSchemas.ts';
import { type RouteTable, routerFor } from '../../openapi/routeTable.ts';
import type { Applicant, Applicants, DocumentView, IdempotencyKeys } from '../../ports.ts';
import { isStaff } from '../documentAccess.ts';
import { pageAnswer, pageFrom, pageQuery } from '../paging.ts';
import { canonicalMetadata, externalRefSchema, metadataSchema } from './clientReferences.ts';
import { applicantVerdict, clientVerdictSchema, STATUS_VERDICT } from './clientVerdict.ts';
import { documentResponse, present } from './documentRoutes.ts';
import { claimKey, IDEMPOTENT_REPLAYED_HEADER, idempotencyKeyOf, idempotencyKeyParameter } from './idempotency.ts';

/**
 * Applicants: one person's documents (a KTP and an NPWP) grouped by the client, with one verdict
 * for the person. An upload names its applicant (`applicantId`). When an applicant has both cards,
 * the cross-document checks (domain/checks/crossDocument.ts) say whether they name the same person:
 * the NPWP's NIK (or its 16-digit number) against the KTP's, and the two names. The checks run on
 * each read, over the documents as they are now, so they are never stale. Owners reach their own
 * applicants; reviewers and admins every one; anyone else gets the 404 of an unknown id.
 */

/** An applicant holds a person's few cards; more than this is refused at read as a client's bug. */
export const APPLICANT_DOCUMENT_LIMIT = 20;

/** An applicant id, canonicalised as a document id is (documentAccess.ts). */
const applicantIdParams = z.strictObject({
  id: z
    .uuid()
    .transform((id) => id.toLowerCase())
    .describe('The applicant id (a UUID)'),
});

export const applicantBody = z
  .strictObject({ externalRef: externalRefSchema.optional(), metadata: metadataSchema.optional() })
  .meta({ id: 'NewApplicant', description: 'A new applicant: the client reference and metadata, both optional' });

const checkSchema = z.object({
  check: z.enum(['nik', 'name']).describe('What was compared across the two cards'),
  outcome: z
    .enum(['match', 'mismatch', 'unsure'])
    .describe('unsure: a card was not read surely enough to tell; never a reason to reject'),
  reason: reasonSchema,
});

export const applicantResponse = z
  .object({
    id: z.uuid().describe('The applicant id'),
    verdict: clientVerdictSchema.describe(
      "The person's verdict: the least settled of the documents' verdicts, and once all are approved, rejected only on a cross-document reason of severity reject (two NIKs read surely and too far apart for a misread)",
    ),
    crossCheck: z
      .enum(['match', 'mismatch', 'unsure'])
      .nullable()
      .describe(
        'The checks across the cards in one word: mismatch when either check is one, else unsure when either is, else match; null until it has a KTP and an NPWP that were read. An approved applicant with mismatch (names) or unsure was not confirmed to be one person',
      ),
    externalRef: z.string().nullable().describe("The client's reference, or null"),
    metadata: z.record(z.string(), z.string()).describe("The client's metadata ({} when none)"),
    documents: z.array(documentResponse).describe('Its documents, oldest first'),
    checks: z.array(checkSchema).describe('The cross-document checks; empty until it has both a KTP and an NPWP'),
    createdAt: z.iso.datetime().describe('When it was created'),
  })
  .meta({ id: 'Applicant', description: "One person's documents, their checks across cards, and one verdict" });

const applicantListQuery = pageQuery.extend({ externalRef: externalRefSchema.optional() });
const applicantListItem = applicantResponse.pick({ id: true, externalRef: true, metadata: true, createdAt: true });

export const applicantRouteTable = {
  create: {
    method: 'post',
    path: '/applicants',
    operation: {
      operationId: 'createApplicant',
      summary: 'Create an applicant, then name it in the uploads of their cards',
      ...secured,
      parameters: [idempotencyKeyParameter('creating an applicant')],
      requestBody: { required: true, ...json(applicantBody) },
      responses: {
        '201': {
          description:
            'Created; `Location` is the applicant. A replay under the same `Idempotency-Key` answers the first answer again, with `Idempotent-Replayed: true`',
          headers: {
            Location: { description: 'The new applicant', schema: { type: 'string' } },
            ...IDEMPOTENT_REPLAYED_HEADER,
          },
          ...json(applicantResponse),
        },
        ...problems(400, 401, 'idempotency_in_progress', 'idempotency_key_reused', 429),
      },
    },
  },
  list: {
    method: 'get',
    path: '/applicants',
    operation: {
      operationId: 'listApplicants',
      summary: "The caller's applicants, newest first, by client reference when one is given",
      ...secured,
      parameters: parameters(applicantListQuery, 'query'),
      responses: {
        '200': {
          description: 'A page',
          ...json(z.object({ items: z.array(applicantListItem), nextCursor: z.string().nullable() })),
        },
        ...problems(400, 401),
      },
    },
  },
  detail: {
    method: 'get',
    path: '/applicants/:id',
    operation: {
      operationId: 'getApplicant',
      summary: 'An applicant with its documents, the cross-document checks and one verdict',
      ...secured,
      parameters: parameters(applicantIdParams, 'path'),
      responses: { '200': { description: 'The applicant', ...json(applicantResponse) }, ...problems(400, 401, 404) },
    },
  },
} as const satisfies RouteTable;

/** The cross-document checks over the latest KTP and NPWP that were read; none until both were. */
export function applicantChecks(documents: readonly DocumentView[]): z.infer<typeof checkSchema>[] {
  const latest = (type: DocumentView['type']) =>
    documents.filter((document) => document.type === type && document.fields).at(-1);
  const ktp = latest('KTP');
  const npwp = latest('NPWP');
  if (!ktp?.fields || !npwp?.fields) return [];
  const result = crossCheck({ ktp: { fields: ktp.fields }, npwp: { fields: npwp.fields } });
  return [
    { check: 'nik', outcome: result.nik.outcome, reason: result.nik.reason },
    { check: 'name', outcome: result.name.outcome, reason: result.name.reason },
  ];
}

/**
 * What an Idempotency-Key is bound to: a new applicant with this reference and metadata (in any key
 * order). The route's name is in it, so an upload's key cannot replay here.
 */
function requestDigest(body: z.infer<typeof applicantBody>): Buffer {
  return createHash('sha256')
    .update(JSON.stringify(['POST /applicants', body.externalRef ?? null, canonicalMetadata(body.metadata)]))
    .digest();
}

export function applicantRoutes(deps: {
  auth: ReturnType<typeof createAuth>;
  applicants: Applicants;
  idempotency: IdempotencyKeys;
  /** Per-caller limit on creating applicants. */
  applicantLimit?: RequestHandler;
}): ExpressRouter {
  const { authenticate } = deps.auth;
  const limit: RequestHandler = deps.applicantLimit ?? ((_request, _response, next) => next());

  /** The applicant if `principal` may see it; the same 404 otherwise, whether or not it exists. */
  const visibleApplicant = async (id: string, principal: Principal): Promise<Applicant> => {
    const applicant = await deps.applicants.get(id);
    if (!applicant || (!isStaff(principal) && applicant.ownerId !== principal.id))
      throw new HttpProblem('not_found', { detail: 'No such applicant.' });
    return applicant;
  };

  const show = async (applicant: Applicant, principal: Principal) => {
    const documents = await deps.applicants.documents(applicant.id, APPLICANT_DOCUMENT_LIMIT);
    const checks = applicantChecks(documents);
    const outcomes = checks.map((check) => check.outcome);
    const crossCheck =
      outcomes.length === 0
        ? null
        : ((['mismatch', 'unsure', 'match'] as const).find((outcome) => outcomes.includes(outcome)) ?? null);
    return {
      id: applicant.id,
      verdict: applicantVerdict(
        documents.map((document) => STATUS_VERDICT[document.status]),
        checks.map((check) => check.reason),
      ),
      crossCheck,
      externalRef: applicant.externalRef,
      metadata: applicant.metadata,
      documents: documents.map((document) => present(document, principal)),
      checks,
      createdAt: applicant.createdAt,
    };
  };

  return routerFor(applicantRouteTable, {
    create: [
      authenticate,
      limit,
      async (request, response) => {
        const principal = response.locals.principal as Principal;
        const key = idempotencyKeyOf(request);
        const body = applicantBody.parse(request.body ?? {});
        if (key !== undefined) {
          const replay = await claimKey(deps.idempotency, principal.id, key, requestDigest(body));
          if (replay) {
            response.setHeader('Idempotent-Replayed', 'true');
            response.status(replay.status).location(`/applicants/${replay.body.id}`).json(replay.body);
            return;
          }
        }
        let answer: Awaited<ReturnType<typeof show>>;
        try {
          const applicant = await deps.applicants.create({
            id: randomUUID(),
            ownerId: principal.id,
            externalRef: body.externalRef ?? null,
            metadata: body.metadata ?? {},
          });
          answer = await show(applicant, principal);
        } catch (error) {
          if (key !== undefined) await deps.idempotency.abandon(principal.id, key);
          throw error;
        }
        if (key !== undefined) await deps.idempotency.complete(principal.id, key, null, 201, answer);
        response.status(201).location(`/applicants/${answer.id}`).json(answer);
      },
    ],
    list: [
      authenticate,
      async (request, response) => {
        const principal = response.locals.principal as Principal;
        const { limit, cursor, externalRef } = applicantListQuery.parse(request.query);
        const page = await deps.applicants.listByOwner(
          principal.id,
          pageFrom({ limit, cursor }),
          externalRef ? { externalRef } : {},
        );
        response.json(
          pageAnswer(page, (item) => ({
            id: item.id,
            externalRef: item.externalRef,
            metadata: item.metadata,
            createdAt: item.createdAt,
          })),
        );
      },
    ],
    detail: [
      authenticate,
      async (request, response) => {
        const { id } = applicantIdParams.parse(request.params);
        const principal = response.locals.principal as Principal;
        response
          .setHeader('Cache-Control', 'no-store')
          .json(await show(await visibleApplicant(id, principal), principal));
      },
    ],
  });
}
