import type { Router as ExpressRouter, RequestHandler } from 'express';
import { z } from 'zod';
import { reasonSchema } from '../../../domain/reasons.ts';
import { DOCUMENT_STATUSES, FINAL_STATUSES } from '../../../machines/document.machine.ts';
import { coerceError } from '../../../runtime/errors.ts';
import type { Logger } from '../../../runtime/ports.ts';
import type { createAuth, Principal } from '../../http/auth.ts';
import { HttpProblem } from '../../http/problems.ts';
import { json, parameters, problems, secured } from '../../openapi/openApiSchemas.ts';
import { type RouteTable, routerFor } from '../../openapi/routeTable.ts';
import type { DocumentChanges, DocumentQueries, DocumentSummary } from '../../ports.ts';
import { idParams, visibleDocument } from '../documentAccess.ts';
import { clientVerdictSchema, STATUS_VERDICT } from './clientVerdict.ts';
import { createStreamSlots } from './streamSlots.ts';
import { streamWakeups } from './streamWakeups.ts';

/**
 * The verdict a lending app needs: pending, approved, rejected or in review, with score and reasons,
 * as one response or as a Server-Sent Events stream that sends the current verdict at once, then
 * each change, and ends after a final one.
 */

const verdictOf = (document: DocumentSummary) => ({
  documentId: document.id,
  verdict: STATUS_VERDICT[document.status],
  status: document.status,
  score: document.evaluation?.score ?? null,
  reasons: document.evaluation?.reasons ?? [],
  clientMessage: document.clientMessage,
  applicantId: document.applicantId,
  externalRef: document.externalRef,
  updatedAt: document.updatedAt,
});

/** What `verdictOf` answers, for the OpenAPI document. */
const verdictResponse = z.object({
  documentId: z.uuid().describe('The document id'),
  verdict: clientVerdictSchema,
  status: z.enum(DOCUMENT_STATUSES).describe("The machine's state behind the verdict, for operators"),
  score: z.number().nullable().describe('The automatic evaluation score, 0..1; null before it'),
  reasons: z.array(reasonSchema).describe("The automatic evaluation's reasons"),
  clientMessage: z
    .string()
    .nullable()
    .describe('What a reviewer wrote for the applicant with their decision; null when no person decided or wrote one'),
  applicantId: z.uuid().nullable().describe('The applicant the upload named, or null'),
  externalRef: z.string().nullable().describe("The client's reference, as uploaded, or null"),
  updatedAt: z.iso.datetime().describe('When the verdict last changed'),
});
z.globalRegistry.add(verdictResponse, { id: 'Verification', description: "A document's verdict, for clients" });

export const verificationRouteTable = {
  verdict: {
    method: 'get',
    path: '/verification/:id',
    operation: {
      operationId: 'getVerification',
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
      operationId: 'streamVerificationEvents',
      summary: 'Server-Sent Events: the verdict now, then each change, until final',
      description: [
        'Sends the current verdict at once as a `verdict` event, then each change as it commits (pushed, not',
        'polled), and ends after a final verdict, after 2 minutes without a change, or after 10 minutes.',
        'A comment line (`: keep-alive`) comes every 10 seconds.',
        '',
        'Each event has an `id:`, an opaque token of the verdict version. On reconnect, `EventSource` sends',
        'the last one as `Last-Event-ID`: when it names the current version that verdict is not sent again;',
        'otherwise the current verdict is sent. When it names the current version and that verdict is final,',
        'the answer is 204, which tells `EventSource` to stop reconnecting.',
        '',
        'A user may hold 5 streams at once per server process, and a process 500 in all (both configurable);',
        'beyond, 429 with `Retry-After`.',
      ].join('\n'),
      ...secured,
      parameters: [
        ...parameters(idParams, 'path'),
        {
          name: 'Last-Event-ID',
          in: 'header',
          required: false,
          description: 'The `id` of the last event received (EventSource sends it on reconnect).',
          schema: { type: 'string', maxLength: 64 },
        },
      ],
      responses: {
        '200': {
          description: '`verdict` events, each with an `id:` (the verdict version)',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
        '204': { description: '`Last-Event-ID` names the current verdict, and it is final: nothing more will come' },
        ...problems(400, 401, 404, 429, 'too_many_streams'),
      },
    },
  },
} as const satisfies RouteTable;

export function verificationRoutes(deps: {
  auth: ReturnType<typeof createAuth>;
  queries: DocumentQueries;
  /**
   * Committed changes of documents, which wake the event streams. Without it, or while it is not
   * live, streams read their document every `pollMs` instead.
   */
  changes?: DocumentChanges;
  /**
   * How often an open event stream reads its document when no change feed wakes it: always without
   * `changes`, and while its listener is away (default 500 ms without `changes`, 3 s with).
   */
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
  const pollMs = deps.pollMs ?? (deps.changes ? 3000 : 500);
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
    const stop = new AbortController();
    // Subscribed before the first read: a change committed after that read still wakes the stream.
    const wakeups = streamWakeups(deps.changes, id, stop.signal);
    let release: (() => void) | null = null;
    try {
      let document: DocumentSummary = await visibleDocument(deps.queries, id, principal);
      const lastEventId = request.get('last-event-id');
      // The client has this final verdict already: 204 tells EventSource not to reconnect again.
      if (lastEventId === versionOf(document) && FINAL_STATUSES.includes(document.status)) {
        response.status(204).end();
        return;
      }
      release = slots.acquire(principal.id);
      if (!release) {
        response.setHeader('Retry-After', String(STREAM_RETRY_AFTER_S));
        throw new HttpProblem('too_many_streams', {
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
      const send = (summary: DocumentSummary) =>
        write(`id: ${versionOf(summary)}\nevent: verdict\ndata: ${JSON.stringify(verdictOf(summary))}\n\n`);
      // EventSource waits this long before reconnecting after the stream ends.
      write(`retry: ${STREAM_RETRY_AFTER_S * 1000}\n`);
      // A client that resumes with the current version has this verdict already.
      if (lastEventId !== versionOf(document)) send(document);
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
          // Pushed: nothing to read until the feed signals, up to the stream's own limits. Without a
          // live feed (none, or its listener is away): read every pollMs.
          const untilLimit = Math.min(deadline, changedAt + maxIdleMs) - Date.now();
          await wakeups.next(deps.changes?.live ? Math.max(0, untilLimit) : pollMs);
          if (closed) break;
          const next = await deps.queries.view(id);
          if (!next) break;
          if (next.status !== document.status || versionOf(next) !== versionOf(document)) {
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
        if (!closed) response.end();
      }
    } finally {
      wakeups.stop();
      release?.();
    }
  };

  return routerFor(verificationRouteTable, {
    verdict: [deps.auth.authenticate, limit, verdict],
    events: [deps.auth.authenticate, limit, events],
  });
}

/**
 * The verdict's version, sent as each event's `id:` and compared with `Last-Event-ID`: the time of
 * the document's last change, which every change a verdict shows moves (adapters/postgres/
 * documentStore.ts). Opaque to clients.
 */
const versionOf = (document: DocumentSummary) => document.updatedAt;

/** Seconds a client waits before opening a stream again: after a 429, or after a stream ends. */
const STREAM_RETRY_AFTER_S = 5;
