import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer } from 'node:net';
import { Readable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ReviewCallback, ReviewForward } from '../../../adapters/buli2/contract.ts';
import { BULI2_SIGNATURE_HEADER, verifyBuli2Signature } from '../../../server/http/buli2Signature.ts';
import {
  type Buli2Simulator,
  Buli2SimulatorError,
  type Buli2SimulatorOptions,
  createBuli2Simulator,
  type ReviewView,
} from '../../../simulators/buli2/simulator.ts';

/**
 * The BULI2 simulator over real HTTP: the contract endpoints as FiLot meets them, the signed
 * callbacks (checked with the engine's own verifier), the faults, and the CLI.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const API_KEY = 'test-only-buli2-api-key-0123456789abcdef';
const SECRETS = ['test-only-webhook-secret-one-0123456789', 'test-only-webhook-secret-two-0123456789'];
/** A NIK-like value that must never come out of the simulator. */
const NIK = '3171012345678901';
const NAME = 'SITI AMINAH PERTIWI';

const nowSeconds = () => Math.floor(Date.now() / 1000);

function reviewForward(overrides: Partial<ReviewForward> = {}): ReviewForward {
  return {
    review_id: randomUUID(),
    document_id: randomUUID(),
    document_type: 'KTP',
    reason_codes: ['OCR_LOW_CONFIDENCE', 'IMAGE_BLURRY'],
    fields: { nik: NIK, nama: NAME, alamat: null },
    image: { url: 'http://127.0.0.1:9/documents/x/image?exp=1&sig=abc', expires_at: new Date().toISOString() },
    ...overrides,
  };
}

async function startSimulator(t: TestContext, options: Partial<Buli2SimulatorOptions> = {}): Promise<Buli2Simulator> {
  const simulator = await createBuli2Simulator({ apiKey: API_KEY, webhookSecrets: SECRETS, ...options });
  t.after(() => simulator.close());
  return simulator;
}

type Sent = { headers?: Record<string, string | null>; signal?: AbortSignal; key?: string | null };

/** POST /reviews as FiLot sends it; a header given as null is left out. */
function forward(simulator: Buli2Simulator, body: unknown, sent: Sent = {}): Promise<Response> {
  const reviewId = (body as { review_id?: unknown }).review_id;
  const key = sent.key === undefined ? API_KEY : sent.key;
  const headers: Record<string, string | null> = {
    'Content-Type': 'application/json',
    'Idempotency-Key': typeof reviewId === 'string' ? reviewId : null,
    Authorization: key === null ? null : `Bearer ${key}`,
    ...sent.headers,
  };
  return fetch(`${simulator.url}/reviews`, {
    method: 'POST',
    headers: Object.fromEntries(
      Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== null),
    ),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(sent.signal ? { signal: sent.signal } : {}),
  });
}

function withdraw(simulator: Buli2Simulator, reviewId: string, key: string | null = API_KEY): Promise<Response> {
  return fetch(`${simulator.url}/reviews/${reviewId}`, {
    method: 'DELETE',
    headers: key === null ? {} : { Authorization: `Bearer ${key}` },
  });
}

function control(simulator: Buli2Simulator, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${simulator.url}/sim${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
  });
}

async function created(simulator: Buli2Simulator, overrides: Partial<ReviewForward> = {}): Promise<ReviewForward> {
  const body = reviewForward(overrides);
  const response = await forward(simulator, body);
  assert.equal(response.status, 201);
  await response.body?.cancel();
  return body;
}

type Received = { raw: Buffer; signature: string | undefined; callback: ReviewCallback };

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** FiLot's callback endpoint, reduced to recording what arrives and answering `status`. */
async function startReceiver(t: TestContext, status = 200) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const header = request.headers[BULI2_SIGNATURE_HEADER];
      received.push({
        raw,
        signature: typeof header === 'string' ? header : undefined,
        callback: JSON.parse(raw.toString('utf8')) as ReviewCallback,
      });
      response.writeHead(status).end();
    });
  });
  const port = await listen(server);
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${port}/internal/buli2/callback`, received };
}

const verify = (received: Received, secrets: readonly string[] = SECRETS) =>
  verifyBuli2Signature(received.signature, received.raw, secrets, nowSeconds());

async function eventually<T>(probe: () => T | undefined, what: string, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function callbackValidator() {
  const schema = JSON.parse(await readFile(new URL('docs/buli2/callback.schema.json', `file://${ROOT}`), 'utf8'));
  return new Ajv2020({ strict: true }).compile(schema);
}

describe('the BULI2 simulator', () => {
  describe('POST /reviews', () => {
    it('should create a review once and answer a repeat with 200, keeping one review', async (t) => {
      const simulator = await startSimulator(t);
      const body = reviewForward();
      const first = await forward(simulator, body);
      assert.equal(first.status, 201);
      assert.deepEqual(await first.json(), { review_id: body.review_id, status: 'open' });
      const again = await forward(simulator, body);
      assert.equal(again.status, 200);
      assert.deepEqual(await again.json(), { review_id: body.review_id, status: 'open' });

      const listed = (await (await control(simulator, 'GET', '/reviews')).json()) as { reviews: ReviewView[] };
      assert.equal(listed.reviews.length, 1);
      assert.deepEqual(listed.reviews[0], {
        review_id: body.review_id,
        document_id: body.document_id,
        document_type: 'KTP',
        reason_codes: ['OCR_LOW_CONFIDENCE', 'IMAGE_BLURRY'],
        state: 'open',
        forwardCount: 2,
        imageFetchStatus: null,
        callbacks: [],
      });
      const one = await control(simulator, 'GET', `/reviews/${body.review_id}`);
      assert.deepEqual(await one.json(), listed.reviews[0]);
      assert.equal((await control(simulator, 'GET', `/reviews/${randomUUID()}`)).status, 404);
    });

    it('should never show or log the field values (PII), nor the image link', async (t) => {
      const logged: unknown[] = [];
      const simulator = await startSimulator(t, {
        logger: { info: (message, fields) => logged.push({ message, fields }) },
      });
      const body = await created(simulator);
      const receiver = await startReceiver(t);
      simulator.setCallbackUrl(receiver.url);
      await simulator.decide(body.review_id);
      const shown = [
        await (await control(simulator, 'GET', '/reviews')).text(),
        await (await control(simulator, 'GET', `/reviews/${body.review_id}`)).text(),
        JSON.stringify(logged),
      ].join('\n');
      assert.ok(logged.length > 0, 'the logger was used');
      for (const secret of [NIK, NAME, body.image.url]) assert.ok(!shown.includes(secret), 'no PII or link shown');
    });

    it('should refuse the review id of another document with 409', async (t) => {
      const simulator = await startSimulator(t);
      const body = await created(simulator);
      const other = await forward(simulator, { ...body, document_id: randomUUID() });
      assert.equal(other.status, 409);
      assert.equal(simulator.reviews().length, 1);
      assert.equal(simulator.review(body.review_id)?.document_id, body.document_id);
    });

    it('should refuse a missing or wrong API key with 401', async (t) => {
      const simulator = await startSimulator(t);
      const missing = await forward(simulator, reviewForward(), { key: null });
      assert.equal(missing.status, 401);
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
      assert.equal((await forward(simulator, reviewForward(), { key: `${API_KEY}x` })).status, 401);
      const basic = await forward(simulator, reviewForward(), { headers: { Authorization: `Basic ${API_KEY}` } });
      assert.equal(basic.status, 401);
      assert.equal(simulator.reviews().length, 0);
    });

    it('should refuse a missing or mismatched Idempotency-Key with 400', async (t) => {
      const simulator = await startSimulator(t);
      const missing = await forward(simulator, reviewForward(), { headers: { 'Idempotency-Key': null } });
      assert.equal(missing.status, 400);
      assert.deepEqual(await missing.json(), { error: 'idempotency_key_missing' });
      const mismatched = await forward(simulator, reviewForward(), { headers: { 'Idempotency-Key': randomUUID() } });
      assert.equal(mismatched.status, 400);
      assert.deepEqual(await mismatched.json(), { error: 'idempotency_key_mismatch' });
      assert.equal(simulator.reviews().length, 0);
    });

    it('should refuse a body outside forward.schema.json with 400, naming paths and never values', async (t) => {
      const simulator = await startSimulator(t);
      const refusal = async (body: unknown, path: string, keyword: string) => {
        const response = await forward(simulator, body);
        const text = await response.text();
        assert.equal(response.status, 400, text);
        const { error, issues } = JSON.parse(text) as { error: string; issues: { path: string; keyword: string }[] };
        assert.equal(error, 'invalid_review');
        assert.ok(
          issues.some((issue) => issue.path === path && issue.keyword === keyword),
          `${path} ${keyword} in ${text}`,
        );
        return text;
      };
      await refusal({ ...reviewForward(), extra: 'x' }, '/extra', 'additionalProperties');
      const badUuid = await refusal(
        reviewForward({ document_id: 'not-a-uuid-but-a-secret' }),
        '/document_id',
        'pattern',
      );
      assert.ok(!badUuid.includes('not-a-uuid-but-a-secret'));
      const { image: _image, ...withoutImage } = reviewForward();
      await refusal(withoutImage, '/image', 'required');
      await refusal(reviewForward({ document_type: 'PASSPORT' as 'KTP' }), '/document_type', 'enum');
      const longValue = `${NIK}${'9'.repeat(2000)}`;
      const tooLong = await refusal(reviewForward({ fields: { nik: longValue } }), '/fields/nik', 'maxLength');
      assert.ok(!tooLong.includes(NIK));
      const manyFields = Object.fromEntries(Array.from({ length: 41 }, (_, index) => [`field_${index}`, 'x']));
      await refusal(reviewForward({ fields: manyFields }), '/fields', 'maxProperties');
      await refusal(reviewForward({ reason_codes: Array(51).fill('IMAGE_BLURRY') }), '/reason_codes', 'maxItems');
      await refusal(reviewForward({ reason_codes: ['A'.repeat(65)] }), '/reason_codes/0', 'maxLength');
      await refusal(
        reviewForward({ image: { url: 'http://x/', expires_at: 'tomorrow' } }),
        '/image/expires_at',
        'pattern',
      );
      await refusal(
        reviewForward({ image: { url: `https://x/${'a'.repeat(2048)}`, expires_at: new Date().toISOString() } }),
        '/image/url',
        'maxLength',
      );
      assert.equal(simulator.reviews().length, 0);
    });

    it('should survive malformed, huge and hostile bodies and go on serving', async (t) => {
      const simulator = await startSimulator(t);
      const status = async (body: string, headers: Record<string, string | null> = {}) => {
        const response = await forward(simulator, body, { headers: { 'Idempotency-Key': randomUUID(), ...headers } });
        await response.body?.cancel();
        return response.status;
      };
      assert.equal(await status('{"review_id": '), 400);
      assert.equal(await status('null'), 400);
      assert.equal(await status('[]'), 400);
      assert.equal(await status(`${'['.repeat(30_000)}${']'.repeat(30_000)}`), 400);
      assert.equal(await status('{"__proto__": {"polluted": true}}'), 400);
      assert.equal(({} as { polluted?: boolean }).polluted, undefined);
      assert.equal(await status(JSON.stringify(reviewForward()), { 'Content-Type': 'text/plain' }), 415);
      assert.equal(await status(`"${'x'.repeat(100 * 1024)}"`), 413);

      // A body that never announces its length and keeps coming: cut off at 64 KiB, not buffered whole.
      const endless = Readable.from(
        (function* () {
          for (let chunk = 0; chunk < 64; chunk += 1) yield Buffer.alloc(16 * 1024, 0x20);
        })(),
      );
      const streamed = await fetch(`${simulator.url}/reviews`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${API_KEY}`,
          'Idempotency-Key': randomUUID(),
          'Content-Type': 'application/json',
        },
        body: Readable.toWeb(endless) as ReadableStream,
        duplex: 'half',
      } as RequestInit).then(
        (response) => response.status,
        () => 'connection closed',
      );
      assert.ok(streamed === 413 || streamed === 'connection closed', String(streamed));

      // Not HTTP at all.
      const socket = connect(simulator.port, '127.0.0.1');
      socket.on('error', () => {});
      let reply = '';
      socket.on('data', (chunk: Buffer) => {
        reply += chunk.toString('latin1');
      });
      socket.end('GARBAGE \x00\x01\r\n\r\n');
      await once(socket, 'close');
      assert.match(reply, /^HTTP\/1\.1 400 /);

      assert.equal((await forward(simulator, reviewForward())).status, 201);
    });
  });

  describe('DELETE /reviews/:id', () => {
    it('should withdraw an open review (204), then know it no more (404), and refuse a decided one (409)', async (t) => {
      const simulator = await startSimulator(t);
      const receiver = await startReceiver(t);
      simulator.setCallbackUrl(receiver.url);
      const body = await created(simulator);
      assert.equal((await withdraw(simulator, body.review_id, null)).status, 401);
      assert.equal((await withdraw(simulator, body.review_id)).status, 204);
      assert.equal(simulator.review(body.review_id)?.state, 'withdrawn');
      assert.equal((await withdraw(simulator, body.review_id)).status, 404);
      assert.equal((await withdraw(simulator, randomUUID())).status, 404);

      // Forwarded again: known (200) and still withdrawn; no decision is ever sent for it.
      const again = await forward(simulator, body);
      assert.equal(again.status, 200);
      assert.deepEqual(await again.json(), { review_id: body.review_id, status: 'withdrawn' });
      const decide = await control(simulator, 'POST', `/reviews/${body.review_id}/decide`, {});
      assert.equal(decide.status, 409);
      assert.deepEqual(await decide.json(), { error: 'review_withdrawn' });
      assert.equal(receiver.received.length, 0);

      const decided = await created(simulator);
      await simulator.decide(decided.review_id);
      assert.equal((await withdraw(simulator, decided.review_id)).status, 409);
      assert.equal(simulator.review(decided.review_id)?.state, 'decided');
    });
  });

  describe('decisions', () => {
    it('should send a callback FiLot can verify, valid against callback.schema.json', async (t) => {
      const simulator = await startSimulator(t);
      const receiver = await startReceiver(t);
      await control(simulator, 'PUT', '/callback-url', { url: receiver.url });
      const body = await created(simulator);
      const before = Date.now();
      const response = await control(simulator, 'POST', `/reviews/${body.review_id}/decide`, {
        decision: 'reject',
        reviewer: 'buli2-reviewer-7',
        notes: 'The photo does not match the card.',
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { callbacks: [{ status: 200 }] });

      assert.equal(receiver.received.length, 1);
      const [callback] = receiver.received as [Received];
      assert.deepEqual(verify(callback), { ok: true });
      assert.deepEqual(verify(callback, [SECRETS[1] as string]), { ok: false, reason: 'mismatch' });
      const validate = await callbackValidator();
      assert.ok(validate(callback.callback), JSON.stringify(validate.errors));
      assert.equal(callback.callback.review_id, body.review_id);
      assert.equal(callback.callback.document_id, body.document_id);
      assert.equal(callback.callback.decision, 'reject');
      assert.equal(callback.callback.reviewer, 'buli2-reviewer-7');
      assert.equal(callback.callback.notes, 'The photo does not match the card.');
      assert.ok(Math.abs(Date.parse(callback.callback.decided_at) - before) < 5000);
      assert.deepEqual(simulator.review(body.review_id)?.callbacks, [{ decision: 'reject', status: 200 }]);
      assert.equal(simulator.review(body.review_id)?.state, 'decided');
    });

    it('should keep a review open while FiLot does not take its callback', async (t) => {
      const simulator = await startSimulator(t);
      const receiver = await startReceiver(t, 503);
      simulator.setCallbackUrl(receiver.url);
      const body = await created(simulator);
      assert.deepEqual(await simulator.decide(body.review_id), { callbacks: [{ status: 503 }] });
      assert.equal(simulator.review(body.review_id)?.state, 'open');
      simulator.setCallbackUrl('http://127.0.0.1:9/nothing-listens-here');
      assert.deepEqual(await simulator.decide(body.review_id), { callbacks: [{ status: null }] });
      assert.equal(simulator.review(body.review_id)?.callbacks.length, 2);
    });

    it('should send a duplicate as the very same bytes and header', async (t) => {
      const simulator = await startSimulator(t);
      const receiver = await startReceiver(t);
      simulator.setCallbackUrl(receiver.url);
      const body = await created(simulator);
      const outcome = await simulator.decide(body.review_id, { duplicate: true });
      assert.deepEqual(outcome, { callbacks: [{ status: 200 }, { status: 200 }] });
      const [first, second] = receiver.received as [Received, Received];
      assert.ok(first.raw.equals(second.raw));
      assert.equal(first.signature, second.signature);
      assert.deepEqual(verify(second), { ok: true });
    });

    it('should send tampered, stale and unsigned callbacks that fail verification for their reason', async (t) => {
      const simulator = await startSimulator(t);
      const receiver = await startReceiver(t);
      simulator.setCallbackUrl(receiver.url);
      const body = await created(simulator);
      await simulator.decide(body.review_id, { decision: 'approve', badSignature: true });
      await simulator.decide(body.review_id, { staleTimestamp: true });
      await simulator.decide(body.review_id, { unsigned: true });
      const [tampered, stale, unsigned] = receiver.received as [Received, Received, Received];
      assert.deepEqual(verify(tampered), { ok: false, reason: 'mismatch' });
      assert.equal(tampered.callback.decision, 'reject', 'the tampered body says the opposite');
      assert.deepEqual(verify(stale), { ok: false, reason: 'stale' });
      assert.equal(unsigned.signature, undefined);
      assert.deepEqual(verify(unsigned), { ok: false, reason: 'missing' });
    });

    it('should sign with another secret when asked (rotation)', async (t) => {
      const simulator = await startSimulator(t);
      const receiver = await startReceiver(t);
      simulator.setCallbackUrl(receiver.url);
      const body = await created(simulator);
      await simulator.decide(body.review_id, { secretIndex: 1 });
      const [callback] = receiver.received as [Received];
      assert.deepEqual(verify(callback, [SECRETS[1] as string]), { ok: true });
      assert.deepEqual(verify(callback, [SECRETS[0] as string]), { ok: false, reason: 'mismatch' });
      const refused = await control(simulator, 'POST', `/reviews/${body.review_id}/decide`, { secretIndex: 2 });
      assert.equal(refused.status, 400);
      assert.deepEqual(await refused.json(), { error: 'no_such_secret' });
    });

    it('should send an out-of-order second decision with an earlier decided_at', async (t) => {
      const simulator = await startSimulator(t);
      const receiver = await startReceiver(t);
      simulator.setCallbackUrl(receiver.url);
      const body = await created(simulator);
      const outcome = await simulator.decide(body.review_id, {
        decision: 'approve',
        followedBy: { decision: 'reject' },
      });
      assert.equal(outcome.callbacks.length, 2);
      const [first, second] = receiver.received as [Received, Received];
      assert.equal(first.callback.decision, 'approve');
      assert.equal(second.callback.decision, 'reject');
      assert.notEqual(second.callback.reviewer, first.callback.reviewer);
      assert.ok(Date.parse(second.callback.decided_at) < Date.parse(first.callback.decided_at));
      assert.deepEqual(verify(first), { ok: true });
      assert.deepEqual(verify(second), { ok: true });
    });

    it('should refuse unknown reviews, bad options and a missing callback URL', async (t) => {
      const simulator = await startSimulator(t);
      const body = await created(simulator);
      const unknown = await control(simulator, 'POST', `/reviews/${randomUUID()}/decide`, {});
      assert.equal(unknown.status, 404);
      await assert.rejects(simulator.decide(randomUUID()), (error: unknown) => {
        assert.ok(error instanceof Buli2SimulatorError);
        assert.equal(error.status, 404);
        return true;
      });
      const noUrl = await control(simulator, 'POST', `/reviews/${body.review_id}/decide`);
      assert.equal(noUrl.status, 409);
      assert.deepEqual(await noUrl.json(), { error: 'no_callback_url' });
      simulator.setCallbackUrl('http://127.0.0.1:9/');
      const badOption = await control(simulator, 'POST', `/reviews/${body.review_id}/decide`, { decision: 'maybe' });
      assert.equal(badOption.status, 400);
      const longReviewer = await control(simulator, 'POST', `/reviews/${body.review_id}/decide`, {
        reviewer: 'r'.repeat(129),
      });
      assert.equal(longReviewer.status, 400);
      assert.equal(((await longReviewer.json()) as { error: string }).error, 'invalid_callback');
      assert.equal(simulator.review(body.review_id)?.callbacks.length, 0);
    });

    it('should decide on its own after decideAfterMs', async (t) => {
      const receiver = await startReceiver(t);
      const simulator = await startSimulator(t, {
        decideAfterMs: 20,
        callbackUrl: receiver.url,
        autoDecision: 'reject',
      });
      const body = await created(simulator);
      const withdrawn = await created(simulator);
      assert.equal((await withdraw(simulator, withdrawn.review_id)).status, 204);
      await eventually(() => (simulator.review(body.review_id)?.state === 'decided' ? true : undefined), 'a decision');
      await sleep(50);
      assert.equal(receiver.received.length, 1, 'one callback, none for the withdrawn review');
      const [callback] = receiver.received as [Received];
      assert.equal(callback.callback.review_id, body.review_id);
      assert.equal(callback.callback.decision, 'reject');
      assert.deepEqual(verify(callback), { ok: true });
    });
  });

  describe('faults', () => {
    it('should answer errors for `count` requests, then recover, and count every request', async (t) => {
      const simulator = await startSimulator(t);
      const added = await control(simulator, 'POST', '/faults', { operation: 'forward', mode: 'error', count: 2 });
      assert.equal(added.status, 201);
      const body = reviewForward();
      assert.equal((await forward(simulator, body)).status, 500);
      assert.equal((await forward(simulator, body)).status, 500);
      assert.equal((await forward(simulator, body)).status, 201);
      assert.equal((await withdraw(simulator, randomUUID())).status, 404);
      const stats = await (await control(simulator, 'GET', '/stats')).json();
      assert.deepEqual(stats, {
        requests: { forward: 3, withdraw: 1, other: 0 },
        answered: { '500': 2, '201': 1, '404': 1 },
      });
      assert.deepEqual(simulator.stats(), stats);
    });

    it('should hang until the client gives up, and drop hanging connections on close', async (t) => {
      const simulator = await startSimulator(t);
      simulator.addFault({ operation: 'any', mode: 'hang' });
      await assert.rejects(forward(simulator, reviewForward(), { signal: AbortSignal.timeout(200) }), {
        name: 'TimeoutError',
      });
      const hanging = forward(simulator, reviewForward()).then(
        () => 'answered',
        () => 'dropped',
      );
      await eventually(() => (simulator.stats().requests.forward === 2 ? true : undefined), 'the second request');
      assert.equal((await control(simulator, 'DELETE', '/faults')).status, 204);
      assert.equal((await forward(simulator, reviewForward())).status, 201);
      await simulator.close();
      assert.equal(await hanging, 'dropped');
      assert.deepEqual(simulator.stats().answered, { '201': 1 });
    });

    it('should rate-limit with Retry-After, be slow, refuse, and apply queued faults in order', async (t) => {
      const simulator = await startSimulator(t);
      simulator.addFault({ operation: 'forward', mode: 'rate_limit', retryAfterS: 7, count: 1 });
      simulator.addFault({ operation: 'forward', mode: 'slow', delayMs: 150, count: 1 });
      simulator.addFault({ operation: 'any', mode: 'refuse', status: 403, count: 1 });
      simulator.addFault({ operation: 'withdraw', mode: 'error', status: 503 });
      const limited = await forward(simulator, reviewForward());
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '7');
      const started = Date.now();
      assert.equal((await forward(simulator, reviewForward())).status, 201);
      assert.ok(Date.now() - started >= 140, 'answered after the delay');
      assert.equal((await forward(simulator, reviewForward())).status, 403);
      assert.equal((await forward(simulator, reviewForward())).status, 201, 'a withdraw fault leaves forwards alone');
      assert.equal((await withdraw(simulator, randomUUID())).status, 503);
      assert.equal((await withdraw(simulator, randomUUID())).status, 503, 'no count: until cleared');
      assert.deepEqual(((await (await control(simulator, 'GET', '/faults')).json()) as { faults: unknown[] }).faults, [
        { operation: 'withdraw', mode: 'error', status: 503, remaining: null },
      ]);
      simulator.clearFaults();
      assert.equal((await withdraw(simulator, randomUUID())).status, 404);
    });

    it('should refuse faults that make no sense', async (t) => {
      const simulator = await startSimulator(t);
      for (const fault of [
        { operation: 'forward', mode: 'explode' },
        { operation: 'forward', mode: 'refuse', status: 500 },
        { operation: 'forward', mode: 'error', count: 0 },
        { mode: 'error' },
      ])
        assert.equal((await control(simulator, 'POST', '/faults', fault)).status, 400, JSON.stringify(fault));
      assert.throws(
        () => simulator.addFault({ operation: 'forward', mode: 'rate_limit', status: 503 }),
        Buli2SimulatorError,
      );
      assert.deepEqual(simulator.faults(), []);
    });
  });

  describe('inspection and control', () => {
    it('should fetch image links when asked and record the status they got', async (t) => {
      const seen: string[] = [];
      const images = createServer((request, response) => {
        seen.push(request.url ?? '');
        const signed = request.url?.includes('sig=good') ?? false;
        response.writeHead(signed ? 200 : 403, { 'Content-Type': 'image/jpeg' }).end(signed ? Buffer.alloc(2048) : '');
      });
      const port = await listen(images);
      t.after(() => {
        images.closeAllConnections();
        images.close();
      });
      const simulator = await startSimulator(t, { fetchImages: true });
      const expiresAt = new Date(Date.now() + 60_000).toISOString();
      const good = await created(simulator, {
        image: { url: `http://127.0.0.1:${port}/documents/d/image?exp=1&sig=good`, expires_at: expiresAt },
      });
      const bad = await created(simulator, {
        image: { url: `http://127.0.0.1:${port}/documents/d/image?exp=1&sig=bad`, expires_at: expiresAt },
      });
      const gone = await created(simulator, { image: { url: 'http://127.0.0.1:9/image', expires_at: expiresAt } });
      await simulator.settled();
      assert.equal(simulator.review(good.review_id)?.imageFetchStatus, 200);
      assert.equal(simulator.review(bad.review_id)?.imageFetchStatus, 403);
      assert.equal(simulator.review(gone.review_id)?.imageFetchStatus, 'failed');
      assert.equal(seen.length, 2);
    });

    it('should forget everything on reset, and answer 404/405 off its routes', async (t) => {
      const simulator = await startSimulator(t);
      await created(simulator);
      simulator.addFault({ operation: 'withdraw', mode: 'hang' });
      assert.equal((await fetch(`${simulator.url}/reviews`)).status, 405);
      assert.equal((await fetch(`${simulator.url}/elsewhere`)).status, 404);
      assert.deepEqual(simulator.stats().requests, { forward: 1, withdraw: 0, other: 2 });
      assert.equal((await control(simulator, 'GET', '/nothing')).status, 404);
      assert.equal((await control(simulator, 'POST', '/reset')).status, 204);
      assert.deepEqual(simulator.reviews(), []);
      assert.deepEqual(simulator.faults(), []);
      assert.deepEqual(simulator.stats(), { requests: { forward: 0, withdraw: 0, other: 0 }, answered: {} });
    });
  });

  describe('npm run buli2:sim', () => {
    it('should start on BULI2_SIM_PORT with the configured key, print its URL, and stop on SIGTERM', async () => {
      const port = await freePort();
      const apiKey = 'cli-test-buli2-api-key-0123456789abcdef';
      const child = spawn(process.execPath, ['simulators/buli2/main.ts'], {
        cwd: ROOT,
        env: { ...process.env, NODE_ENV: 'development', BULI2_SIM_PORT: String(port), BULI2_API_KEY: apiKey },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      let output = '';
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      try {
        const line = await new Promise<string>((resolve, reject) => {
          let stdout = '';
          child.stdout.on('data', (chunk: Buffer) => {
            stdout += chunk.toString('utf8');
            if (stdout.includes('\n')) resolve(stdout);
          });
          child.on('exit', () => reject(new Error(`exited before listening: ${output}`)));
        });
        assert.match(line, new RegExp(`^BULI2 simulator listening on http://127\\.0\\.0\\.1:${port} `));
        const stats = await fetch(`http://127.0.0.1:${port}/sim/stats`);
        assert.equal(stats.status, 200);
        const body = reviewForward();
        const response = await fetch(`http://127.0.0.1:${port}/reviews`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${apiKey}`,
            'Idempotency-Key': body.review_id,
            'Content-Type': 'application/json',
          },
          body: JSON.stringify(body),
        });
        assert.equal(response.status, 201);
      } finally {
        child.kill('SIGTERM');
      }
      assert.deepEqual(await exited, [0, null], output);
    });

    it('should refuse a BULI2_SIM_PORT that is not a port', async () => {
      const child = spawn(process.execPath, ['simulators/buli2/main.ts'], {
        cwd: ROOT,
        env: { ...process.env, NODE_ENV: 'development', BULI2_SIM_PORT: '70000' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let output = '';
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 2);
      assert.match(output, /BULI2_SIM_PORT must be a whole number from 0 to 65535/);
    });
  });
});

/** A port that was free a moment ago (without loading the Temporal helpers test/support/freePort.ts brings). */
async function freePort(): Promise<number> {
  const server = createTcpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
