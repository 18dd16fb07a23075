import { readFileSync } from 'node:fs';
import type { Router as ExpressRouter, RequestHandler } from 'express';
import { z } from 'zod';
import { DOCUMENT_TYPES } from '../../domain/documentType.ts';
import { DOCUMENT_STATUSES, type DocumentStatus } from '../../machines/document.machine.ts';
import type { createAuth } from '../http/auth.ts';
import { HttpProblem } from '../http/problems.ts';
import { json, parameters, problems, secured } from '../openapi/openApiSchemas.ts';
import { type RouteTable, routerFor } from '../openapi/routeTable.ts';
import type { MachineMapQueries } from '../ports.ts';
import { idParams } from './documentAccess.ts';
import { machineDrawing, machineShape, transitionElementId } from './inspector/machineDrawing.ts';
import { pageAnswer, pageQuery, pageRequested } from './paging.ts';

/**
 * The live machine map (reviewer, admin). `/inspector` is a page of static files served from
 * routes/inspector/ (no inline script or style, so it runs under the app's CSP as it is): it holds
 * no data, and asks for the token of a reviewer or admin, which it keeps in the tab's
 * sessionStorage and sends as `Authorization: Bearer`, never in a URL. Its data comes from the JSON
 * routes under /internal/inspector: the machine drawn from its definition (inspector/machineDrawing.ts),
 * polled counts per state and per transition over the last hour, the documents in a state, and one
 * document's path. They answer ids, statuses, event and document types and times only: no PII.
 */

/** The window of the transition counts. */
export const TRANSITION_WINDOW_S = 3600;
/**
 * How long one reading of the counts serves every open page: the count per status reads the whole
 * documents table, so viewers polling together cost one reading a second, not one each.
 */
export const LIVE_READING_TTL_MS = 1000;

const statusParams = z.strictObject({ status: z.enum(DOCUMENT_STATUSES) });

const drawnTransition = z.object({
  id: z.string(),
  from: z.enum(DOCUMENT_STATUSES).nullable(),
  event: z.string(),
  to: z.enum(DOCUMENT_STATUSES),
});
export const machineResponse = z.object({
  machine: z.object({ id: z.string(), version: z.number().int() }),
  /** The SVG element ids are the states' and transitions' `id`. */
  svg: z.string(),
  states: z.array(
    z.object({ status: z.enum(DOCUMENT_STATUSES), id: z.string(), initial: z.boolean(), final: z.boolean() }),
  ),
  transitions: z.array(drawnTransition),
});
export const liveResponse = z.object({
  at: z.string(),
  windowSeconds: z.number().int(),
  /** Documents in each status now. */
  states: z.record(z.enum(DOCUMENT_STATUSES), z.number().int()),
  /** Every drawn transition with its count; then any taken that the drawing does not have (`id` null). */
  transitions: z.array(
    z.object({
      id: z.string().nullable(),
      from: z.string().nullable(),
      event: z.string(),
      to: z.string(),
      count: z.number().int(),
    }),
  ),
  /** false: the window held more events than are read; its counts are lower bounds. */
  complete: z.boolean(),
});
export const stateDocumentsResponse = z.object({
  items: z.array(z.object({ id: z.string(), type: z.enum(DOCUMENT_TYPES), since: z.string(), createdAt: z.string() })),
  nextCursor: z.string().nullable(),
});
export const documentPathResponse = z.object({
  id: z.string(),
  type: z.enum(DOCUMENT_TYPES),
  status: z.enum(DOCUMENT_STATUSES),
  createdAt: z.string(),
  steps: z.array(
    z.object({
      seq: z.number().int(),
      event: z.string(),
      from: z.string().nullable(),
      to: z.string(),
      at: z.string(),
      /** The transition drawn for this step; null when the drawing has none (an older machine). */
      transition: z.string().nullable(),
    }),
  ),
  truncated: z.boolean(),
});

const content = (type: string) => ({ content: { [type]: { schema: { type: 'string' } } } });

export const inspectorRouteTable = {
  page: {
    method: 'get',
    path: '/inspector',
    operation: {
      operationId: 'getInspectorPage',
      summary:
        'The live machine map page (reviewer, admin): a static page that asks for a bearer token and reads /internal/inspector with it',
      responses: { '200': { description: 'The page', ...content('text/html') } },
    },
  },
  script: {
    method: 'get',
    path: '/inspector/inspector.js',
    operation: {
      operationId: 'getInspectorScript',
      summary: "The machine map page's script",
      responses: { '200': { description: 'The script', ...content('text/javascript') } },
    },
  },
  style: {
    method: 'get',
    path: '/inspector/inspector.css',
    operation: {
      operationId: 'getInspectorStyle',
      summary: "The machine map page's style sheet",
      responses: { '200': { description: 'The style sheet', ...content('text/css') } },
    },
  },
  machine: {
    method: 'get',
    path: '/internal/inspector/machine',
    operation: {
      operationId: 'getMachineDrawing',
      summary:
        'The document machine drawn from its definition, as SVG, with its states and transitions (reviewer, admin)',
      ...secured,
      responses: { '200': { description: 'The drawing', ...json(machineResponse) }, ...problems(401, 403) },
    },
  },
  live: {
    method: 'get',
    path: '/internal/inspector/live',
    operation: {
      operationId: 'getLiveMachineCounts',
      summary:
        'Documents in each state now and per transition in the last hour; at most a second old (reviewer, admin)',
      ...secured,
      responses: { '200': { description: 'The counts', ...json(liveResponse) }, ...problems(401, 403) },
    },
  },
  stateDocuments: {
    method: 'get',
    path: '/internal/inspector/states/:status/documents',
    operation: {
      operationId: 'listDocumentsInState',
      summary: 'The documents in a state, the longest there first: ids, types and times only (reviewer, admin)',
      ...secured,
      parameters: [...parameters(statusParams, 'path'), ...parameters(pageQuery, 'query')],
      responses: {
        '200': { description: 'A page', ...json(stateDocumentsResponse) },
        ...problems(400, 401, 403),
      },
    },
  },
  documentPath: {
    method: 'get',
    path: '/internal/inspector/documents/:id/path',
    operation: {
      operationId: 'getDocumentPath',
      summary: "A document's path through the machine, oldest step first, with times (reviewer, admin)",
      ...secured,
      parameters: parameters(idParams, 'path'),
      responses: {
        '200': { description: 'The path', ...json(documentPathResponse) },
        ...problems(400, 401, 403, 404),
      },
    },
  },
} as const satisfies RouteTable;

/** The page's files, read once. */
let pageFiles: { html: Buffer; script: Buffer; style: Buffer } | undefined;
function inspectorFiles() {
  const read = (name: string) => readFileSync(new URL(`./inspector/${name}`, import.meta.url));
  pageFiles ??= { html: read('index.html'), script: read('inspector.js'), style: read('inspector.css') };
  return pageFiles;
}

type LiveReading = z.infer<typeof liveResponse>;

export function inspectorRoutes(deps: {
  auth: ReturnType<typeof createAuth>;
  machineMap: MachineMapQueries;
}): ExpressRouter {
  const files = inspectorFiles();
  /** What the counts and paths are matched against: the drawing's transitions, read from the machine. */
  const shape = machineShape();
  const drawn = new Set(shape.transitions.map((transition) => transition.id));
  const staff: [RequestHandler, RequestHandler] = [deps.auth.authenticate, deps.auth.requireRole('reviewer', 'admin')];
  /** The page's files change only with a deployment: browsers ask again each time, and get 304 by ETag. */
  const file =
    (type: string, body: Buffer): RequestHandler =>
    (_request, response) => {
      response.setHeader('Cache-Control', 'no-cache').type(type).send(body);
    };
  const noStore: RequestHandler = (_request, response, next) => {
    response.setHeader('Cache-Control', 'no-store');
    next();
  };

  let reading: { taken: number; value: Promise<LiveReading> } | undefined;
  const live = (): Promise<LiveReading> => {
    if (reading && performance.now() - reading.taken < LIVE_READING_TTL_MS) return reading.value;
    const value = readLive();
    const current = { taken: performance.now(), value };
    reading = current;
    value.catch(() => {
      if (reading === current) reading = undefined;
    });
    return value;
  };
  async function readLive(): Promise<LiveReading> {
    const [counts, recent] = await Promise.all([
      deps.machineMap.countsByStatus(),
      deps.machineMap.recentTransitions(TRANSITION_WINDOW_S),
    ]);
    const taken = new Map(
      recent.transitions.map((entry) => [transitionElementId(entry.from, entry.event, entry.to), entry]),
    );
    return {
      at: new Date().toISOString(),
      windowSeconds: TRANSITION_WINDOW_S,
      states: Object.fromEntries(DOCUMENT_STATUSES.map((status) => [status, counts[status] ?? 0])) as Record<
        DocumentStatus,
        number
      >,
      transitions: [
        ...shape.transitions.map(({ id, from, event, to }) => ({
          id,
          from,
          event,
          to,
          count: taken.get(id)?.count ?? 0,
        })),
        ...[...taken]
          .filter(([id]) => !drawn.has(id))
          .map(([, { from, event, to, count }]) => ({ id: null, from, event, to, count })),
      ],
      complete: recent.complete,
    };
  }

  return routerFor(inspectorRouteTable, {
    page: [file('html', files.html)],
    script: [file('text/javascript', files.script)],
    style: [file('css', files.style)],
    machine: [
      ...staff,
      noStore,
      async (_request, response) => {
        const { svg, machine, states, transitions } = await machineDrawing();
        response.json({ machine, svg, states, transitions });
      },
    ],
    live: [
      ...staff,
      noStore,
      async (_request, response) => {
        response.json(await live());
      },
    ],
    stateDocuments: [
      ...staff,
      noStore,
      async (request, response) => {
        const { status } = statusParams.parse(request.params);
        const page = await deps.machineMap.inStatus(status, pageRequested(request.query));
        response.json(pageAnswer(page, ({ id, type, since, createdAt }) => ({ id, type, since, createdAt })));
      },
    ],
    documentPath: [
      ...staff,
      noStore,
      async (request, response) => {
        const { id } = idParams.parse(request.params);
        const path = await deps.machineMap.pathOf(id);
        if (!path) throw new HttpProblem('not_found', { detail: 'No such document.' });
        response.json({
          id: path.id,
          type: path.type,
          status: path.status,
          createdAt: path.createdAt,
          steps: path.steps.map(({ seq, event, from, to, at }) => {
            const transition = transitionElementId(from, event, to);
            return { seq, event, from, to, at, transition: drawn.has(transition) ? transition : null };
          }),
          truncated: path.truncated,
        });
      },
    ],
  });
}
