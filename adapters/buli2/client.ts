import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import type { Logger } from '../../runtime/ports.ts';
import type { ReviewForward } from './contract.ts';
import {
  type Buli2CallTarget,
  Buli2RefusedError,
  type Buli2UnavailableCause,
  Buli2UnavailableError,
} from './errors.ts';

/**
 * The outbound client to BULI2 (contract.ts). One call per method, under a timeout and a circuit
 * breaker; no retries: the review activity's retry policy owns those, and reads the error's `code`
 * (buli2_unavailable: again later; buli2_refused: never) to decide.
 */

export type Buli2ClientMetrics = {
  /** 0 closed, 1 half-open, 2 open (names/metrics.ts buli2CircuitState). */
  circuitState(state: 0 | 1 | 2): void;
  forwardMs(outcome: 'ok' | 'retryable' | 'refused', ms: number): void;
};

export type Buli2ClientOptions = {
  url: string;
  apiKey: string;
  timeoutMs: number;
  breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
  logger: Logger;
  metrics?: Buli2ClientMetrics;
};

export type Buli2CircuitState = 'closed' | 'half_open' | 'open';

export type Buli2Client = {
  /** Creates the review at BULI2; `created: false` when BULI2 had that review id already (a retried forward). */
  forward(review: ReviewForward, context: { correlationId: string }): Promise<{ created: boolean }>;
  /** `withdrawn: false` when the review is not open there: never arrived, withdrawn before, or decided already. */
  withdraw(reviewId: string, context: { correlationId: string; documentId: string }): Promise<{ withdrawn: boolean }>;
  circuitState(): Buli2CircuitState;
};

/** Retry-After beyond this is BULI2 misbehaving; the activity's own backoff takes over past it. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Up to this much of a body is read and thrown away, so the connection can be reused; a longer body
 * is cancelled instead (its connection closes). The client never needs a body, only the status.
 */
const DRAIN_LIMIT_BYTES = 64 * 1024;

export function createBuli2Client(options: Buli2ClientOptions): Buli2Client {
  // Fails at start-up on a malformed BULI2_URL instead of at the first review.
  const baseUrl = new URL(options.url).href.replace(/\/+$/, '');
  const { consecutiveFailures, halfOpenAfterMs } = options.breaker;
  const { logger, metrics } = options;

  const breaker = circuitBreaker(handleWhen(countsAgainstBuli2), {
    halfOpenAfter: halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(consecutiveFailures),
  });
  // Breaker outside the timeout: a call that times out is one more failure in a row.
  const policy = wrap(breaker, timeout(options.timeoutMs, TimeoutStrategy.Aggressive));

  // cockatiel does not expose when the circuit opened; with a constant halfOpenAfter this is exact.
  let openedAt = 0;
  breaker.onBreak((reason) => {
    openedAt = Date.now();
    metrics?.circuitState(2);
    const lastFailure = 'error' in reason ? reason.error : undefined;
    logger.warn('buli2.circuit_open', {
      consecutiveFailures,
      halfOpenAfterMs,
      ...(lastFailure instanceof Buli2UnavailableError
        ? { lastCause: lastFailure.cause, lastStatus: lastFailure.status }
        : lastFailure instanceof TaskCancelledError
          ? { lastCause: 'timeout' }
          : {}),
    });
  });
  breaker.onHalfOpen(() => metrics?.circuitState(1));
  breaker.onReset(() => {
    metrics?.circuitState(0);
    logger.info('buli2.circuit_closed', { halfOpenAfterMs });
  });
  metrics?.circuitState(0);

  const untilHalfOpenMs = () => Math.max(0, halfOpenAfterMs - (Date.now() - openedAt));

  /** Sends one request under the policy; resolves with a status in `accepted`, rejects with a Buli2 error. */
  async function call(
    target: Buli2CallTarget,
    request: { method: 'POST' | 'DELETE'; path: string; headers: Record<string, string>; body?: string },
    accepted: readonly number[],
  ): Promise<number> {
    try {
      return await policy.execute(async ({ signal }) => {
        let response: Response;
        try {
          response = await fetch(`${baseUrl}${request.path}`, {
            method: request.method,
            headers: request.headers,
            ...(request.body === undefined ? {} : { body: request.body }),
            // A redirect is outside the contract; following it could carry the key elsewhere.
            redirect: 'manual',
            signal,
          });
        } catch (error) {
          throw new Buli2UnavailableError(target, {
            cause: signal.aborted ? 'timeout' : 'network',
            detail: networkErrorCode(error),
          });
        }
        await discardBody(response);
        if (accepted.includes(response.status)) return response.status;
        throw failureFor(target, response);
      });
    } catch (error) {
      throw asBuli2Error(error, target);
    }
  }

  function asBuli2Error(error: unknown, target: Buli2CallTarget): unknown {
    if (error instanceof Buli2UnavailableError || error instanceof Buli2RefusedError) return error;
    if (error instanceof BrokenCircuitError)
      return new Buli2UnavailableError(target, { cause: 'circuit_open', retryAfterMs: untilHalfOpenMs() });
    if (error instanceof TaskCancelledError)
      return new Buli2UnavailableError(target, { cause: 'timeout', detail: `${options.timeoutMs} ms` });
    return error;
  }

  function headers(correlationId: string, extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${options.apiKey}`, 'x-request-id': correlationId, ...extra };
  }

  return {
    async forward(review, { correlationId }) {
      const target = { operation: 'forward', reviewId: review.review_id, documentId: review.document_id } as const;
      const startedAt = performance.now();
      try {
        const status = await call(
          target,
          {
            method: 'POST',
            path: '/reviews',
            headers: headers(correlationId, {
              'idempotency-key': review.review_id,
              'content-type': 'application/json',
            }),
            body: JSON.stringify(review),
          },
          [200, 201],
        );
        metrics?.forwardMs('ok', performance.now() - startedAt);
        return { created: status === 201 };
      } catch (error) {
        // A call the open circuit stopped never reached BULI2: it has no latency to record.
        if (!(error instanceof Buli2UnavailableError && error.cause === 'circuit_open'))
          metrics?.forwardMs(
            error instanceof Buli2RefusedError ? 'refused' : 'retryable',
            performance.now() - startedAt,
          );
        throw error;
      }
    },

    async withdraw(reviewId, { correlationId, documentId }) {
      const target = { operation: 'withdraw', reviewId, documentId } as const;
      const status = await call(
        target,
        { method: 'DELETE', path: `/reviews/${encodeURIComponent(reviewId)}`, headers: headers(correlationId) },
        // 404: not there (never arrived, withdrawn before); 409: decided there already. Neither is open.
        [204, 404, 409],
      );
      return { withdrawn: status === 204 };
    },

    circuitState() {
      // Open stays open until a call finds the delay passed; cockatiel moves to half-open only then.
      if (breaker.state === CircuitState.Closed) return 'closed';
      if (breaker.state === CircuitState.HalfOpen) return 'half_open';
      return 'open';
    },
  };
}

/** The failures that say BULI2 is unwell: they count towards opening the circuit. A refusal does not: BULI2 answered. */
function countsAgainstBuli2(error: unknown): boolean {
  return error instanceof Buli2UnavailableError || error instanceof TaskCancelledError;
}

function failureFor(target: Buli2CallTarget, response: Response): Buli2UnavailableError | Buli2RefusedError {
  const cause = retryableCause(response.status);
  if (cause === undefined) return new Buli2RefusedError(target, response.status);
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  return new Buli2UnavailableError(target, {
    cause,
    status: response.status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

function retryableCause(status: number): Buli2UnavailableCause | undefined {
  if (status === 408) return 'request_timeout';
  if (status === 429) return 'rate_limited';
  if (status >= 500 && status <= 599) return 'server_error';
  return undefined;
}

/**
 * Retry-After as milliseconds from now: delta seconds or an HTTP date, capped at an hour; undefined
 * when absent or unparseable (Date.parse alone takes nearly anything, so a date must look like one).
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else if (/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /.test(text)) {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  } else {
    return undefined;
  }
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

/**
 * Reads and drops a body up to DRAIN_LIMIT_BYTES, then cancels the rest, so neither a large body
 * nor an unread one holds memory or the socket. A body that breaks off does not matter: the status
 * is the answer.
 */
async function discardBody(response: Response): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  try {
    for (let read = 0; read <= DRAIN_LIMIT_BYTES; ) {
      const chunk = await reader.read();
      if (chunk.done) return;
      read += chunk.value.byteLength;
    }
    await reader.cancel();
  } catch {
    await reader.cancel().catch(() => {});
  }
}

/** The system code behind a failed fetch (ECONNREFUSED, UND_ERR_SOCKET…): short, and free of request data. */
function networkErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
  }
  return undefined;
}
