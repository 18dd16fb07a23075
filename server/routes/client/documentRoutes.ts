import type { Router as ExpressRouter } from 'express';
import { z } from 'zod';
import { DOCUMENT_TYPES } from '../../../domain/documentType.ts';
import { reasonSchema } from '../../../domain/reasons.ts';
import { DOCUMENT_STATUSES, type DocumentStatus } from '../../../machines/document.machine.ts';
import type { DocumentStore } from '../../../runtime/ports.ts';
import type { createAuth, Principal } from '../../http/auth.ts';
import { json, parameters, problems, secured } from '../../openapi/openApiSchemas.ts';
import { type RouteTable, routerFor } from '../../openapi/routeTable.ts';
import type { DocumentListFilter, DocumentQueries, DocumentSummary, DocumentView, PageRequest } from '../../ports.ts';
import { idParams, isStaff, visibleDocument } from '../documentAccess.ts';
import { pageAnswer, pageFrom, pageQuery } from '../paging.ts';
import { externalRefSchema } from './clientReferences.ts';
import { clientVerdictSchema, STATUS_VERDICT } from './clientVerdict.ts';

/**
 * The client's view of its documents: list, detail and history. A user reaches only their own
 * documents (documentAccess.ts); reviewers and admins reach every document. Owners see NIK and NPWP
 * masked to their last 4 digits.
 */

const IDENTIFIER_FIELDS = new Set(['nik', 'npwp']);
const maskIdentifier = (value: string) => value.replace(/\d(?=(?:\D*\d){4})/g, '*');

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
    verdict: STATUS_VERDICT[document.status],
    gpuProcessed: document.gpuProcessed,
    evaluation: document.evaluation,
    clientMessage: document.clientMessage,
    fields,
    applicantId: document.applicantId,
    externalRef: document.externalRef,
    metadata: document.metadata,
    createdAt: document.createdAt,
    updatedAt: document.updatedAt,
  };
}

/** What `present` answers, for the OpenAPI document. */
export const documentResponse = z.object({
  id: z.uuid().describe('The document id'),
  type: z.enum(DOCUMENT_TYPES).describe('The card: KTP or NPWP'),
  status: z.enum(DOCUMENT_STATUSES).describe("The machine's state, for operators; clients read `verdict`"),
  verdict: clientVerdictSchema,
  gpuProcessed: z.boolean().nullable().describe('Whether OCR ran on a GPU; null before OCR'),
  evaluation: z
    .object({ score: z.number(), reasons: z.array(reasonSchema), policyVersion: z.string() })
    .nullable()
    .describe("The automatic evaluation: score 0..1, the reasons, and the policy's version; null before it"),
  clientMessage: z
    .string()
    .nullable()
    .describe('What a reviewer wrote for the applicant with their decision; null when no person decided or wrote one'),
  fields: z
    .record(z.string(), z.string().nullable())
    .nullable()
    .describe("The fields read off the card (NIK and NPWP masked to their last 4 digits for the document's owner)"),
  applicantId: z.uuid().nullable().describe('The applicant the upload named, or null'),
  externalRef: z.string().nullable().describe("The client's reference, as uploaded, or null"),
  metadata: z.record(z.string(), z.string()).describe("The client's metadata, as uploaded ({} when none)"),
  createdAt: z.iso.datetime().describe('When it was uploaded'),
  updatedAt: z.iso.datetime().describe('When its status last changed'),
});
z.globalRegistry.add(documentResponse, {
  id: 'Document',
  description: 'A document: its card, status and evaluation',
  examples: [
    {
      id: '0f8e6a4c-2b1d-4c3e-9f5a-7b6c5d4e3f2a',
      type: 'KTP',
      status: 'needs_review',
      verdict: 'in_review',
      gpuProcessed: false,
      evaluation: {
        score: 0.62,
        reasons: [{ code: 'IMAGE_BLURRY', severity: 'review', message: 'The image is blurred.' }],
        policyVersion: '1',
      },
      clientMessage: null,
      fields: { nik: '************1234', nama: 'BUDI SANTOSO' },
      applicantId: null,
      externalRef: 'borrower-1042',
      metadata: { loanId: 'L-1042' },
      createdAt: '2026-11-02T08:15:30.000Z',
      updatedAt: '2026-11-02T08:15:34.000Z',
    },
  ],
});

/**
 * A list's filters. `status` takes one status or several (repeated); `createdFrom` is inclusive and
 * `createdTo` exclusive.
 */
const listQuery = pageQuery.extend({
  // One status, or several as the parameter repeated: what the schema says exactly, so generated
  // clients and fuzzers send what the route takes.
  status: z
    .union([
      z.enum(DOCUMENT_STATUSES),
      z
        .array(z.enum(DOCUMENT_STATUSES))
        .min(1)
        .max(DOCUMENT_STATUSES.length * 2),
    ])
    .optional()
    .describe(
      `One status, or several with the parameter repeated (\`status=approved&status=auto_approve\`): ${DOCUMENT_STATUSES.join(', ')}`,
    ),
  type: z.enum(DOCUMENT_TYPES).optional().describe('KTP or NPWP'),
  externalRef: externalRefSchema.optional(),
  applicantId: z.uuid().optional().describe('Only the documents of this applicant'),
  createdFrom: z.iso.datetime({ offset: true }).optional().describe('Uploaded at or after this time (ISO 8601)'),
  createdTo: z.iso.datetime({ offset: true }).optional().describe('Uploaded before this time (ISO 8601)'),
});

/** The list's filter from its query; a query that is not valid is a ZodError (400). */
export function listFilterOf(query: unknown): { page: PageRequest; filter: DocumentListFilter } {
  const { limit, cursor, status, type, externalRef, applicantId, createdFrom, createdTo } = listQuery.parse(query);
  return {
    page: pageFrom({ limit, cursor }),
    filter: {
      ...(status ? { status: [...new Set<DocumentStatus>(typeof status === 'string' ? [status] : status)] } : {}),
      ...(type ? { type } : {}),
      ...(externalRef ? { externalRef } : {}),
      ...(applicantId ? { applicantId: applicantId.toLowerCase() } : {}),
      // In UTC: ISO 8601 takes offsets up to ±23:59, Postgres only up to ±15:59.
      ...(createdFrom ? { createdFrom: new Date(createdFrom).toISOString() } : {}),
      ...(createdTo ? { createdTo: new Date(createdTo).toISOString() } : {}),
    },
  };
}

export const documentRouteTable = {
  list: {
    method: 'get',
    path: '/documents',
    operation: {
      operationId: 'listDocuments',
      summary:
        "The caller's documents, newest first, filtered by status, type, client reference, applicant and upload time",
      ...secured,
      parameters: parameters(listQuery, 'query'),
      responses: {
        '200': {
          description: 'A page',
          ...json(z.object({ items: z.array(documentResponse), nextCursor: z.string().nullable() })),
        },
        ...problems(400, 401),
      },
    },
  },
  detail: {
    method: 'get',
    path: '/documents/:id',
    operation: {
      operationId: 'getDocument',
      summary: 'One document (NIK/NPWP masked for its owner)',
      ...secured,
      parameters: parameters(idParams, 'path'),
      responses: { '200': { description: 'The document', ...json(documentResponse) }, ...problems(400, 401, 404) },
    },
  },
  history: {
    method: 'get',
    path: '/documents/:id/history',
    operation: {
      operationId: 'getDocumentHistory',
      summary: 'Its transitions, oldest first',
      ...secured,
      parameters: parameters(idParams, 'path'),
      responses: { '200': { description: 'The history' }, ...problems(400, 401, 404) },
    },
  },
} as const satisfies RouteTable;

export function documentRoutes(deps: {
  auth: ReturnType<typeof createAuth>;
  queries: DocumentQueries;
  store: Pick<DocumentStore, 'history'>;
}): ExpressRouter {
  const { authenticate } = deps.auth;
  return routerFor(documentRouteTable, {
    list: [
      authenticate,
      async (request, response) => {
        const principal = response.locals.principal as Principal;
        const { page, filter } = listFilterOf(request.query);
        const answer = await deps.queries.listByOwner(principal.id, page, filter);
        // The same shape as the detail: a list item is the document as GET /documents/:id shows it.
        response.json(pageAnswer(answer, (item) => present(item, principal)));
      },
    ],
    detail: [
      authenticate,
      async (request, response) => {
        const { id } = idParams.parse(request.params);
        const principal = response.locals.principal as Principal;
        response.json(present(await visibleDocument(deps.queries, id, principal), principal));
      },
    ],
    history: [
      authenticate,
      async (request, response) => {
        const { id } = idParams.parse(request.params);
        const principal = response.locals.principal as Principal;
        await visibleDocument(deps.queries, id, principal);
        const history = await deps.store.history(id);
        // Reviewers see why a human decided (the audit); the reason is as the event log keeps it,
        // long digit runs masked. The owner sees who and when.
        const audits = principal.role === 'reviewer' || principal.role === 'admin';
        response.json({
          items: history.map((entry) => ({
            seq: entry.seq,
            event: entry.eventType,
            from: entry.fromStatus,
            to: entry.toStatus,
            actor: { type: entry.actorType, id: entry.actorId },
            at: entry.at.toISOString(),
            ...(audits && entry.eventType === 'REVIEW_DECIDED' ? { review: reviewOf(entry.payload) } : {}),
          })),
        });
      },
    ],
  });
}

/** What a review's decision recorded, for the audit: the decision, its reason and its channel. */
function reviewOf(payload: Record<string, unknown>): { decision?: string; reason?: string; source?: string } {
  const text = (key: string) => (typeof payload[key] === 'string' ? { [key]: payload[key] as string } : {});
  return { ...text('decision'), ...text('reason'), ...text('source') };
}
