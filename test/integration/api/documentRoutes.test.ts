import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32, createDeflate } from 'node:zlib';
import { Registry } from 'prom-client';
import sharp from 'sharp';
import { sql } from 'slonik';
import { z } from 'zod';
import { loadRegions } from '../../../adapters/regions/loadRegions.ts';
import { createFsStorage } from '../../../adapters/storage/fsStorage.ts';
import { createApiAdapters } from '../../../composition/api.ts';
import { type ComposedRuntime, composeRuntime } from '../../../composition/runtime.ts';
import { createApp } from '../../../server/app.ts';
import { createAuth } from '../../../server/http/auth.ts';
import { testTokens } from '../../support/api.ts';
import { createTestPool } from '../../support/database.ts';
import {
  completeOcr,
  createWorld,
  evaluateAndDecide,
  newDocument,
  SYSTEM,
  testLogger,
  type World,
  waitFor,
} from '../../support/harness.ts';
import { CLEAN_EVALUATION, SYNTHETIC_OCR } from '../../support/scriptedEngine.ts';

const IMAGE = Buffer.from('\xff\xd8\xff synthetic image bytes', 'latin1');
const { jwtSettings, tokenFor } = testTokens();

describe('the document routes', () => {
  let world: World;
  let runtime: ComposedRuntime;
  let server: Server;
  let url: string;
  let storageDirectory: string;
  let storage: ReturnType<typeof createFsStorage>;
  const evaluated = newDocument({ ownerId: 'owner-a' });
  const inReview = newDocument({ ownerId: 'owner-c' });
  /** The API app on its own port, with these settings changed. */
  const listenWith = async (
    overrides: {
      maxPixels?: number;
      documents?: ComposedRuntime['documents'];
      streams?: { perUser: number; perProcess: number };
    } = {},
  ) => {
    const app = createApp({
      readiness: [],
      metrics: new Registry(),
      logger: testLogger,
      development: false,
      api: {
        auth: createAuth(jwtSettings),
        ...createApiAdapters(world.pool, runtime.adapters.cipher, await loadRegions()),
        store: runtime.store,
        documents: overrides.documents ?? runtime.documents,
        storage,
        pollMs: 50,
        maxUploadBytes: 2 * 1024 * 1024,
        maxPixels: overrides.maxPixels ?? 50_000_000,
        ...(overrides.streams ? { streams: overrides.streams } : {}),
      },
    });
    const listening = app.listen(0);
    await new Promise((resolve) => listening.once('listening', resolve));
    return { server: listening, url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}` };
  };
  before(async () => {
    world = await createWorld();
    runtime = await world.runtime(undefined, { start: false });
    storageDirectory = await mkdtemp(join(tmpdir(), 'filot-api-storage-'));
    storage = createFsStorage(storageDirectory);
    await storage.put(`documents/${inReview.id}`, IMAGE);
    ({ server, url } = await listenWith());

    // One evaluated document of owner-a, and 25 more to page through.
    await runtime.documents.create(evaluated, { type: 'user', id: 'owner-a' });
    await completeOcr(runtime.documents, evaluated.id);
    await evaluateAndDecide(runtime.documents, evaluated.id);
    await runtime.documents.create(inReview, { type: 'user', id: 'owner-c' });
    await completeOcr(runtime.documents, inReview.id);
    await evaluateAndDecide(runtime.documents, inReview.id, { ...CLEAN_EVALUATION, score: 0.6 });
    for (let index = 0; index < 25; index++)
      await runtime.documents.create(newDocument({ ownerId: 'owner-a' }), { type: 'user', id: 'owner-a' });
  });
  after(async () => {
    server?.close();
    await world.close();
    await rm(storageDirectory, { recursive: true, force: true });
  });
  const get = (path: string, token?: string) =>
    fetch(`${url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('should show the owner their document with NIK masked to the last 4 digits', async () => {
    const response = await get(`/documents/${evaluated.id}`, tokenFor('owner-a', 'user'));
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      status: string;
      fields: Record<string, string>;
      evaluation: { score: number };
    };
    assert.equal(body.status, 'auto_approve');
    assert.equal(body.fields.nik, '************0001');
    assert.equal(body.fields.nama, CLEAN_EVALUATION.fields.nama);
    assert.equal(body.evaluation.score, CLEAN_EVALUATION.score);
  });

  it('should show a reviewer the unmasked fields', async () => {
    const body = (await (await get(`/documents/${evaluated.id}`, tokenFor('rev-1', 'reviewer'))).json()) as {
      fields: Record<string, string>;
    };
    assert.equal(body.fields.nik, CLEAN_EVALUATION.fields.nik);
  });

  it('should answer 404 to another user, for the document and its history alike', async () => {
    for (const path of [`/documents/${evaluated.id}`, `/documents/${evaluated.id}/history`]) {
      const response = await get(path, tokenFor('owner-b', 'user'));
      assert.equal(response.status, 404, path);
    }
    assert.equal((await get(`/documents/${randomUUID()}`, tokenFor('owner-a', 'user'))).status, 404);
  });

  it('should refuse missing tokens with 401 and malformed ids or queries with 400', async () => {
    assert.equal((await get(`/documents/${evaluated.id}`)).status, 401);
    assert.equal((await get('/documents/not-a-uuid', tokenFor('owner-a', 'user'))).status, 400);
    assert.equal((await get('/documents?limit=0', tokenFor('owner-a', 'user'))).status, 400);
    assert.equal((await get('/documents?unknown=1', tokenFor('owner-a', 'user'))).status, 400);
    assert.equal((await get('/documents?cursor=bogus', tokenFor('owner-a', 'user'))).status, 400);
  });

  it('should give the history oldest first', async () => {
    const body = (await (await get(`/documents/${evaluated.id}/history`, tokenFor('owner-a', 'user'))).json()) as {
      items: { seq: number; event: string; to: string }[];
    };
    assert.deepEqual(
      body.items.map((item) => [item.seq, item.event, item.to]),
      [
        [1, 'DOCUMENT_UPLOADED', 'uploaded'],
        [2, 'PROCESSING_STARTED', 'processing'],
        [3, 'OCR_COMPLETED', 'ocr_completed'],
        [4, 'AI_EVALUATED', 'ai_evaluated'],
        [5, 'DECIDE', 'auto_approve'],
      ],
    );
  });

  it('should page through the owner’s documents, newest first, each exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=10&cursor=${cursor}` : '?limit=10';
      const page = (await (await get(`/documents${query}`, tokenFor('owner-a', 'user'))).json()) as {
        items: { id: string; createdAt: string; fields: unknown }[];
        nextCursor: string | null;
      };
      seen.push(...page.items.map((item) => item.id));
      // The list shows a document as its detail does: fields included, identifiers masked for the owner.
      for (const item of page.items)
        if (item.fields) assert.match(String((item.fields as { nik?: string }).nik), /^\*{12}\d{4}$/);
      cursor = page.nextCursor;
    } while (cursor);
    assert.equal(seen.length, 26);
    assert.equal(new Set(seen).size, 26);
    assert.equal(seen.at(-1), evaluated.id, 'the oldest last');
    const other = (await (await get('/documents', tokenFor('owner-b', 'user'))).json()) as { items: unknown[] };
    assert.deepEqual(other.items, []);
  });

  const post = (path: string, token: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('should keep the review routes to reviewers and admins', async () => {
    assert.equal((await get('/internal/reviews')).status, 401);
    assert.equal((await get('/internal/reviews', tokenFor('owner-c', 'user'))).status, 403);
    assert.equal((await get(`/internal/reviews/${inReview.id}`, tokenFor('owner-c', 'user'))).status, 403);
    assert.equal(
      (await post(`/internal/reviews/${inReview.id}/decision`, tokenFor('owner-c', 'user'), {})).status,
      403,
    );
    assert.equal((await get('/internal/reviews', tokenFor('adm-1', 'admin'))).status, 200);
  });

  it('should list the review queue and show a reviewer the full detail and the image', async () => {
    const reviewer = tokenFor('rev-1', 'reviewer');
    const queue = (await (await get('/internal/reviews', reviewer)).json()) as { items: { id: string }[] };
    assert.deepEqual(
      queue.items.map((item) => item.id),
      [inReview.id],
    );
    const detail = (await (await get(`/internal/reviews/${inReview.id}`, reviewer)).json()) as {
      status: string;
      ownerId: string;
      fields: Record<string, string>;
      image: string;
    };
    assert.equal(detail.status, 'needs_review');
    assert.equal(detail.ownerId, 'owner-c');
    assert.equal(detail.fields.nik, CLEAN_EVALUATION.fields.nik);
    const image = await get(detail.image, reviewer);
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('content-type'), 'image/jpeg');
    assert.equal(image.headers.get('cache-control'), 'no-store');
    assert.deepEqual(Buffer.from(await image.arrayBuffer()), IMAGE);
  });

  it('should validate the decision, apply it once, and answer 409 after', async () => {
    const reviewer = tokenFor('rev-1', 'reviewer');
    const path = `/internal/reviews/${inReview.id}/decision`;
    assert.equal((await post(path, reviewer, { decision: 'maybe', reason: 'x' })).status, 400);
    assert.equal((await post(path, reviewer, { decision: 'approve' })).status, 400);
    assert.equal((await post(path, reviewer, { decision: 'approve', reason: 'ok', extra: 1 })).status, 400);
    const decided = await post(path, reviewer, { decision: 'approve', reason: 'Photo and fields checked.' });
    assert.equal(decided.status, 200);
    assert.deepEqual(await decided.json(), { id: inReview.id, status: 'approved' });
    const again = await post(path, reviewer, { decision: 'reject', reason: 'second thoughts' });
    assert.equal(again.status, 409);
    assert.equal(again.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    const history = await runtime.store.history(inReview.id);
    assert.deepEqual(
      history.filter((entry) => entry.eventType === 'REVIEW_DECIDED').map((entry) => [entry.actorType, entry.actorId]),
      [['reviewer', 'rev-1']],
    );
    // The audit: staff read why and through which channel; the owner reads who and when.
    type Item = { event: string; actor: { type: string; id: string }; review?: unknown };
    const decisionIn = async (token: string) =>
      ((await (await get(`/documents/${inReview.id}/history`, token)).json()) as { items: Item[] }).items.find(
        (item) => item.event === 'REVIEW_DECIDED',
      );
    assert.deepEqual((await decisionIn(reviewer))?.review, {
      decision: 'approve',
      reason: 'Photo and fields checked.',
      source: 'internal',
    });
    const forOwner = await decisionIn(tokenFor('owner-c', 'user'));
    assert.deepEqual(forOwner?.actor, { type: 'reviewer', id: 'rev-1' });
    assert.equal(forOwner?.review, undefined);
    assert.equal(
      (await post(`/internal/reviews/${evaluated.id}/decision`, reviewer, { decision: 'approve', reason: 'x' })).status,
      409,
    );
  });

  it('should give the verdict to the owner and staff, and 404 to others', async () => {
    const body = (await (await get(`/verification/${evaluated.id}`, tokenFor('owner-a', 'user'))).json()) as {
      verdict: string;
      score: number;
    };
    assert.equal(body.verdict, 'approved');
    assert.equal(body.score, CLEAN_EVALUATION.score);
    assert.equal((await get(`/verification/${evaluated.id}`, tokenFor('rev-1', 'reviewer'))).status, 200);
    assert.equal((await get(`/verification/${evaluated.id}`, tokenFor('owner-b', 'user'))).status, 404);
    assert.equal((await get(`/verification/${evaluated.id}/events`, tokenFor('owner-b', 'user'))).status, 404);
  });

  it('should stream the verdict at once, then each change, and end after a final one', async () => {
    const pending = newDocument({ ownerId: 'owner-d' });
    await runtime.documents.create(pending, { type: 'user', id: 'owner-d' });
    const response = await get(`/verification/${pending.id}/events`, tokenFor('owner-d', 'user'));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    const verdicts: string[] = [];
    /** The next verdict event (comments such as the heartbeat are skipped); null once the stream ends. */
    const nextEvent = async () => {
      for (;;) {
        const end = buffered.indexOf('\n\n');
        if (end >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (data) return JSON.parse(data.slice(6)) as { verdict: string; status: string };
          continue;
        }
        const { value, done } = await reader.read();
        if (done) return null;
        buffered += decoder.decode(value, { stream: true });
      }
    };
    const first = await nextEvent();
    verdicts.push(`${first?.verdict}/${first?.status}`);
    const leaseToken = randomUUID();
    await runtime.documents.send(
      pending.id,
      { type: 'PROCESSING_STARTED', workerId: 'w', attempt: 1, leaseToken, device: 'cpu' },
      SYSTEM,
    );
    // Seen before the next change is made: changes within one poll would reach the stream as one.
    const processing = await nextEvent();
    verdicts.push(`${processing?.verdict}/${processing?.status}`);
    await runtime.documents.send(
      pending.id,
      { type: 'OCR_COMPLETED', leaseToken, result: SYNTHETIC_OCR, gpuProcessed: false, durationMs: 3 },
      SYSTEM,
    );
    await runtime.documents.send(pending.id, { type: 'AI_EVALUATED', ...CLEAN_EVALUATION }, SYSTEM);
    await runtime.documents.send(pending.id, { type: 'DECIDE' }, SYSTEM);
    for (let event = await nextEvent(); event; event = await nextEvent())
      verdicts.push(`${event.verdict}/${event.status}`);
    assert.equal(verdicts[0], 'pending/uploaded');
    assert.ok(verdicts.includes('pending/processing'), verdicts.join(' '));
    assert.equal(verdicts.at(-1), 'approved/auto_approve');
  });

  it('should stop streaming when the client goes away', async () => {
    const waiting = newDocument({ ownerId: 'owner-e' });
    await runtime.documents.create(waiting, { type: 'user', id: 'owner-e' });
    // One stream per user: a stream gives its slot back only after its poll loop has ended, so a
    // second stream being let in is the sign that the first stopped polling.
    const single = await listenWith({ streams: { perUser: 1, perProcess: 10 } });
    const open = (signal: AbortSignal) =>
      fetch(`${single.url}/verification/${waiting.id}/events`, {
        headers: { authorization: `Bearer ${tokenFor('owner-e', 'user')}` },
        signal,
      });
    /** Whether a stream is let in now; it is closed again at once. */
    const letIn = async () => {
      const probe = new AbortController();
      const response = await open(probe.signal);
      probe.abort();
      return response.status === 200;
    };
    try {
      const controller = new AbortController();
      const response = await open(controller.signal);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      assert.match(new TextDecoder().decode((await reader.read()).value), /pending/);
      assert.equal(await letIn(), false, 'the open stream holds the slot');
      controller.abort();
      await waitFor(letIn, 5000, 'the stream to stop polling and give its slot back');
    } finally {
      single.server.closeAllConnections();
      single.server.close();
    }
    assert.equal((await get(`/verification/${waiting.id}`, tokenFor('owner-e', 'user'))).status, 200);
  });

  describe('POST /documents/upload', () => {
    const jpeg = async (width = 640, height = 400) =>
      sharp({ create: { width, height, channels: 3, background: '#9cc9e8' } })
        .jpeg()
        .toBuffer();
    const upload = (token: string, parts: [string, string | Blob, string?][], headers: Record<string, string> = {}) => {
      const form = new FormData();
      for (const [name, value, filename] of parts)
        typeof value === 'string' ? form.append(name, value) : form.append(name, value, filename ?? 'card.jpg');
      return fetch(`${url}/documents/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, ...headers },
        body: form,
      });
    };
    const countRows = async () =>
      world.pool.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM documents`);
    const storedFiles = async () =>
      (await readdir(join(storageDirectory, 'documents'), { recursive: true, withFileTypes: true })).filter((entry) =>
        entry.isFile(),
      ).length;

    it('should store the file, commit the document and its OCR job, and answer 202 with its location', async () => {
      const image = await jpeg();
      const response = await upload(tokenFor('owner-u', 'user'), [
        ['type', 'KTP'],
        ['file', new Blob([image], { type: 'image/jpeg' })],
      ]);
      assert.equal(response.status, 202);
      const body = (await response.json()) as { id: string; status: string };
      assert.equal(response.headers.get('location'), `/documents/${body.id}`);
      assert.equal(body.status, 'uploaded');
      const storageKey = await world.pool.oneFirst(sql.type(z.object({ key: z.string() }))`
        SELECT storage_key AS key FROM documents WHERE id = ${body.id}`);
      // Fanned out by the id's first two hex digits (see uploadRoutes.ts).
      assert.equal(storageKey, `documents/${body.id.slice(0, 2)}/${body.id}`);
      assert.deepEqual(await storage.get(storageKey), image);
      const outbox = await world.pool.oneFirst(sql.type(z.object({ count: z.number() }))`
        SELECT count(*)::int AS count FROM outbox WHERE document_id = ${body.id} AND kind = 'enqueue_ocr'`);
      assert.equal(outbox, 1);
      const sha = await world.pool.oneFirst(sql.type(z.object({ sha: z.instanceof(Buffer) }))`
        SELECT sha256 AS sha FROM documents WHERE id = ${body.id}`);
      assert.deepEqual(sha, createHash('sha256').update(image).digest());
    });

    it('should refuse bad uploads with a clear status and leave nothing behind', async () => {
      const token = tokenFor('owner-u', 'user');
      const rowsBefore = await countRows();
      const filesBefore = await storedFiles();
      const image = await jpeg();
      // 400 megapixels of black in a few hundred KB: a decompression bomb.
      const bomb = await blankPng(20_000, 20_000);
      assert.ok(bomb.length < 1_000_000, `the bomb is ${bomb.length} bytes`);
      const megapixel = await sharp({ create: { width: 1000, height: 1000, channels: 3, background: '#ffffff' } })
        .png()
        .toBuffer();
      const cases: [string, number, [string, string | Blob, string?][]][] = [
        [
          'oversize',
          413,
          [
            ['type', 'KTP'],
            ['file', new Blob([Buffer.concat([image, randomBytes(2_200_000)])])],
          ],
        ],
        [
          'text renamed .jpg',
          415,
          [
            ['type', 'KTP'],
            ['file', new Blob(['hello, not an image']), 'card.jpg'],
          ],
        ],
        [
          'polyglot: HTML with a JPEG name',
          415,
          [
            ['type', 'KTP'],
            ['file', new Blob(['<html>\xff\xd8\xff</html>'])],
          ],
        ],
        [
          'empty',
          400,
          [
            ['type', 'KTP'],
            ['file', new Blob([])],
          ],
        ],
        [
          'truncated JPEG',
          422,
          [
            ['type', 'KTP'],
            ['file', new Blob([image.subarray(0, 20)])],
          ],
        ],
        [
          '20000x20000 PNG',
          413,
          [
            ['type', 'KTP'],
            ['file', new Blob([bomb]), 'card.png'],
          ],
        ],
        ['missing type', 400, [['file', new Blob([image])]]],
        [
          'unknown type',
          400,
          [
            ['type', 'PASSPORT'],
            ['file', new Blob([image])],
          ],
        ],
        [
          'extra field',
          400,
          [
            ['type', 'KTP'],
            ['note', 'hi'],
            ['file', new Blob([image])],
          ],
        ],
        [
          'two files',
          400,
          [
            ['type', 'KTP'],
            ['file', new Blob([image])],
            ['file', new Blob([image])],
          ],
        ],
      ];
      for (const [name, status, parts] of cases) {
        const response = await upload(token, parts);
        assert.equal(response.status, status, name);
        assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json', name);
      }
      // The configured limit decides: one megapixel is too many for a server allowing half of one.
      const limited = await listenWith({ maxPixels: 500_000 });
      const response = await fetch(`${limited.url}/documents/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: (() => {
          const form = new FormData();
          form.append('type', 'KTP');
          form.append('file', new Blob([megapixel]), 'card.png');
          return form;
        })(),
      });
      limited.server.close();
      assert.equal(response.status, 413, 'over the configured pixel limit');
      assert.equal(await countRows(), rowsBefore);
      assert.equal(await storedFiles(), filesBefore);
      assert.equal((await fetch(`${url}/health`)).status, 200);
    });

    it('should answer 500 and keep neither file nor row when the database cannot take the document', async () => {
      // A runtime over a pool that is already closed: its inserts fail as they would with the
      // database gone, after the file has been stored.
      const closedPool = await createTestPool(world.database, 1);
      await closedPool.end();
      const broken = composeRuntime({
        config: world.config,
        connections: { pool: closedPool, redis: world.redis },
        logger: testLogger,
      });
      const failing = await listenWith({ documents: broken.documents });
      try {
        const rowsBefore = await countRows();
        const filesBefore = await storedFiles();
        const form = new FormData();
        form.append('type', 'KTP');
        form.append('file', new Blob([await jpeg()]), 'card.jpg');
        const response = await fetch(`${failing.url}/documents/upload`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokenFor('owner-u', 'user')}` },
          body: form,
        });
        assert.equal(response.status, 500);
        assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json');
        const problem = (await response.json()) as { detail?: string };
        assert.doesNotMatch(JSON.stringify(problem), /pool|connection|slonik/i, 'no internal message leaks');
        assert.equal(await countRows(), rowsBefore);
        assert.equal(await storedFiles(), filesBefore, 'the stored file is removed again');
        assert.equal((await fetch(`${failing.url}/health`)).status, 200);
      } finally {
        failing.server.close();
      }
    });

    it('should replay the response for the same Idempotency-Key and body, and refuse another body', async () => {
      const token = tokenFor('owner-u', 'user');
      const image = await jpeg(500, 320);
      const send = (body: Buffer, type = 'KTP') =>
        upload(
          token,
          [
            ['type', type],
            ['file', new Blob([body])],
          ],
          { 'Idempotency-Key': 'upload-0001' },
        );
      const first = await send(image);
      const second = await send(image);
      assert.equal(first.status, 202);
      assert.equal(second.status, 202);
      assert.equal(first.headers.get('idempotent-replayed'), null, 'the first answer is not a replay');
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.equal(second.headers.get('location'), first.headers.get('location'));
      assert.deepEqual(await second.json(), await first.json());
      const reused = await send(await jpeg(510, 320));
      assert.equal(reused.status, 422);
      assert.equal(reused.headers.get('idempotent-replayed'), null);
      assert.deepEqual(
        { ...((await reused.json()) as object), correlationId: undefined },
        {
          type: '/problems/idempotency_key_reused',
          code: 'idempotency_key_reused',
          title: 'Idempotency-Key reused',
          status: 422,
          detail: 'This Idempotency-Key was used with a different request.',
          correlationId: undefined,
        },
      );
      assert.equal((await send(image, 'NPWP')).status, 422);
      assert.equal(
        (
          await upload(
            token,
            [
              ['type', 'KTP'],
              ['file', new Blob([image])],
            ],
            { 'Idempotency-Key': 'bad key!' },
          )
        ).status,
        400,
      );
    });

    it('should take many parallel uploads, each stored, committed and queued exactly once', async () => {
      const token = tokenFor('owner-p', 'user');
      const image = await jpeg();
      const responses = await Promise.all(
        Array.from({ length: 40 }, () =>
          upload(token, [
            ['type', 'NPWP'],
            ['file', new Blob([image])],
          ]),
        ),
      );
      assert.deepEqual(
        responses.map((response) => response.status),
        Array(40).fill(202),
      );
      const ids = await Promise.all(responses.map(async (response) => ((await response.json()) as { id: string }).id));
      assert.equal(new Set(ids).size, 40);
      // They arrive together, so they share insert statements and XADD pipelines (groupCommit.ts);
      // each must still have its row, first event, outbox row, file and stream entry.
      const rows = await world.pool.any(sql.type(
        z.object({ id: z.string(), storageKey: z.string(), events: z.number(), jobs: z.number() }),
      )`
        SELECT d.id, d.storage_key AS "storageKey",
               (SELECT count(*)::int FROM document_events e WHERE e.document_id = d.id AND e.seq = 1) AS events,
               (SELECT count(*)::int FROM outbox o WHERE o.document_id = d.id) AS jobs
        FROM documents d WHERE d.id = ANY(${sql.array(ids, 'uuid')})`);
      assert.equal(rows.length, 40);
      for (const row of rows) {
        assert.deepEqual([row.events, row.jobs], [1, 1], row.id);
        assert.deepEqual(await storage.get(row.storageKey), image, row.id);
      }
      const entries = await world.redis.xrange(`${world.prefix}ocr:jobs`, '-', '+');
      const queued = entries
        .map(([, fields]) => fields[fields.indexOf('documentId') + 1])
        .filter((id): id is string => id !== undefined && ids.includes(id));
      assert.deepEqual(queued.sort(), [...ids].sort());
      assert.equal((await fetch(`${url}/health`)).status, 200);
    });
  });
});

/** A grey PNG of zeros, deflated as it is written: its size on disk says nothing of its pixels. */
async function blankPng(width: number, height: number): Promise<Buffer> {
  const deflate = createDeflate();
  const compressed: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => compressed.push(chunk));
  const finished = once(deflate, 'end');
  const row = Buffer.alloc(1 + width); // filter type 0, then one byte per pixel
  for (let y = 0; y < height; y++) if (!deflate.write(row)) await once(deflate, 'drain');
  deflate.end();
  await finished;
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth; colour type 0 (grey), default compression, filter and interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', Buffer.concat(compressed)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
