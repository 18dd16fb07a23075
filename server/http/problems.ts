import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { ZodError } from 'zod';
import {
  CodedError,
  ContentionError,
  coerceError,
  DocumentNotFoundError,
  IllegalTransitionError,
  InvalidEventError,
  SnapshotMigrationError,
} from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/ports.ts';
import { defaultKindFor, PROBLEM_TYPES, type ProblemCode, problemTypeUri } from './problemTypes.ts';

/**
 * RFC 9457 problem documents for every error the API returns. The domain throws domain errors;
 * this is the one place that maps them to HTTP. Internal details (messages of unexpected errors,
 * stacks) are shown only when NODE_ENV=development, and every problem carries the correlation id.
 */

/** What a throw site adds to its kind: a detail for this occurrence, the issues, or an extension member (`claim`). */
export type ProblemInit = { detail?: string; errors?: unknown[]; [extension: string]: unknown };

/** A problem as it is answered: the kind's code, title and status, and what this occurrence adds. */
export type Problem = ProblemInit & { code: ProblemCode; status: number; title: string };

/** The older shape, by status and title: its kind is the default for the status (defaultKindFor). */
type ProblemByStatus = ProblemInit & { status: number; title?: string };

export function problemOf(kind: ProblemCode | ProblemByStatus, init: ProblemInit = {}): Problem {
  if (typeof kind === 'string') {
    const { status, title } = PROBLEM_TYPES[kind];
    return { ...init, code: kind, status, title };
  }
  const { status: _status, title: _title, ...rest } = kind;
  return problemOf(defaultKindFor(kind.status), { ...rest, ...init });
}

/** An error the API means to show as-is: a kind from the catalogue (problemTypes.ts), and what this occurrence adds. */
export class HttpProblem extends CodedError<'http_problem'> {
  readonly problem: Problem;
  constructor(kind: ProblemCode | ProblemByStatus, init: ProblemInit = {}) {
    const problem = problemOf(kind, init);
    super('http_problem', problem.detail ?? problem.title);
    this.problem = problem;
  }
}

export function sendProblem(
  response: Response,
  kind: ProblemCode | ProblemByStatus,
  init: ProblemInit & { stack?: string } = {},
): void {
  const { code, status, title, ...rest } = problemOf(kind, init);
  response
    .status(status)
    .type('application/problem+json')
    .json({ type: problemTypeUri(code), code, title, status, ...rest, correlationId: response.locals.requestId });
}

/** A problem to answer with, and how many seconds the client should wait before trying again, if it should. */
type Answer = { problem: Problem; retryAfterS?: number };

/** Seconds a client should wait before trying again while a dependency is unavailable. */
const UNAVAILABLE_RETRY_AFTER_S = 5;
/** Seconds before trying again after a document stayed contended through every retry: the writers are usually done by then. */
const CONTENTION_RETRY_AFTER_S = 1;

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;
/** An error class and its answer; `null` answers 500 (logged): the error is ours, though the runtime named it. */
type RuntimeMapping = readonly [ErrorClass<Error>, (error: never) => Answer | null];
const mapping = <E extends Error>(type: ErrorClass<E>, answer: (error: E) => Answer | null): RuntimeMapping => [
  type,
  answer,
];

/**
 * The answer to each error runtime/errors.ts declares. test/unit/server/problems.test.ts fails for an error
 * declared there and missing here.
 */
const RUNTIME_ERROR_ANSWERS: readonly RuntimeMapping[] = [
  mapping(InvalidEventError, (error) => ({ problem: problemOf('validation_failed', { detail: error.message }) })),
  mapping(DocumentNotFoundError, () => ({ problem: problemOf('not_found', { detail: 'No such document.' }) })),
  mapping(IllegalTransitionError, (error) => ({
    problem: problemOf('illegal_transition', {
      detail: `The document is in status "${error.status}", where ${error.eventType} is not allowed.`,
    }),
  })),
  mapping(ContentionError, () => ({
    problem: problemOf('document_contended', {
      detail: 'The document is being changed by other requests right now. Try again after Retry-After.',
    }),
    retryAfterS: CONTENTION_RETRY_AFTER_S,
  })),
  // A stored snapshot this build cannot restore: a fault of ours, not of the request.
  mapping(SnapshotMigrationError, () => null),
];

/** Whether the API has an answer for this runtime error (a 500 included, when it says so). */
export function isMappedRuntimeError(error: unknown): boolean {
  return RUNTIME_ERROR_ANSWERS.some(([type]) => error instanceof type);
}

/** The answer to an error the API knows; null for anything else, which is a 500. */
function answerFor(error: unknown): Answer | null {
  if (error instanceof HttpProblem) return { problem: error.problem };
  if (error instanceof ZodError)
    return {
      problem: problemOf('validation_failed', {
        detail: 'The request is not valid.',
        errors: error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      }),
    };
  // The router could not percent-decode a path parameter (`/documents/%ff%fe`).
  if (error instanceof URIError)
    return { problem: problemOf('malformed_request', { detail: 'The URL is not valid.' }) };
  const runtime = RUNTIME_ERROR_ANSWERS.find(([type]) => error instanceof type);
  if (runtime) return runtime[1](error as never);
  const client = clientError(error);
  return client ? { problem: client } : null;
}

/** body-parser and express report client mistakes with a `status` and `expose`. */
function clientError(error: unknown): Problem | null {
  const { status, expose, type, message } = (error ?? {}) as {
    status?: unknown;
    expose?: unknown;
    type?: unknown;
    message?: unknown;
  };
  if (typeof status !== 'number' || status < 400 || status >= 500 || !expose) return null;
  if (type === 'entity.parse.failed') return problemOf('malformed_request', { detail: 'The body is not valid JSON.' });
  if (type === 'entity.too.large')
    return problemOf('payload_too_large', { detail: 'The body is larger than allowed.' });
  return problemOf({ status, detail: String(message) });
}

const unavailable: Answer = {
  problem: problemOf('service_unavailable', {
    detail: 'A service this request needs is unavailable for a moment. Try again after Retry-After.',
  }),
  retryAfterS: UNAVAILABLE_RETRY_AFTER_S,
};

export function problemHandler(deps: {
  logger: Logger;
  development: boolean;
  /** Whether an error means a dependency cannot be reached right now (503, not 500); from the entry point. */
  isUnavailable?: (error: unknown) => boolean;
}): ErrorRequestHandler {
  return (thrown, _request, response, _next) => {
    const error = coerceError(thrown);
    let known = answerFor(thrown);
    if (!known && deps.isUnavailable?.(thrown)) {
      deps.logger.warn('http.dependency_unavailable', {
        correlationId: response.locals.requestId,
        errorClass: error.name,
        error: error.message,
      });
      known = unavailable;
    }
    if (!known)
      // `errorClass`, not `name`: `name` is a PII key that the log mask redacts.
      deps.logger.error('http.unhandled_error', {
        correlationId: response.locals.requestId,
        errorClass: error.name,
        error: error.message,
      });
    if (response.headersSent) {
      // Part of an answer (an event stream, a file) is already out: it can only be cut short.
      response.destroy();
      return;
    }
    if (known) {
      if (known.retryAfterS !== undefined) response.setHeader('Retry-After', String(known.retryAfterS));
      sendProblem(response, known.problem.code, known.problem);
      return;
    }
    sendProblem(response, 'internal', {
      ...(deps.development
        ? { detail: error.message, stack: error.stack ?? '' }
        : { detail: 'Something went wrong on our side. Quote the correlation id when you contact us.' }),
    });
  };
}

export const notFound: RequestHandler = (_request, response) => {
  sendProblem(response, 'not_found', { detail: 'This service serves no such path.' });
};
