import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { ZodError } from 'zod';
import { DocumentNotFoundError, IllegalTransitionError, InvalidEventError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/ports.ts';

/**
 * RFC 9457 problem documents for every error the API returns. The domain throws domain errors;
 * this is the one place that maps them to HTTP. Internal details (messages of unexpected errors,
 * stacks) are shown only when NODE_ENV=development, and every problem carries the correlation id.
 */

export type Problem = { status: number; title: string; detail?: string; errors?: unknown[] };

/** An error the API means to show as-is. */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.problem = problem;
  }
}

export function sendProblem(response: Response, problem: Problem & { stack?: string }): void {
  response
    .status(problem.status)
    .type('application/problem+json')
    .json({ type: 'about:blank', ...problem, correlationId: response.locals.requestId });
}

function toProblem(error: unknown): Problem | null {
  if (error instanceof HttpProblem) return error.problem;
  if (error instanceof ZodError)
    return {
      status: 400,
      title: 'Bad Request',
      detail: 'The request is not valid.',
      errors: error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    };
  // The router could not percent-decode a path parameter (`/documents/%ff%fe`).
  if (error instanceof URIError) return { status: 400, title: 'Bad Request', detail: 'The URL is not valid.' };
  if (error instanceof InvalidEventError) return { status: 400, title: 'Bad Request', detail: error.message };
  if (error instanceof DocumentNotFoundError) return { status: 404, title: 'Not Found', detail: 'No such document.' };
  if (error instanceof IllegalTransitionError)
    return {
      status: 409,
      title: 'Conflict',
      detail: `The document is in status "${error.status}", where ${error.eventType} is not allowed.`,
    };
  // body-parser and express report client mistakes with a `status` and `expose`.
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: unknown }).expose) {
    if ((error as { type?: unknown }).type === 'entity.parse.failed')
      return { status: 400, title: 'Bad Request', detail: 'The body is not valid JSON.' };
    if ((error as { type?: unknown }).type === 'entity.too.large')
      return { status: 413, title: 'Content Too Large', detail: 'The body is larger than allowed.' };
    return { status, title: (error as Error).message };
  }
  return null;
}

/** Seconds a client should wait before trying again while a dependency is unavailable. */
const UNAVAILABLE_RETRY_AFTER_S = 5;

export function problemHandler(deps: {
  logger: Logger;
  development: boolean;
  /** Whether an error means a dependency cannot be reached right now (503, not 500); from the entry point. */
  isUnavailable?: (error: unknown) => boolean;
}): ErrorRequestHandler {
  return (error, _request, response, _next) => {
    let known = toProblem(error);
    if (!known && deps.isUnavailable?.(error)) {
      deps.logger.warn('http.dependency_unavailable', {
        correlationId: response.locals.requestId,
        errorClass: (error as Error)?.name,
        error: (error as Error)?.message,
      });
      response.setHeader('Retry-After', String(UNAVAILABLE_RETRY_AFTER_S));
      known = {
        status: 503,
        title: 'Service Unavailable',
        detail: 'A service this request needs is unavailable for a moment. Try again after Retry-After.',
      };
    }
    if (!known)
      // `errorClass`, not `name`: `name` is a PII key that the log mask redacts.
      deps.logger.error('http.unhandled_error', {
        correlationId: response.locals.requestId,
        errorClass: (error as Error)?.name,
        error: (error as Error)?.message,
      });
    if (response.headersSent) {
      // Part of an answer (an event stream, a file) is already out: it can only be cut short.
      response.destroy();
      return;
    }
    if (known) {
      sendProblem(response, known);
      return;
    }
    sendProblem(response, {
      status: 500,
      title: 'Internal Server Error',
      ...(deps.development
        ? { detail: (error as Error)?.message, stack: (error as Error)?.stack ?? '' }
        : { detail: 'Something went wrong on our side. Quote the correlation id when you contact us.' }),
    });
  };
}

export const notFound: RequestHandler = (_request, response) => {
  sendProblem(response, { status: 404, title: 'Not Found' });
};
