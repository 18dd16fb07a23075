import { type Router as ExpressRouter, type RequestHandler, Router } from 'express';
import type { DocumentQueries, DocumentSummary } from '../../adapters/postgres/documentQueries.ts';
import { FINAL_STATUSES } from '../../machines/document.machine.ts';
import type { createAuth, Principal } from '../http/auth.ts';
import { HttpProblem } from '../http/problems.ts';
import { idParams } from './documentRoutes.ts';

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

export function verificationRoutes(deps: {
  auth: ReturnType<typeof createAuth>;
  queries: DocumentQueries;
  /** How often an open event stream looks for a change (default 500 ms). */
  pollMs?: number;
  /** Longest an event stream stays open (default 10 minutes); the client reconnects after. */
  maxStreamMs?: number;
  verificationLimit?: RequestHandler;
}): ExpressRouter {
  const router = Router();
  const pollMs = deps.pollMs ?? 500;
  const maxStreamMs = deps.maxStreamMs ?? 10 * 60_000;
  const limit: RequestHandler = deps.verificationLimit ?? ((_request, _response, next) => next());

  const visible = async (id: string, principal: Principal) => {
    const document = await deps.queries.view(id);
    const staff = principal.role === 'reviewer' || principal.role === 'admin';
    if (!document || (!staff && document.ownerId !== principal.id))
      throw new HttpProblem({ status: 404, title: 'Not Found', detail: 'No such document.' });
    return document;
  };

  router.get('/verification/:id', deps.auth.authenticate, limit, async (request, response) => {
    const { id } = idParams.parse(request.params);
    response.json(verdictOf(await visible(id, response.locals.principal as Principal)));
  });

  router.get('/verification/:id/events', deps.auth.authenticate, limit, async (request, response) => {
    const { id } = idParams.parse(request.params);
    const principal = response.locals.principal as Principal;
    let document: DocumentSummary = await visible(id, principal);
    response.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    let closed = false;
    request.on('close', () => {
      closed = true;
    });
    const send = (summary: DocumentSummary) =>
      response.write(`event: verdict\ndata: ${JSON.stringify(verdictOf(summary))}\n\n`);
    send(document);
    const deadline = Date.now() + maxStreamMs;
    try {
      while (!closed && !FINAL_STATUSES.includes(document.status) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
        if (closed) break;
        const next = await deps.queries.view(id);
        if (!next) break;
        if (next.status !== document.status || next.updatedAt !== document.updatedAt) send(next);
        document = next;
      }
    } finally {
      // Headers are sent: a failure can only end the stream; the client reconnects.
      if (!closed) response.end();
    }
  });

  return router;
}
