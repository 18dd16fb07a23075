import type { Router as ExpressRouter } from 'express';
import { z } from 'zod';
import { DOCUMENT_TYPES } from '../../domain/documentType.ts';
import { reasonSchema } from '../../domain/reasons.ts';
import { DOCUMENT_STATUSES } from '../../machines/document.machine.ts';
import type { DocumentStore } from '../../runtime/ports.ts';
import type { createAuth, Principal } from '../http/auth.ts';
import { json, parameters, problems, secured } from '../openapi/openApiSchemas.ts';
import { type RouteTable, routerFor } from '../openapi/routeTable.ts';
import type { DocumentQueries, DocumentSummary, DocumentView } from '../ports.ts';
import { idParams, isStaff, visibleDocument } from './documentAccess.ts';
import { pageAnswer, pageQuery, pageRequested } from './paging.ts';

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
    gpuProcessed: document.gpuProcessed,
    evaluation: document.evaluation,
    fields,
    createdAt: document.createdAt,
    updatedAt: document.updatedAt,
  };
}

/** What `present` answers, for the OpenAPI document. */
export const documentResponse = z.object({
  id: z.uuid(),
  type: z.enum(DOCUMENT_TYPES),
  status: z.enum(DOCUMENT_STATUSES),
  gpuProcessed: z.boolean().nullable(),
  evaluation: z.object({ score: z.number(), reasons: z.array(reasonSchema), policyVersion: z.string() }).nullable(),
  fields: z.record(z.string(), z.string().nullable()).nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const documentRouteTable = {
  list: {
    method: 'get',
    path: '/documents',
    operation: {
      summary: "The caller's documents, newest first",
      ...secured,
      parameters: parameters(pageQuery, 'query'),
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
        const page = await deps.queries.listByOwner(principal.id, pageRequested(request.query));
        response.json(pageAnswer(page, (item) => present({ ...item, fields: null }, principal)));
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
