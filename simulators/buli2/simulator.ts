import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReviewForward } from '../../adapters/buli2/contract.ts';
import { type DecideOptions, type Decision, plannedCallbacks, prepareCallback, sendCallback } from './callbacks.ts';
import { type ContractOperation, createFaultQueue, type Fault, faultProblem } from './faults.ts';
import { answer, hasApiKey, readBody, readJson } from './httpIo.ts';
import { loadValidators, type SchemaIssue, schemaIssues, type Validators } from './schemas.ts';

/**
 * A BULI2 of our own (adapters/buli2/contract.ts): a real HTTP server that takes forwarded reviews
 * and withdrawals the way BULI2 does, and sends FiLot signed decision callbacks when told to (or
 * after a delay). It serves `npm run buli2:sim`, `npm start` in development without BULI2_URL, and
 * the tests, which also make it misbehave (faults, tampered or out-of-order callbacks).
 *
 * Contract endpoints, checked as strictly as BULI2 would (docs/buli2/*.schema.json):
 * - `POST /reviews`: 201 new, 200 the same review id for the same document again (nothing new is
 *   created), 409 the review id with another document, 400/401/413/415 a request it will never take.
 *   A review that was withdrawn and is forwarded again answers 200 and stays withdrawn: BULI2 never
 *   reopens a review; FiLot forwards under a new review id when it wants another one.
 * - `DELETE /reviews/:id`: 204 withdrawn (no callback is ever sent for it after), 404 unknown or
 *   withdrawn already, 409 decided already.
 *
 * The reviews live in memory only. Their field values (PII) are not even kept: nothing here needs
 * them after validation, so no log line, inspection answer or heap dump of the simulator holds one.
 */

export type SimulatorLogger = { info(message: string, fields?: object): void };

export type Buli2SimulatorOptions = {
  apiKey: string;
  /** Callbacks are signed with the first, unless a decide names another (`secretIndex`). */
  webhookSecrets: readonly string[];
  /** FiLot's `POST /internal/buli2/callback`; may be set later with `setCallbackUrl`. */
  callbackUrl?: string;
  /** Decide every open review this long after it was forwarded; null or unset: only on demand. */
  decideAfterMs?: number | null;
  /** The automatic decision (default 'approve'). */
  autoDecision?: Decision;
  /** GET each forwarded review's image link and record the status, to show the signed link works. */
  fetchImages?: boolean;
  /** Default 0: any free port of 127.0.0.1. */
  port?: number;
  /** How long a callback or an image fetch may take (default 5000 ms). */
  outboundTimeoutMs?: number;
  /** Quiet by default. Never given field values. */
  logger?: SimulatorLogger;
};

export type ReviewState = 'open' | 'withdrawn' | 'decided';

/** What the simulator shows of a review: no field values (PII), no image link (a credential). */
export type ReviewView = {
  review_id: string;
  document_id: string;
  document_type: ReviewForward['document_type'];
  reason_codes: string[];
  state: ReviewState;
  /** How many accepted forwards named it (1 + the idempotent repeats). */
  forwardCount: number;
  /** null: not fetched (fetchImages off); 'failed': no answer. */
  imageFetchStatus: number | 'pending' | 'failed' | null;
  /** Every callback sent for it, in order; status null: FiLot did not answer. */
  callbacks: { decision: Decision; status: number | null }[];
};

export type SimulatorStats = {
  /** Every request that reached a contract endpoint, faulted ones included; `other`: any other request outside /sim/. */
  requests: { forward: number; withdraw: number; other: number };
  /** The contract endpoints' answers by status code. */
  answered: Record<string, number>;
};

export type DecideOutcome = { callbacks: { status: number | null }[] };

export type QueuedFault = Fault & { remaining: number | null };

export type Buli2Simulator = {
  /** `http://127.0.0.1:<port>`: BULI2_URL for the engine. */
  url: string;
  port: number;
  /** Stops listening, drops every connection (hanging ones too), cancels timers and callbacks in flight. */
  close(): Promise<void>;
  setCallbackUrl(url: string | undefined): void;
  /** Sends the decision callback(s) now. Throws Buli2SimulatorError: 404 unknown review, 409 withdrawn or no callback URL, 400 bad options. */
  decide(reviewId: string, options?: DecideOptions): Promise<DecideOutcome>;
  /** Throws Buli2SimulatorError (400) when the fault is not valid. */
  addFault(fault: Fault): void;
  clearFaults(): void;
  faults(): QueuedFault[];
  reviews(): ReviewView[];
  review(reviewId: string): ReviewView | undefined;
  stats(): SimulatorStats;
  /** Forgets every review, fault and count; the callback URL stays. */
  reset(): void;
  /** Resolves once the work started in the background (image fetches, automatic decisions) has ended. */
  settled(): Promise<void>;
};

/** A request the simulator will not carry out, with the status its HTTP endpoint answers. */
export class Buli2SimulatorError extends Error {
  override name = 'Buli2SimulatorError';
  readonly status: number;
  readonly code: string;
  readonly issues: SchemaIssue[] | undefined;
  constructor(status: number, code: string, issues?: SchemaIssue[]) {
    super(`BULI2 simulator: ${code}`);
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

type StoredReview = {
  reviewId: string;
  documentId: string;
  documentType: ReviewForward['document_type'];
  reasonCodes: string[];
  state: ReviewState;
  forwardCount: number;
  imageFetchStatus: ReviewView['imageFetchStatus'];
  callbacks: ReviewView['callbacks'];
  autoDecision?: NodeJS.Timeout;
};

const DEFAULT_OUTBOUND_TIMEOUT_MS = 5000;
/** An automatic decision whose callback got no answer, or a 408/429/5xx, is tried again, this many times in all. */
const AUTO_DECIDE_ATTEMPTS = 5;
const AUTO_RETRY_BASE_MS = 1000;
const REVIEW_PATH = /^\/reviews\/([^/]{1,128})$/;
const SIM_REVIEW_PATH = /^\/sim\/reviews\/([^/]{1,128})(\/decide)?$/;

const isSuccess = (status: number | null) => status !== null && status >= 200 && status < 300;
const isRetryable = (status: number | null) => status === null || status === 408 || status === 429 || status >= 500;

function viewOf(review: StoredReview): ReviewView {
  return {
    review_id: review.reviewId,
    document_id: review.documentId,
    document_type: review.documentType,
    reason_codes: [...review.reasonCodes],
    state: review.state,
    forwardCount: review.forwardCount,
    imageFetchStatus: review.imageFetchStatus,
    callbacks: review.callbacks.map((callback) => ({ ...callback })),
  };
}

function checkedCallbackUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Buli2SimulatorError(400, 'callback_url_invalid');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Buli2SimulatorError(400, 'callback_url_invalid');
  return parsed.toString();
}

const emptyStats = (): SimulatorStats => ({ requests: { forward: 0, withdraw: 0, other: 0 }, answered: {} });

export async function createBuli2Simulator(options: Buli2SimulatorOptions): Promise<Buli2Simulator> {
  if (options.apiKey === '') throw new Error('The BULI2 simulator needs an API key');
  if (options.webhookSecrets.length === 0 || options.webhookSecrets.some((secret) => secret === ''))
    throw new Error('The BULI2 simulator needs at least one non-empty webhook secret');
  const { apiKey, webhookSecrets, logger } = options;
  const decideAfterMs = options.decideAfterMs ?? null;
  const autoDecision = options.autoDecision ?? 'approve';
  const outboundTimeoutMs = options.outboundTimeoutMs ?? DEFAULT_OUTBOUND_TIMEOUT_MS;
  const validators: Validators = await loadValidators();

  let callbackUrl = checkedCallbackUrl(options.callbackUrl);
  let reviews = new Map<string, StoredReview>();
  let stats = emptyStats();
  const faults = createFaultQueue();
  const closing = new AbortController();
  const background = new Set<Promise<unknown>>();

  const track = (work: Promise<unknown>) => {
    const settled = work.catch(() => {}).finally(() => background.delete(settled));
    background.add(settled);
  };
  const outboundSignal = () => AbortSignal.any([closing.signal, AbortSignal.timeout(outboundTimeoutMs)]);

  // --- the reviews ---------------------------------------------------------------------------

  const cancelAutoDecision = (review: StoredReview) => {
    clearTimeout(review.autoDecision);
    review.autoDecision = undefined;
  };

  const scheduleAutoDecision = (review: StoredReview, attempt: number) => {
    if (decideAfterMs === null || closing.signal.aborted) return;
    // A retry waits longer each time: FiLot may still be starting, or briefly down.
    const delay = attempt === 0 ? decideAfterMs : Math.max(decideAfterMs, AUTO_RETRY_BASE_MS) * 2 ** (attempt - 1);
    review.autoDecision = setTimeout(() => {
      review.autoDecision = undefined;
      track(autoDecide(review, attempt));
    }, delay);
    // The timer alone never keeps a process alive.
    review.autoDecision.unref();
  };

  const autoDecide = async (review: StoredReview, attempt: number) => {
    if (review.state !== 'open' || reviews.get(review.reviewId) !== review) return;
    let status: number | null = null;
    if (callbackUrl !== undefined) {
      const outcome = await decide(review.reviewId, { decision: autoDecision });
      status = outcome.callbacks[0]?.status ?? null;
    }
    if (review.state === 'open' && isRetryable(status) && attempt + 1 < AUTO_DECIDE_ATTEMPTS)
      scheduleAutoDecision(review, attempt + 1);
  };

  const fetchImage = async (review: StoredReview, url: string) => {
    review.imageFetchStatus = 'pending';
    try {
      const response = await fetch(url, { signal: outboundSignal(), redirect: 'manual' });
      await response.body?.cancel().catch(() => {});
      review.imageFetchStatus = response.status;
    } catch {
      review.imageFetchStatus = 'failed';
    }
    logger?.info('buli2 simulator: image fetched', { review_id: review.reviewId, status: review.imageFetchStatus });
  };

  const accept = (forward: ReviewForward): { status: 200 | 201 | 409; state?: ReviewState } => {
    const existing = reviews.get(forward.review_id);
    if (existing !== undefined) {
      if (existing.documentId !== forward.document_id) return { status: 409 };
      existing.forwardCount += 1;
      return { status: 200, state: existing.state };
    }
    const review: StoredReview = {
      reviewId: forward.review_id,
      documentId: forward.document_id,
      documentType: forward.document_type,
      reasonCodes: [...forward.reason_codes],
      state: 'open',
      forwardCount: 1,
      imageFetchStatus: null,
      callbacks: [],
    };
    reviews.set(review.reviewId, review);
    scheduleAutoDecision(review, 0);
    if (options.fetchImages) track(fetchImage(review, forward.image.url));
    return { status: 201, state: 'open' };
  };

  const decide = async (reviewId: string, input: unknown = {}): Promise<DecideOutcome> => {
    if (!validators.decideOptions(input))
      throw new Buli2SimulatorError(400, 'invalid_options', schemaIssues(validators.decideOptions.errors));
    const decideOptions: DecideOptions = input;
    const review = reviews.get(reviewId);
    if (review === undefined) throw new Buli2SimulatorError(404, 'unknown_review');
    if (review.state === 'withdrawn') throw new Buli2SimulatorError(409, 'review_withdrawn');
    const url = callbackUrl;
    if (url === undefined) throw new Buli2SimulatorError(409, 'no_callback_url');
    const secret = webhookSecrets[decideOptions.secretIndex ?? 0];
    if (secret === undefined) throw new Buli2SimulatorError(400, 'no_such_secret');
    const nowMs = Date.now();
    const planned = plannedCallbacks(review, decideOptions, nowMs);
    // BULI2 never sends a callback its own schema refuses (a reviewer id of 200 characters, say).
    for (const callback of planned)
      if (!validators.callback(callback))
        throw new Buli2SimulatorError(400, 'invalid_callback', schemaIssues(validators.callback.errors));
    const sent: DecideOutcome['callbacks'] = [];
    for (const callback of planned) {
      const prepared = prepareCallback(callback, secret, decideOptions, nowMs);
      const status = await sendCallback(url, prepared, outboundSignal());
      review.callbacks.push({ decision: prepared.callback.decision, status });
      if (isSuccess(status) && review.state === 'open') {
        review.state = 'decided';
        cancelAutoDecision(review);
      }
      sent.push({ status });
      logger?.info('buli2 simulator: callback sent', {
        review_id: reviewId,
        decision: prepared.callback.decision,
        status,
      });
    }
    return { callbacks: sent };
  };

  const addFault = (input: unknown) => {
    if (!validators.fault(input))
      throw new Buli2SimulatorError(400, 'invalid_fault', schemaIssues(validators.fault.errors));
    const problem = faultProblem(input);
    if (problem !== undefined)
      throw new Buli2SimulatorError(400, 'invalid_fault', [{ path: '/status', keyword: 'mode', message: problem }]);
    faults.add(input);
  };

  const reset = () => {
    for (const review of reviews.values()) cancelAutoDecision(review);
    reviews = new Map();
    faults.clear();
    stats = emptyStats();
  };

  // --- the contract endpoints ----------------------------------------------------------------

  const refuseKey = (response: ServerResponse) =>
    answer(response, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Bearer' });

  const forwardReview = async (request: IncomingMessage, response: ServerResponse) => {
    if (!hasApiKey(request, apiKey)) return refuseKey(response);
    const idempotencyKey = request.headers['idempotency-key'];
    if (typeof idempotencyKey !== 'string' || idempotencyKey === '')
      return answer(response, 400, { error: 'idempotency_key_missing' });
    const body = await readJson(request);
    if (!body.ok) return answer(response, body.status, { error: body.error });
    if (!validators.forward(body.value))
      return answer(response, 400, { error: 'invalid_review', issues: schemaIssues(validators.forward.errors) });
    const forward = body.value;
    if (idempotencyKey !== forward.review_id) return answer(response, 400, { error: 'idempotency_key_mismatch' });
    const outcome = accept(forward);
    logger?.info('buli2 simulator: review forwarded', { review_id: forward.review_id, status: outcome.status });
    if (outcome.status === 409) return answer(response, 409, { error: 'review_id_belongs_to_another_document' });
    answer(response, outcome.status, { review_id: forward.review_id, status: outcome.state });
  };

  const withdrawReview = (request: IncomingMessage, response: ServerResponse, reviewId: string) => {
    request.resume();
    if (!hasApiKey(request, apiKey)) return refuseKey(response);
    const review = reviews.get(reviewId);
    if (review === undefined || review.state === 'withdrawn') return answer(response, 404, { error: 'unknown_review' });
    if (review.state === 'decided') return answer(response, 409, { error: 'review_decided' });
    review.state = 'withdrawn';
    cancelAutoDecision(review);
    logger?.info('buli2 simulator: review withdrawn', { review_id: reviewId });
    answer(response, 204);
  };

  /** Counts the request and its answer, and lets a queued fault take it over first. */
  const contractRequest = async (
    operation: ContractOperation,
    request: IncomingMessage,
    response: ServerResponse,
    handle: () => unknown,
  ) => {
    stats.requests[operation] += 1;
    const counted = stats;
    response.on('finish', () => {
      const key = String(response.statusCode);
      counted.answered[key] = (counted.answered[key] ?? 0) + 1;
    });
    const effect = faults.take(operation);
    if (effect?.kind === 'hang') {
      // Never answered: the client gives up, or close() drops the connection.
      request.resume();
      return;
    }
    if (effect?.kind === 'answer') {
      request.resume();
      return answer(response, effect.status, { error: 'injected_fault' }, effect.headers);
    }
    if (effect?.kind === 'delay') await sleep(effect.ms, undefined, { signal: closing.signal });
    await handle();
  };

  // --- the control endpoints -----------------------------------------------------------------
  // /sim/ has no authentication on purpose: the simulator is a local test tool, bound to 127.0.0.1,
  // and holds no PII; BULI2 itself has nothing like it.

  const controlBody = async (request: IncomingMessage): Promise<unknown> => {
    const body = await readBody(request);
    if (!body.ok)
      throw new Buli2SimulatorError(body.status, body.status === 413 ? 'body_too_large' : 'body_unreadable');
    if (body.raw.length === 0) return {};
    try {
      return JSON.parse(body.raw.toString('utf8')) as unknown;
    } catch {
      throw new Buli2SimulatorError(400, 'malformed_json');
    }
  };

  const control = async (request: IncomingMessage, response: ServerResponse, method: string, path: string) => {
    const reviewMatch = SIM_REVIEW_PATH.exec(path);
    if (reviewMatch !== null) {
      const reviewId = reviewMatch[1] as string;
      if (reviewMatch[2] !== undefined) {
        if (method !== 'POST') return answer(response, 405, { error: 'method_not_allowed' }, { Allow: 'POST' });
        return answer(response, 200, await decide(reviewId, await controlBody(request)));
      }
      if (method !== 'GET') return answer(response, 405, { error: 'method_not_allowed' }, { Allow: 'GET' });
      const review = reviews.get(reviewId);
      return review === undefined
        ? answer(response, 404, { error: 'unknown_review' })
        : answer(response, 200, viewOf(review));
    }
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /sim/reviews':
        return answer(response, 200, { reviews: [...reviews.values()].map(viewOf) });
      case 'GET /sim/stats':
        return answer(response, 200, stats);
      case 'GET /sim/faults':
        return answer(response, 200, { faults: faults.list() });
      case 'POST /sim/faults':
        addFault(await controlBody(request));
        return answer(response, 201, { faults: faults.list() });
      case 'DELETE /sim/faults':
        faults.clear();
        return answer(response, 204);
      case 'POST /sim/reset':
        reset();
        return answer(response, 204);
      case 'PUT /sim/callback-url': {
        const body = await controlBody(request);
        const url = (body as { url?: unknown } | null)?.url;
        if (url !== null && typeof url !== 'string') throw new Buli2SimulatorError(400, 'callback_url_invalid');
        callbackUrl = checkedCallbackUrl(url ?? undefined);
        return answer(response, 204);
      }
      default:
        return answer(response, 404, { error: 'not_found' });
    }
  };

  const route = async (request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? 'GET';
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/';
    if (path.startsWith('/sim/')) return control(request, response, method, path);
    const reviewMatch = REVIEW_PATH.exec(path);
    if (path === '/reviews' && method === 'POST')
      return contractRequest('forward', request, response, () => forwardReview(request, response));
    if (reviewMatch !== null && method === 'DELETE') {
      const reviewId = reviewMatch[1] as string;
      return contractRequest('withdraw', request, response, () => withdrawReview(request, response, reviewId));
    }
    stats.requests.other += 1;
    request.resume();
    if (path === '/reviews') return answer(response, 405, { error: 'method_not_allowed' }, { Allow: 'POST' });
    if (reviewMatch !== null) return answer(response, 405, { error: 'method_not_allowed' }, { Allow: 'DELETE' });
    answer(response, 404, { error: 'not_found' });
  };

  const server = createServer(
    // No idle timeout: a `hang` fault must outlast any client's patience. Headers and bodies are small.
    { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 },
    (request, response) => {
      // A client that breaks off mid-request must not take the process down with it.
      request.on('error', () => {});
      response.on('error', () => {});
      route(request, response).catch((error: unknown) => {
        if (closing.signal.aborted) response.destroy();
        else if (error instanceof Buli2SimulatorError)
          answer(response, error.status, { error: error.code, ...(error.issues ? { issues: error.issues } : {}) });
        else answer(response, 500, { error: 'internal' });
      });
    },
  );
  // Node answers a malformed request itself (clientError); this only keeps a reset socket quiet.
  server.on('connection', (socket) => socket.on('error', () => {}));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger?.info('buli2 simulator: server error', { message: error.message }));
  const { port } = server.address() as AddressInfo;

  const settled = async () => {
    while (background.size > 0) await Promise.all([...background]);
  };

  let closed: Promise<void> | undefined;
  const close = async () => {
    closing.abort();
    for (const review of reviews.values()) cancelAutoDecision(review);
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    // Hanging requests and keep-alive connections would otherwise hold close() open.
    server.closeAllConnections();
    await stopped;
    await settled();
  };

  logger?.info('buli2 simulator: listening', { url: `http://127.0.0.1:${port}` });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => {
      closed ??= close();
      return closed;
    },
    setCallbackUrl: (url) => {
      callbackUrl = checkedCallbackUrl(url);
    },
    decide: (reviewId, decideOptions = {}) => decide(reviewId, decideOptions),
    addFault,
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    reviews: () => [...reviews.values()].map(viewOf),
    review: (reviewId) => {
      const review = reviews.get(reviewId);
      return review === undefined ? undefined : viewOf(review);
    },
    stats: () => structuredClone(stats),
    reset,
    settled,
  };
}
