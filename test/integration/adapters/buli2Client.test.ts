import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Buli2ClientMetrics,
  type Buli2ClientOptions,
  Buli2RefusedError,
  Buli2UnavailableError,
  createBuli2Client,
  MAX_RETRY_AFTER_MS,
  type ReviewForward,
} from '../../../adapters/buli2/index.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';

const API_KEY = 'test-buli2-api-key-7f3a9c';
const NIK = '3201234567890001';
const NAME = 'SITI RAHAYU WULANDARI';

const review: ReviewForward = {
  review_id: 'rev-0001',
  document_id: 'doc-0001',
  document_type: 'KTP',
  reason_codes: ['low_confidence'],
  fields: { nik: NIK, name: NAME, birth_date: '1990-01-31', address: null },
  image: { url: 'https://filot.example/documents/doc-0001/image?sig=abc', expires_at: '2030-01-01T00:00:00Z' },
};

type RecordedRequest = {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Set when the connection of this request closed (the client hung up, or the answer ended). */
  closed: boolean;
};
type Answer = (response: ServerResponse, request: IncomingMessage, index: number) => void;

/** A real HTTP server answering each request with the next scripted answer (the last one repeats). */
async function scriptedServer(...answers: Answer[]) {
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    const index = requests.length;
    const recorded = {
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      body: '',
      closed: false,
    };
    requests.push(recorded);
    response.on('close', () => {
      recorded.closed = true;
    });
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      recorded.body = Buffer.concat(chunks).toString('utf8');
      const answer = answers[Math.min(index, answers.length - 1)];
      answer?.(response, request, index);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      // Hanging requests and keep-alive sockets end here, so nothing keeps the test process alive.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const status =
  (code: number, headers: Record<string, string> = {}, body = ''): Answer =>
  (response) => {
    response.writeHead(code, headers);
    response.end(body);
  };

const never: Answer = () => {};

function recordingMetrics() {
  const circuitStates: number[] = [];
  const forwards: { outcome: string; ms: number }[] = [];
  const metrics: Buli2ClientMetrics = {
    circuitState: (state) => circuitStates.push(state),
    forwardMs: (outcome, ms) => forwards.push({ outcome, ms }),
  };
  return { metrics, circuitStates, forwards };
}

function clientFor(url: string, overrides: Partial<Buli2ClientOptions> = {}) {
  const recorded = recordingLogger();
  const recordedMetrics = recordingMetrics();
  const client = createBuli2Client({
    url,
    apiKey: API_KEY,
    timeoutMs: 2000,
    breaker: { consecutiveFailures: 3, halfOpenAfterMs: 200 },
    logger: recorded.logger,
    metrics: recordedMetrics.metrics,
    ...overrides,
  });
  return { client, entries: recorded.entries, ...recordedMetrics };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to fail');
}

async function unavailable(promise: Promise<unknown>): Promise<Buli2UnavailableError> {
  const error = await rejection(promise);
  assert.ok(error instanceof Buli2UnavailableError, `expected Buli2UnavailableError, got ${String(error)}`);
  assert.equal(error.code, 'buli2_unavailable');
  return error;
}

async function refused(promise: Promise<unknown>): Promise<Buli2RefusedError> {
  const error = await rejection(promise);
  assert.ok(error instanceof Buli2RefusedError, `expected Buli2RefusedError, got ${String(error)}`);
  assert.equal(error.code, 'buli2_refused');
  return error;
}

const context = { correlationId: 'corr-42' };

describe('the BULI2 client against a real HTTP server', () => {
  it('should forward a review with its key, idempotency key and request id, and tell created from already there', async () => {
    const server = await scriptedServer(status(201, {}, '{"ok":true}'), status(200));
    try {
      const { client, forwards } = clientFor(`${server.url}/`);
      assert.deepEqual(await client.forward(review, context), { created: true });
      assert.deepEqual(await client.forward(review, context), { created: false });

      assert.equal(server.requests.length, 2);
      const [first] = server.requests;
      assert.equal(first?.method, 'POST');
      assert.equal(first?.url, '/reviews');
      assert.equal(first?.headers.authorization, `Bearer ${API_KEY}`);
      assert.equal(first?.headers['idempotency-key'], review.review_id);
      assert.equal(first?.headers['x-request-id'], 'corr-42');
      assert.equal(first?.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(first?.body ?? ''), review);
      assert.deepEqual(
        forwards.map((entry) => entry.outcome),
        ['ok', 'ok'],
      );
    } finally {
      await server.close();
    }
  });

  it('should call a 500 retryable, with its status, and count it as a failure', async () => {
    const server = await scriptedServer(status(500, {}, 'internal error'));
    try {
      const { client, forwards } = clientFor(server.url);
      const error = await unavailable(client.forward(review, context));
      assert.equal(error.status, 500);
      assert.equal(error.cause, 'server_error');
      assert.equal(error.retryAfterMs, undefined);
      assert.match(error.message, /rev-0001/);
      assert.match(error.message, /500/);
      assert.deepEqual(
        forwards.map((entry) => entry.outcome),
        ['retryable'],
      );
    } finally {
      await server.close();
    }
  });

  it('should call a 408 retryable', async () => {
    const server = await scriptedServer(status(408));
    try {
      const error = await unavailable(clientFor(server.url).client.forward(review, context));
      assert.equal(error.status, 408);
      assert.equal(error.cause, 'request_timeout');
    } finally {
      await server.close();
    }
  });

  it('should call a 429 retryable and take its Retry-After, in seconds or as a date, capped at an hour', async () => {
    const inThirtySeconds = new Date(Date.now() + 30_000).toUTCString();
    const server = await scriptedServer(
      status(429, { 'retry-after': '7' }),
      status(429, { 'retry-after': inThirtySeconds }),
      status(429, { 'retry-after': '86400' }),
      status(429, { 'retry-after': 'soon, maybe' }),
    );
    try {
      // A breaker that does not open in between: this test is about Retry-After only.
      const { client } = clientFor(server.url, { breaker: { consecutiveFailures: 10, halfOpenAfterMs: 200 } });
      const seconds = await unavailable(client.forward(review, context));
      assert.equal(seconds.status, 429);
      assert.equal(seconds.cause, 'rate_limited');
      assert.equal(seconds.retryAfterMs, 7000);

      const date = await unavailable(client.forward(review, context));
      assert.ok(
        date.retryAfterMs !== undefined && date.retryAfterMs > 27_000 && date.retryAfterMs <= 30_000,
        `retryAfterMs ${date.retryAfterMs}`,
      );

      assert.equal((await unavailable(client.forward(review, context))).retryAfterMs, MAX_RETRY_AFTER_MS);
      assert.equal((await unavailable(client.forward(review, context))).retryAfterMs, undefined);
    } finally {
      await server.close();
    }
  });

  it('should call 400, 401, 403, 409 and 422 refused, and keep the circuit closed through many of them', async () => {
    const codes = [400, 401, 403, 409, 422];
    const server = await scriptedServer((response, _request, index) =>
      status(codes[index % codes.length] ?? 400, {}, '{"error":"no"}')(response, _request, index),
    );
    try {
      const { client, entries, forwards } = clientFor(server.url);
      for (let round = 0; round < 3; round++) {
        for (const code of codes) {
          const error = await refused(client.forward(review, context));
          assert.equal(error.status, code);
          assert.match(error.message, new RegExp(`${code}`));
        }
      }
      assert.equal(server.requests.length, 15);
      assert.equal(client.circuitState(), 'closed');
      assert.equal(entries.filter((entry) => entry.message === 'buli2.circuit_open').length, 0);
      assert.ok(forwards.every((entry) => entry.outcome === 'refused'));
    } finally {
      await server.close();
    }
  });

  it('should give up on a server that never answers within about its timeout, and leave no socket behind', async () => {
    const server = await scriptedServer(never);
    try {
      const timeoutMs = 300;
      const { client } = clientFor(server.url, { timeoutMs });
      const startedAt = performance.now();
      const error = await unavailable(client.forward(review, context));
      const elapsed = performance.now() - startedAt;
      assert.equal(error.cause, 'timeout');
      assert.equal(error.status, undefined);
      assert.ok(elapsed < timeoutMs + 1000, `took ${Math.round(elapsed)} ms`);
      assert.equal(server.requests.length, 1);
      // The client aborted the request (the timeout's signal reached fetch): the server sees it hang up.
      for (let waited = 0; !server.requests[0]?.closed && waited < 500; waited += 10) await sleep(10);
      assert.ok(server.requests[0]?.closed, 'the client hung up the request it gave up on');
    } finally {
      await server.close();
    }
  });

  it('should call a refused connection retryable', async () => {
    const server = await scriptedServer(status(201));
    const closedUrl = server.url;
    await server.close();
    const error = await unavailable(clientFor(closedUrl).client.forward(review, context));
    assert.equal(error.cause, 'network');
    assert.match(error.message, /ECONNREFUSED/);
  });

  it('should open the circuit after consecutive failures, fail fast without a request, and close it after a good half-open call', async () => {
    const server = await scriptedServer(status(503), status(503), status(503), status(201));
    try {
      const { client, entries, circuitStates, forwards } = clientFor(server.url, {
        breaker: { consecutiveFailures: 3, halfOpenAfterMs: 200 },
      });
      for (let failure = 0; failure < 3; failure++) await unavailable(client.forward(review, context));
      assert.equal(server.requests.length, 3);
      assert.equal(client.circuitState(), 'open');

      for (let call = 0; call < 3; call++) {
        const error = await unavailable(client.forward(review, context));
        assert.equal(error.cause, 'circuit_open');
        assert.ok(error.retryAfterMs !== undefined && error.retryAfterMs > 0 && error.retryAfterMs <= 200);
      }
      const withdrawal = await unavailable(client.withdraw('rev-0001', { ...context, documentId: 'doc-0001' }));
      assert.equal(withdrawal.cause, 'circuit_open');
      assert.equal(server.requests.length, 3, 'an open circuit sends nothing');

      const opened = entries.filter((entry) => entry.message === 'buli2.circuit_open');
      assert.equal(opened.length, 1);
      assert.equal(opened[0]?.level, 'warn');
      assert.equal(opened[0]?.fields?.consecutiveFailures, 3);
      assert.equal(opened[0]?.fields?.halfOpenAfterMs, 200);

      await sleep(220);
      assert.deepEqual(await client.forward(review, context), { created: true });
      assert.equal(server.requests.length, 4);
      assert.equal(client.circuitState(), 'closed');
      const closed = entries.filter((entry) => entry.message === 'buli2.circuit_closed');
      assert.equal(closed.length, 1);
      assert.equal(closed[0]?.level, 'info');
      assert.deepEqual(circuitStates, [0, 2, 1, 0]);
      // The calls the open circuit stopped never reached BULI2: no latency recorded for them.
      assert.deepEqual(
        forwards.map((entry) => entry.outcome),
        ['retryable', 'retryable', 'retryable', 'ok'],
      );
    } finally {
      await server.close();
    }
  });

  it('should open the circuit on timeouts too, and open it again when the half-open call fails', async () => {
    const server = await scriptedServer(never, never, status(502));
    try {
      const { client, entries } = clientFor(server.url, {
        timeoutMs: 100,
        breaker: { consecutiveFailures: 2, halfOpenAfterMs: 150 },
      });
      assert.equal((await unavailable(client.forward(review, context))).cause, 'timeout');
      assert.equal((await unavailable(client.forward(review, context))).cause, 'timeout');
      assert.equal(client.circuitState(), 'open');
      await sleep(170);
      assert.equal((await unavailable(client.forward(review, context))).status, 502);
      assert.equal(client.circuitState(), 'open');
      assert.equal((await unavailable(client.forward(review, context))).cause, 'circuit_open');
      assert.equal(server.requests.length, 3);
      assert.equal(entries.filter((entry) => entry.message === 'buli2.circuit_open').length, 2);
    } finally {
      await server.close();
    }
  });

  it('should withdraw: 204 withdrawn, 404 and 409 not open there, 500 retryable', async () => {
    const server = await scriptedServer(status(204), status(404), status(409), status(500));
    try {
      const { client } = clientFor(server.url);
      const withdrawContext = { correlationId: 'corr-7', documentId: 'doc-0001' };
      assert.deepEqual(await client.withdraw('rev/1 x', withdrawContext), { withdrawn: true });
      assert.deepEqual(await client.withdraw('rev-2', withdrawContext), { withdrawn: false });
      assert.deepEqual(await client.withdraw('rev-3', withdrawContext), { withdrawn: false });
      const error = await unavailable(client.withdraw('rev-4', withdrawContext));
      assert.equal(error.status, 500);
      assert.equal(error.operation, 'withdraw');
      assert.equal(error.documentId, 'doc-0001');
      assert.match(error.message, /rev-4/);

      const [first] = server.requests;
      assert.equal(first?.method, 'DELETE');
      assert.equal(first?.url, '/reviews/rev%2F1%20x');
      assert.equal(first?.headers.authorization, `Bearer ${API_KEY}`);
      assert.equal(first?.headers['x-request-id'], 'corr-7');
    } finally {
      await server.close();
    }
  });

  it('should keep the payload, the API key and the response body out of every error', async () => {
    const echo =
      (code: number): Answer =>
      (response, request) => {
        // A server that echoes what it was sent, in its reason phrase and its body.
        response.writeHead(code, `Bad ${NIK} ${NAME}`, { 'content-type': 'text/plain' });
        response.end(`${request.headers.authorization} ${NIK} ${NAME}`);
      };
    const server = await scriptedServer(echo(422), echo(503), never);
    try {
      const { client } = clientFor(server.url, { timeoutMs: 150 });
      const errors = [
        await rejection(client.forward(review, context)),
        await rejection(client.forward(review, context)),
        await rejection(client.forward(review, context)),
      ];
      await server.close();
      errors.push(await rejection(client.forward(review, context)));
      for (const error of errors) {
        assert.ok(error instanceof Error);
        const texts = [String(error), error.message, JSON.stringify(error), String(error.stack)];
        for (const text of texts) {
          for (const secret of [NIK, NAME, API_KEY, 'SITI', 'sig=abc']) {
            assert.ok(!text.includes(secret), `"${secret}" leaked into ${text}`);
          }
        }
        assert.match(error.message, /rev-0001/);
      }
    } finally {
      await server.close();
    }
  });

  it('should not read a huge response body whole', async () => {
    let bytesWritten = 0;
    let socketClosed = false;
    const endless: Answer = (response) => {
      response.writeHead(201, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const write = () => {
        // Writes until the client hangs up; backpressure keeps the server's side bounded too.
        while (!response.destroyed && bytesWritten < 512 * 1024 * 1024) {
          bytesWritten += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', write);
        }
      };
      response.on('close', () => {
        socketClosed = true;
      });
      write();
    };
    const server = await scriptedServer(endless);
    try {
      const { client } = clientFor(server.url, { timeoutMs: 3000 });
      assert.deepEqual(await client.forward(review, context), { created: true });
      // Let the server see the hang-up.
      for (let waited = 0; !socketClosed && waited < 1000; waited += 20) await sleep(20);
      assert.ok(socketClosed, 'the client hung up on the endless body');
      assert.ok(bytesWritten < 64 * 1024 * 1024, `the server got to write ${bytesWritten} bytes`);
    } finally {
      await server.close();
    }
  });
});
