import { STATUS_CODES } from 'node:http';
import { CodedError } from '../../runtime/errors.ts';

/**
 * The two ways a call to BULI2 fails, as the review activity branches on them: try again later
 * (`buli2_unavailable`), or never (`buli2_refused`). Messages carry the operation, the review and
 * document ids and the HTTP status; never the payload (names, NIK), the API key or BULI2's body.
 */

export type Buli2Operation = 'forward' | 'withdraw';

/** What made a call retryable: the activity's retry policy treats them alike, people reading logs do not. */
export type Buli2UnavailableCause =
  | 'timeout'
  | 'network'
  | 'circuit_open'
  | 'server_error'
  | 'request_timeout'
  | 'rate_limited';

export type Buli2CallTarget = { operation: Buli2Operation; reviewId: string; documentId: string };

/** BULI2 did not answer, answered 5xx, 408 or 429, or the circuit is open: the same call may succeed later. */
export class Buli2UnavailableError extends CodedError<'buli2_unavailable'> {
  /** A short word, not an Error: the underlying errors may carry request details this error must not. */
  override readonly cause: Buli2UnavailableCause;
  readonly operation: Buli2Operation;
  readonly reviewId: string;
  readonly documentId: string;
  /** BULI2's HTTP status, when it answered. */
  readonly status: number | undefined;
  /** How long to wait before trying again, when BULI2 (Retry-After) or the open circuit says. */
  readonly retryAfterMs: number | undefined;
  constructor(
    target: Buli2CallTarget,
    failure: { cause: Buli2UnavailableCause; status?: number; retryAfterMs?: number; detail?: string },
  ) {
    super('buli2_unavailable', `${describeCall(target)} failed and may be retried: ${describeUnavailable(failure)}`);
    this.cause = failure.cause;
    this.operation = target.operation;
    this.reviewId = target.reviewId;
    this.documentId = target.documentId;
    this.status = failure.status;
    this.retryAfterMs = failure.retryAfterMs;
  }
}

/** BULI2 answered that it will never take this request (a 4xx other than 408 and 429, or an answer outside the contract). */
export class Buli2RefusedError extends CodedError<'buli2_refused'> {
  readonly operation: Buli2Operation;
  readonly reviewId: string;
  readonly documentId: string;
  readonly status: number;
  constructor(target: Buli2CallTarget, status: number) {
    super('buli2_refused', `${describeCall(target)} was refused by BULI2: ${describeStatus(status)}`);
    this.operation = target.operation;
    this.reviewId = target.reviewId;
    this.documentId = target.documentId;
    this.status = status;
  }
}

export type Buli2Error = Buli2UnavailableError | Buli2RefusedError;

/** By code rather than class, so an error that crossed a serialisation boundary is still recognised. */
export function isBuli2Unavailable(error: unknown): error is Buli2UnavailableError {
  return codeOf(error) === 'buli2_unavailable';
}

export function isBuli2Refused(error: unknown): error is Buli2RefusedError {
  return codeOf(error) === 'buli2_refused';
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

function describeCall({ operation, reviewId, documentId }: Buli2CallTarget): string {
  return `BULI2 ${operation} of review ${reviewId} (document ${documentId})`;
}

/**
 * The standard reason phrase of a status, never the one BULI2 sent: a reason phrase is free text
 * from the other side, and could echo what it was sent.
 */
function describeStatus(status: number): string {
  return `HTTP ${status} ${STATUS_CODES[status] ?? 'Unknown Status'}`;
}

function describeUnavailable(failure: {
  cause: Buli2UnavailableCause;
  status?: number;
  retryAfterMs?: number;
  detail?: string;
}): string {
  const retryAfter = failure.retryAfterMs === undefined ? '' : `, retry after ${failure.retryAfterMs} ms`;
  const detail = failure.detail ? ` (${failure.detail})` : '';
  switch (failure.cause) {
    case 'timeout':
      return `no answer in time${detail}`;
    case 'network':
      return `network error${detail}`;
    case 'circuit_open':
      return `circuit open after consecutive failures, no request sent${retryAfter}`;
    default:
      return `${failure.status === undefined ? 'no status' : describeStatus(failure.status)}${retryAfter}`;
  }
}
