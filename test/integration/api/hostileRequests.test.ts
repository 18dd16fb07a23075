import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { sql } from 'slonik';
import { z } from 'zod';
import type { ComposedRuntime } from '../../../composition/runtime.ts';
import { startApi } from '../../support/api.ts';
import { completeOcr, createWorld, evaluateAndDecide, newDocument, type World } from '../../support/harness.ts';
import { CLEAN_EVALUATION } from '../../support/scriptedEngine.ts';

/**
 * Requests an attacker or a broken client sends: each gets a clear 4xx (or a closed connection,
 * for a client too slow to finish), nothing is written, and the server goes on serving.
 */

const count = z.object({ count: z.number() });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `head` and then `chunks` one by one, `gapMs` apart, on a raw socket; resolves with what came back and when the socket closed. */
async function rawRequest(port: number, head: string, chunks: string[] = [], gapMs = 0) {
  const socket: Socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  const started = performance.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - started)));
  socket.write(head);
  for (const chunk of chunks) {
    if (socket.destroyed) break;
    await sleep(gapMs);
    if (!socket.destroyed) socket.write(chunk);
  }
  return { socket, closed, received: () => received };
}

describe('hostile and broken requests', () => {
  let world: World;
  let runtime: ComposedRuntime;
  let api: Awaited<ReturnType<typeof startApi>>;
  const evaluated = newDocument({ ownerId: 'owner-h' });
  const inReview = newDocument({ ownerId: 'owner-h' });

  before(async () => {
    world = await createWorld();
    runtime = await world.runtime(undefined, { start: false });
    api = await startApi(world, runtime);
    await runtime.documents.create(evaluated, { type: 'user', id: 'owner-h' });
    await completeOcr(runtime.documents, evaluated.id);
    await evaluateAndDecide(runtime.documents, evaluated.id);
    await runtime.documents.create(inReview, { type: 'user', id: 'owner-h' });
    await completeOcr(runtime.documents, inReview.id);
    await evaluateAndDecide(runtime.documents, inReview.id, { ...CLEAN_EVALUATION, score: 0.6 });
  });
  after(async () => {
    await api?.close();
    await world?.close();
  });

  const auth = (sub: string, role: 'user' | 'reviewer' = 'user') => ({
    authorization: `Bearer ${api.tokenFor(sub, role)}`,
  });
  const documentRows = () => world.pool.oneFirst(sql.type(count)`SELECT count(*)::int AS count FROM documents`);
  const healthy = async () => assert.equal((await fetch(`${api.url}/health`)).status, 200);

  describe('multipart bodies', () => {
    const truncated =
      '--zz\r\nContent-Disposition: form-data; name="type"\r\n\r\nKTP\r\n--zz\r\n' +
      'Content-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\nabc';

    it('should answer 400 to a form that ends inside the file part, and keep serving', async () => {
      const rows = await documentRows();
      const response = await fetch(`${api.url}/documents/upload`, {
        method: 'POST',
        headers: { ...auth('owner-x'), 'content-type': 'multipart/form-data; boundary=zz' },
        body: truncated,
      });
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json');
      assert.match(((await response.json()) as { detail: string }).detail, /malformed|middle of a part/);
      assert.equal(await documentRows(), rows);
      await healthy();
    });

    it('should answer 400 to a chunked body that ends inside the file part', async () => {
      const body = Buffer.from(truncated);
      const request = await rawRequest(
        api.port,
        `POST /documents/upload HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth('owner-x').authorization}\r\n` +
          'Content-Type: multipart/form-data; boundary=zz\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
          `${body.length.toString(16)}\r\n${truncated}\r\n0\r\n\r\n`,
      );
      await request.closed;
      assert.match(request.received(), /^HTTP\/1\.1 400 /);
      await healthy();
    });

    it('should survive a client that goes away in the middle of the file, and store nothing', async () => {
      const rows = await documentRows();
      const request = await rawRequest(
        api.port,
        `POST /documents/upload HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth('owner-x').authorization}\r\n` +
          'Content-Type: multipart/form-data; boundary=zz\r\nContent-Length: 100000\r\n\r\n' +
          truncated,
      );
      await sleep(100);
      request.socket.destroy();
      await sleep(200);
      await healthy();
      assert.equal(await documentRows(), rows);
    });
  });

  describe('document ids and paths', () => {
    it('should treat an upper-case id as the same document, for its owner, a reviewer and a stranger alike', async () => {
      const upper = evaluated.id.toUpperCase();
      for (const path of [`/documents/${upper}`, `/documents/${upper}/history`, `/verification/${upper}`]) {
        const owner = await fetch(`${api.url}${path}`, { headers: auth('owner-h') });
        assert.equal(owner.status, 200, `${path} for the owner`);
        const stranger = await fetch(`${api.url}${path}`, { headers: auth('someone-else') });
        assert.equal(stranger.status, 404, `${path} for a stranger`);
        const reviewer = await fetch(`${api.url}${path}`, { headers: auth('rev-1', 'reviewer') });
        assert.equal(reviewer.status, 200, `${path} for a reviewer`);
      }
      const detail = (await (await fetch(`${api.url}/documents/${upper}`, { headers: auth('owner-h') })).json()) as {
        id: string;
        fields: Record<string, string>;
      };
      assert.equal(detail.id, evaluated.id);
      assert.match(detail.fields.nik ?? '', /^\*{12}\d{4}$/, 'the encrypted fields read back');
      const review = await fetch(`${api.url}/internal/reviews/${inReview.id.toUpperCase()}`, {
        headers: auth('rev-1', 'reviewer'),
      });
      assert.equal(review.status, 200);
    });

    it('should answer 400 to a path parameter that is not valid percent-encoding', async () => {
      for (const path of ['/documents/%ff%fe', '/verification/%E0%A4%A', '/documents/%ff/history']) {
        const response = await fetch(`${api.url}${path}`, { headers: auth('owner-h') });
        assert.equal(response.status, 400, path);
        assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json');
      }
    });

    it('should answer 405 with Allow to a method a path does not serve, TRACE included', async () => {
      const trace = await rawRequest(
        api.port,
        `TRACE /documents/${evaluated.id} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      await trace.closed;
      assert.match(trace.received(), /^HTTP\/1\.1 405 /);
      assert.match(trace.received(), /\r\nAllow: GET, HEAD, OPTIONS\r\n/i);
      const put = await fetch(`${api.url}/documents/upload`, { method: 'PUT', headers: auth('owner-h') });
      assert.equal(put.status, 405);
      assert.equal(put.headers.get('allow'), 'POST, OPTIONS');
      // A literal path is that resource, though /documents/{id} would take its last segment for an id.
      const get = await fetch(`${api.url}/documents/upload`, { headers: auth('owner-h') });
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
      // Under /internal nobody but staff learns which methods a path serves.
      assert.equal((await fetch(`${api.url}/internal/review-reasons`, { method: 'DELETE' })).status, 401);
      assert.equal((await fetch(`${api.url}/nowhere`, { method: 'DELETE' })).status, 404);
    });
  });

  describe('cursors and free text', () => {
    it('should refuse cursors that are not of the published shape with 400, and accept any that is', async () => {
      const legacyYearZero = Buffer.from(`0000-01-01T00:00:00.000000Z|${evaluated.id}`).toString('base64url');
      for (const cursor of ['0'.repeat(200), legacyYearZero, 'zz', `${'f'.repeat(45)}0`]) {
        for (const path of ['/documents', '/internal/reviews']) {
          const response = await fetch(`${api.url}${path}?cursor=${encodeURIComponent(cursor)}`, {
            headers: auth('rev-1', 'reviewer'),
          });
          assert.equal(response.status, 400, `${path} ${cursor.slice(0, 20)}`);
        }
      }
      for (const cursor of ['0'.repeat(45), 'f'.repeat(45)]) {
        const response = await fetch(`${api.url}/documents?cursor=${cursor}`, { headers: auth('owner-h') });
        assert.equal(response.status, 200, cursor);
      }
    });

    it('should refuse a reviewer reason with U+0000, a lone surrogate or only white space, and write nothing', async () => {
      const before = await runtime.store.history(inReview.id);
      for (const reason of ['bad\u0000reason', 'lone \ud800 surrogate', ' \n\t ', '\u3000\ufeff']) {
        const response = await fetch(`${api.url}/internal/reviews/${inReview.id}/decision`, {
          method: 'POST',
          headers: { ...auth('rev-1', 'reviewer'), 'content-type': 'application/json' },
          // JSON.stringify writes a lone surrogate as the escape \ud800, which JSON.parse turns back into one.
          body: JSON.stringify({ decision: 'approve', reason }),
        });
        assert.equal(response.status, 400, JSON.stringify(reason));
      }
      assert.deepEqual(await runtime.store.history(inReview.id), before);
    });
  });

  describe('request ids', () => {
    it('should not store a NIK sent as X-Request-Id', async () => {
      const nik = '3171014101900001';
      const form = new FormData();
      form.append('type', 'KTP');
      const jpeg = await sharp({ create: { width: 64, height: 40, channels: 3, background: '#9cc9e8' } })
        .jpeg()
        .toBuffer();
      form.append('file', new Blob([jpeg]), 'card.jpg');
      const response = await fetch(`${api.url}/documents/upload`, {
        method: 'POST',
        headers: { ...auth('owner-r'), 'x-request-id': nik },
        body: form,
      });
      assert.equal(response.status, 202);
      const { id } = (await response.json()) as { id: string };
      const correlationId = await world.pool.oneFirst(sql.type(z.object({ id: z.string() }))`
        SELECT correlation_id AS id FROM documents WHERE id = ${id}`);
      assert.notEqual(correlationId, nik);
      assert.equal(correlationId, response.headers.get('x-request-id'), 'the generated id replaced it');
    });
  });
});

describe('slow clients and event streams', () => {
  let world: World;
  let runtime: ComposedRuntime;
  let api: Awaited<ReturnType<typeof startApi>>;
  const pending = newDocument({ ownerId: 'owner-s' });

  before(async () => {
    world = await createWorld();
    runtime = await world.runtime(undefined, { start: false });
    // Time limits scaled down about a hundredfold, so each takes a fraction of a second to reach.
    api = await startApi(world, runtime, {
      timeouts: { headersMs: 300, requestMs: 1200, idleMs: 800, checkIntervalMs: 50 },
      overrides: { heartbeatMs: 100, maxIdleMs: 2500, streams: { perUser: 2, perProcess: 3 } },
    });
    await runtime.documents.create(pending, { type: 'user', id: 'owner-s' });
  });
  after(async () => {
    await api?.close();
    await world?.close();
  });

  const auth = (sub: string) => ({ authorization: `Bearer ${api.tokenFor(sub)}` });
  const head = (sub: string) =>
    `POST /documents/upload HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth(sub).authorization}\r\n` +
    'Content-Type: multipart/form-data; boundary=zz\r\nContent-Length: 2000000\r\n\r\n';

  it('should close a connection whose headers do not arrive in time', async () => {
    const request = await rawRequest(
      api.port,
      'GET /health HTTP/1.1\r\n',
      ['Host: x\r\n', 'X-A: 1\r\n', 'X-B: 2\r\n'],
      150,
    );
    const closedAfter = await request.closed;
    assert.ok(closedAfter < 3000, `closed after ${Math.round(closedAfter)} ms`);
    assert.doesNotMatch(request.received(), /200 OK/);
  });

  it('should close an upload whose body trickles in, one byte at a time, past the request time limit', async () => {
    const request = await rawRequest(api.port, head('owner-s'), Array(100).fill('-'), 100);
    const closedAfter = await request.closed;
    assert.ok(closedAfter < 5000, `closed after ${Math.round(closedAfter)} ms`);
    assert.equal((await fetch(`${api.url}/health`)).status, 200);
  });

  it('should close a connection that sends nothing at all', async () => {
    const request = await rawRequest(api.port, head('owner-s'));
    const closedAfter = await request.closed;
    assert.ok(closedAfter < 3000, `closed after ${Math.round(closedAfter)} ms`);
  });

  /** Opens an event stream and collects its text until it ends or `stop` aborts. */
  const openStream = async (sub: string, stop: AbortSignal) => {
    const response = await fetch(`${api.url}/verification/${pending.id}/events`, { headers: auth(sub), signal: stop });
    if (response.status !== 200) return { status: response.status, response, text: Promise.resolve('') };
    const text = (async () => {
      let all = '';
      try {
        for await (const chunk of response.body as ReadableStream<Uint8Array>) all += Buffer.from(chunk).toString();
      } catch {
        // Aborted by the test.
      }
      return all;
    })();
    return { status: 200, response, text };
  };

  it('should keep a quiet event stream alive with heartbeats past the request time limit, and end it when idle too long', async () => {
    const stop = new AbortController();
    const started = performance.now();
    const stream = await openStream('owner-s', stop.signal);
    assert.equal(stream.status, 200);
    const text = await stream.text;
    const lasted = performance.now() - started;
    assert.ok(lasted > 1500, `the stream outlived the 1.2 s request limit (${Math.round(lasted)} ms)`);
    assert.ok(lasted < 6000, `and ended after the 2.5 s idle limit (${Math.round(lasted)} ms)`);
    assert.match(text, /^retry: 5000\n/);
    assert.ok((text.match(/: keep-alive\n\n/g) ?? []).length >= 5, 'heartbeats were sent');
  });

  it('should refuse event streams beyond the per-user and per-process limits with 429, and free a slot when a stream ends', async () => {
    const stop = new AbortController();
    try {
      const first = await openStream('owner-s', stop.signal);
      const second = await openStream('owner-s', stop.signal);
      assert.deepEqual([first.status, second.status], [200, 200]);
      const third = await openStream('owner-s', stop.signal);
      assert.equal(third.status, 429, 'per user');
      assert.equal(third.response.headers.get('retry-after'), '5');
      // A reviewer may watch the same document: a third stream for the process, then the bound.
      const reviewerToken = api.tokenFor('rev-s', 'reviewer');
      const watch = () =>
        fetch(`${api.url}/verification/${pending.id}/events`, {
          headers: { authorization: `Bearer ${reviewerToken}` },
          signal: stop.signal,
        });
      const reviewer = await watch();
      assert.equal(reviewer.status, 200);
      assert.equal((await watch()).status, 429, 'per process');
    } finally {
      stop.abort();
    }
    // The server hears of the closes when their sockets end: asked again until then (a bound, not a target).
    let reopened = 0;
    const deadline = Date.now() + 10_000;
    while (reopened !== 200 && Date.now() < deadline) {
      const again = new AbortController();
      reopened = (await openStream('owner-s', again.signal)).status;
      again.abort();
      if (reopened !== 200) await sleep(50);
    }
    assert.equal(reopened, 200, 'closed streams give their slots back');
  });
});
