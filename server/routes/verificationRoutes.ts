import type { Router as ExpressRouter, RequestHandler } from 'express';
import { z } from 'zod';
import { reasonSchema } from '../../domain/reasons.ts';
import { DOCUMENT_STATUSES, FINAL_STATUSES } from '../../machines/document.machine.ts';
import { pause } from '../../runtime/backoff.ts';
import { coerceError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/ports.ts';
import type { createAuth, Principal } from '../http/auth.ts';
import { HttpProblem } from '../http/problems.ts';
import { json, parameters, problems, secured } from '../openapi/openApiSchemas.ts';
import { type RouteTable, routerFor } from '../openapi/routeTable.ts';
import type { DocumentQueries, DocumentSummary } from '../ports.ts';
import { idParams, visibleDocument } from './documentAccess.ts';
import { createStreamSlots } from './streamSlots.ts';

/**
 * The verdict a lending app needs: pending, approved, rejected or in review, with score and reasons,
 * as one response or as a Server-Sent Events stream that sends the current verdict at once, then
 * each change, and ends after a final one.
 */

const VERDICT: Readonly<Record<DocumentSummary['status'], 'pending' | 'approved' | 'rejected' | 'in_review'>> = {
  uploaded: 'pending',
  processing: 'pending',
  ocr_completed: 'pending',
  ai_evaluated: 'pending',
  auto_approve: 'approved',
  approved: 'approved',
  auto_reject: 'rejected',
  rejected: 'rejected',
  needs_review: 'in_review',
};

const verdictOf = (document: DocumentSummary) => ({
  documentId: document.id,
  verdict: VERDICT[document.status],
  status: document.status,
  score: document.evaluation?.score ?? null,
  reasons: document.evaluation?.reasons ?? [],
  updatedAt: document.updatedAt,
});

/** What `verdictOf` answers, for the OpenAPI document. */
const verdictResponse = z.object({
  documentId: z.uuid(),
  verdict: z.enum(['pending', 'approved', 'rejected', 'in_review']),
  status: z.enum(DOCUMENT_STATUSES),
  score: z.number().nullable(),
  reasons: z.array(reasonSchema),
  updatedAt: z.iso.datetime(),
});

export const verificationRouteTable = {
  verdict: {
    method: 'get',
    path: '/verification/:id',
    operation: {
      summary: 'The verdict',
      ...secured,
      parameters: parameters(idParams, 'path'),
      responses: {
        '200': { description: 'The verdict', ...json(verdictResponse) },
        ...problems(400, 401, 404, 429),
      },
    },
  },
  events: {
    method: 'get',
    path: '/verification/:id/events',
    operation: {
      summary: 'Server-Sent Events: the verdict now, then each change, until final',
      ...secured,
      parameters: parameters(idParams, 'path'),
      responses: {
        '200': {
          description: '`verdict` events',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
        ...problems(400, 401, 404, 429),
      },
    },
  },
} as const satisfies RouteTable;

export function verificationRoutes(deps: {
  auth: ReturnType<typeof createAuth>;
  queries: DocumentQueries;
  /** How often an open event stream looks for a change (default 500 ms). */
  pollMs?: number;
  /** Longest an event stream stays open (default 10 minutes); the client reconnects after. */
  maxStreamMs?: number;
  /** Longest an event stream stays open without a change of verdict (default 2 minutes). */
  maxIdleMs?: number;
  /** How often an open stream sends a comment line, so proxies and clients see it alive (default 10 s). */
  heartbeatMs?: number;
  /** Open streams per user and per process (default 5 and 500). */
  streams?: { perUser: number; perProcess: number };
  logger?: Logger;
  verificationLimit?: RequestHandler;
}): ExpressRouter {
  const pollMs = deps.pollMs ?? 500;
  const maxStreamMs = deps.maxStreamMs ?? 10 * 60_000;
  const maxIdleMs = deps.maxIdleMs ?? 2 * 60_000;
  const heartbeatMs = deps.heartbeatMs ?? 10_000;
  const slots = createStreamSlots(deps.streams ?? { perUser: 5, perProcess: 500 });
  const limit: RequestHandler = deps.verificationLimit ?? ((_request, _response, next) => next());

  const verdict: RequestHandler = async (request, response) => {
    const { id } = idParams.parse(request.params);
    response.json(verdictOf(await visibleDocument(deps.queries, id, response.locals.principal as Principal)));
  };

  const events: RequestHandler = async (request, response) => {
    const { id } = idParams.parse(request.params);
    const principal = response.locals.principal as Principal;
    let document: DocumentSummary = await visibleDocument(deps.queries, id, principal);
    const release = slots.acquire(principal.id);
    if (!release) {
      response.setHeader('Retry-After', String(STREAM_RETRY_AFTER_S));
      throw new HttpProblem({
        status: 429,
        title: 'Too Many Requests',
        detail: 'Too many open event streams; close one, or poll GET /verification/{id}.',
      });
    }
    response.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    let closed = false;
    const stop = new AbortController();
    const close = () => {
      closed = true;
      stop.abort();
    };
    request.on('close', close);
    // A write to a connection that just went away reports here; without a listener it would throw.
    response.on('error', close);
    const write = (text: string) => {
      if (!closed) response.write(text);
    };
    const send = (summary: DocumentSummary) => write(`event: verdict\ndata: ${JSON.stringify(verdictOf(summary))}\n\n`);
    // EventSource waits this long before reconnecting after the stream ends.
    write(`retry: ${STREAM_RETRY_AFTER_S * 1000}\n`);
    send(document);
    const heartbeat = setInterval(() => write(': keep-alive\n\n'), heartbeatMs);
    const deadline = Date.now() + maxStreamMs;
    let changedAt = Date.now();
    try {
      while (
        !closed &&
        !FINAL_STATUSES.includes(document.status) &&
        Date.now() < deadline &&
        Date.now() - changedAt < maxIdleMs
      ) {
        await pause(pollMs, stop.signal);
        if (closed) break;
        const next = await deps.queries.view(id);
        if (!next) break;
        if (next.status !== document.status || next.updatedAt !== document.updatedAt) {
          send(next);
          changedAt = Date.now();
        }
        document = next;
      }
    } catch (error) {
      // Headers are sent: a failure (the database went away) can only end the stream; the client
      // reconnects and gets a problem document if the failure persists.
      deps.logger?.warn('stream.failed', { documentId: id, errorClass: coerceError(error).name });
    } finally {
      clearInterval(heartbeat);
      release();
      if (!closed) response.end();
    }
  };

  return routerFor(verificationRouteTable, {
    verdict: [deps.auth.authenticate, limit, verdict],
    events: [deps.auth.authenticate, limit, events],
  });
}

/** Seconds a client waits before opening a stream again: after a 429, or after a stream ends. */
const STREAM_RETRY_AFTER_S = 5;
