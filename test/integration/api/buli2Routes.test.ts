import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { loadRegions } from '../../../adapters/regions/loadRegions.ts';
import { createFsStorage } from '../../../adapters/storage/fsStorage.ts';
import { createApiAdapters } from '../../../composition/api.ts';
import type { ComposedRuntime } from '../../../composition/runtime.ts';
import { createApp } from '../../../server/app.ts';
import { createAuth } from '../../../server/http/auth.ts';
import { signBuli2Body } from '../../../server/http/buli2Signature.ts';
import { createHttpServer } from '../../../server/http/httpServer.ts';
import { IMAGE_LINK_PATH, signImageLink } from '../../../server/http/imageLinks.ts';
import type { Buli2Callbacks, RecordedDecision, ReviewDecisions } from '../../../server/ports.ts';
import { testTokens } from '../../support/api.ts';
import { createWorld, newDocument, type World } from '../../support/harness.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';

/**
 * The BULI2 routes' contract over HTTP, on the real app and server: the signed callback and the
 * signed image link. The review workflows are stood in for by functions that record their calls
 * (Temporal's side is tested with the workflows); the image comes from a real database and storage.
 */

const SECRETS = ['first-webhook-secret-of-at-least-32-bytes', 'second-webhook-secret-of-at-least-32-bytes'];
const IMAGE_SECRET = 'image-link-secret-of-at-least-32-bytes';
const IMAGE = Buffer.from('\xff\xd8\xff synthetic image bytes', 'latin1');
const NOTES = 'Foto buram, NIK 3171014101900001 terbaca jelas';
const REVIEWER = 'buli2-reviewer-77';

type Outcome = Awaited<ReturnType<ReviewDecisions['decide']>>;
type Decided = { documentId: string; decision: Parameters<ReviewDecisions['decide']>[1]; requestId: string };

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('the BULI2 routes', () => {
  let world: World;
  let runtime: ComposedRuntime;
  let storageDirectory: string;
  const tokens = testTokens();
  const log = recordingLogger();
  const servers: Server[] = [];
  let url: string;

  // The ports, recording what they are asked.
  const decided: Decided[] = [];
  let outcome: () => Promise<Outcome>;
  let recorded: RecordedDecision | null;
  /** review id → document id: the reviews "forwarded" to BULI2. */
  const reviews = new Map<string, string>();
  const buli2: Buli2Callbacks = {
    webhookSecrets: () => SECRETS,
    findReview: async (reviewId) => {
      const documentId = reviews.get(reviewId);
      return documentId ? { documentId } : null;
    },
    decisionOf: async () => recorded,
    imageLinkSecret: IMAGE_SECRET,
  };
  const decisions: ReviewDecisions = {
    async decide(documentId, decision, requestId) {
      decided.push({ documentId, decision, requestId });
      return outcome();
    },
  };

  const stored = newDocument({ ownerId: 'owner-b' });

  /** The app as main.ts serves it, over this world, with these BULI2 dependencies. */
  async function serve(api: { buli2?: Buli2Callbacks; reviews?: ReviewDecisions }) {
    const app = createApp({
      readiness: [],
      metrics: new Registry(),
      logger: log.logger,
      development: false,
      api: {
        auth: createAuth(tokens.jwtSettings),
        ...createApiAdapters(world.pool, runtime.adapters.cipher, await loadRegions()),
        store: runtime.store,
        documents: runtime.documents,
        storage: createFsStorage(storageDirectory),
        pollMs: 50,
        maxUploadBytes: 1024 * 1024,
        maxPixels: 50_000_000,
        ...api,
      },
    });
    const server = createHttpServer(app);
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  before(async () => {
    world = await createWorld({ reviews: false });
    runtime = await world.runtime(undefined, { start: false });
    storageDirectory = await mkdtemp(join(tmpdir(), 'filot-buli2-'));
    await createFsStorage(storageDirectory).put(stored.storageKey, IMAGE);
    await runtime.documents.create(stored, { type: 'user', id: 'owner-b' });
    url = await serve({ buli2, reviews: decisions });
  });
  after(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    await world?.close();
    if (storageDirectory) await rm(storageDirectory, { recursive: true, force: true });
  });
  beforeEach(() => {
    decided.length = 0;
    log.entries.length = 0;
    outcome = async () => ({ outcome: 'applied', status: 'approved' });
    recorded = null;
  });

  /** A callback about a review forwarded to BULI2 for a document of its own. */
  function forwarded(overrides: Record<string, unknown> = {}) {
    const callback = {
      review_id: randomUUID(),
      document_id: randomUUID(),
      decision: 'approve',
      reviewer: REVIEWER,
      notes: NOTES,
      decided_at: new Date().toISOString(),
      ...overrides,
    };
    reviews.set(callback.review_id, callback.document_id);
    return callback;
  }

  const post = (body: string | Buffer, headers: Record<string, string> = {}, base = url) =>
    fetch(`${base}/internal/buli2/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  /** Posts `payload` signed as BULI2 signs it (with the first secret, now, unless told otherwise). */
  const deliver = (
    payload: unknown,
    options: { secret?: string; at?: number; headers?: Record<string, string> } = {},
  ) => {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return post(body, {
      'x-buli2-signature': signBuli2Body(options.secret ?? (SECRETS[0] as string), body, options.at ?? nowSeconds()),
      ...options.headers,
    });
  };
  const problem = async (response: Response) => {
    assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    return (await response.json()) as { status: number; detail?: string; errors?: unknown[] };
  };
  const refusals = () => log.entries.filter((entry) => entry.message === 'buli2.callback_refused');
  /** Nothing the callback's sender wrote in free text, nor any signature, is in any log line. */
  const assertLogsClean = (...secrets: string[]) => {
    const text = JSON.stringify(log.entries);
    for (const secret of [NOTES, REVIEWER, ...secrets]) assert.ok(!text.includes(secret), `the logs hold ${secret}`);
  };

  describe('POST /internal/buli2/callback', () => {
    it('should take a signed decision to the review workflow, as BULI2, and answer the new status', async () => {
      const callback = forwarded();
      const response = await deliver(callback);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {
        review_id: callback.review_id,
        document_id: callback.document_id,
        status: 'approved',
      });
      assert.equal(decided.length, 1);
      const [call] = decided;
      assert.equal(call?.documentId, callback.document_id);
      assert.deepEqual(call?.decision, { decision: 'approve', reason: NOTES, reviewerId: REVIEWER, source: 'buli2' });
      assert.match(call?.requestId ?? '', /^buli2-[0-9a-f]{64}$/);
      const taken = log.entries.find((entry) => entry.message === 'buli2.callback');
      assert.equal(taken?.level, 'info');
      assert.deepEqual(
        { ...taken?.fields, correlationId: undefined },
        {
          reviewId: callback.review_id,
          documentId: callback.document_id,
          outcome: 'applied',
          correlationId: undefined,
        },
      );
      assertLogsClean();
    });

    it('should give the same callback delivered twice the same request id, and another decision another', async () => {
      const callback = forwarded();
      assert.equal((await deliver(callback)).status, 200);
      assert.equal((await deliver(callback)).status, 200);
      // A redelivery is signed anew, later: the request id depends on the decision, not the delivery.
      assert.equal((await deliver(callback, { at: nowSeconds() - 60 })).status, 200);
      outcome = async () => ({ outcome: 'applied', status: 'rejected' });
      assert.equal((await deliver({ ...callback, decision: 'reject' })).status, 200);
      assert.equal((await deliver({ ...callback, reviewer: 'buli2-reviewer-78' })).status, 200);
      assert.equal((await deliver({ ...callback, decided_at: new Date(Date.now() + 1000).toISOString() })).status, 200);
      const ids = decided.map((call) => call.requestId);
      assert.equal(ids[0], ids[1]);
      assert.equal(ids[0], ids[2]);
      assert.equal(new Set(ids.slice(2)).size, 4, 'each different decision has its own request id');
    });

    it('should record the default reason when the notes are absent or blank, and drop control characters', async () => {
      await deliver(forwarded({ notes: undefined }));
      await deliver(forwarded({ notes: ' \n\t ' }));
      await deliver(forwarded({ notes: 'ok\u0000 bagus\u0007 ' }));
      assert.deepEqual(
        decided.map((call) => call.decision.reason),
        ['Decided in BULI2', 'Decided in BULI2', 'ok bagus'],
      );
    });

    it('should take ids in any case and pass them on in lower case', async () => {
      const callback = forwarded();
      const response = await deliver({
        ...callback,
        review_id: callback.review_id.toUpperCase(),
        document_id: callback.document_id.toUpperCase(),
      });
      assert.equal(response.status, 200);
      assert.equal(decided[0]?.documentId, callback.document_id);
    });

    it('should answer 202 when the review took the decision but has not applied it yet', async () => {
      outcome = async () => ({ outcome: 'accepted' });
      const callback = forwarded();
      const response = await deliver(callback);
      assert.equal(response.status, 202);
      assert.deepEqual(await response.json(), {
        review_id: callback.review_id,
        document_id: callback.document_id,
        status: 'needs_review',
        decision: 'accepted',
      });
    });

    it('should answer 200 again to a duplicate that comes after the review ended with this same decision', async () => {
      outcome = async () => ({ outcome: 'refused', reason: 'ReviewClosed' });
      recorded = { decision: 'reject', reviewerId: REVIEWER, source: 'buli2' };
      const callback = forwarded({ decision: 'reject' });
      const response = await deliver(callback);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {
        review_id: callback.review_id,
        document_id: callback.document_id,
        status: 'rejected',
      });
      assert.equal(log.entries.find((entry) => entry.message === 'buli2.callback')?.fields?.outcome, 'duplicate');
    });

    it('should answer 409 when the review was decided otherwise, and change nothing', async () => {
      outcome = async () => ({ outcome: 'refused', reason: 'AlreadyDecided' });
      const others: (RecordedDecision | null)[] = [
        null,
        { decision: 'reject', reviewerId: REVIEWER, source: 'buli2' },
        { decision: 'approve', reviewerId: 'buli2-reviewer-78', source: 'buli2' },
        { decision: 'approve', reviewerId: REVIEWER, source: 'internal' },
      ];
      for (const other of others) {
        recorded = other;
        const response = await deliver(forwarded());
        assert.equal(response.status, 409, JSON.stringify(other));
        assert.equal((await problem(response)).status, 409);
      }
      assert.ok(refusals().every((entry) => entry.fields?.reason === 'decided_already'));
      assertLogsClean();
    });

    it('should answer 404 to a review the workflows do not have, one FiLot never forwarded, or another document', async () => {
      outcome = async () => ({ outcome: 'no_review' });
      assert.equal((await deliver(forwarded())).status, 404);
      assert.equal(decided.length, 1);

      const unknown = { ...forwarded(), review_id: randomUUID() };
      const mismatched = { ...forwarded(), document_id: randomUUID() };
      for (const callback of [unknown, mismatched]) {
        const response = await deliver(callback);
        assert.equal(response.status, 404);
        assert.equal((await problem(response)).status, 404);
      }
      assert.equal(decided.length, 1, 'no decision was sent for an unknown review or a mismatched document');
      assert.deepEqual(
        refusals().map((entry) => entry.fields?.reason),
        ['no_review', 'unknown_review', 'document_mismatch'],
      );
    });

    it('should answer 503 with Retry-After when the review service cannot be reached', async () => {
      outcome = async () => {
        throw new Error('connect ECONNREFUSED temporal');
      };
      const response = await deliver(forwarded());
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '5');
      assert.equal((await problem(response)).status, 503);
    });

    it('should accept a callback signed with the second configured secret (rotation)', async () => {
      const response = await deliver(forwarded(), { secret: SECRETS[1] as string });
      assert.equal(response.status, 200);
      assert.equal(decided.length, 1);
    });

    it('should answer 401 to an unsigned, tampered, stale or foreign-signed callback, and to a bearer token alone', async () => {
      const callback = forwarded();
      const body = JSON.stringify(callback);
      const signature = signBuli2Body(SECRETS[0] as string, body, nowSeconds());
      const attempts: [string, Promise<Response>][] = [
        ['unsigned', post(body)],
        ['tampered body', post(body.replace('approve', 'reject'), { 'x-buli2-signature': signature })],
        // One hex digit changed, to a digit it is not (a fixed replacement would be a no-op one time in 16).
        [
          'tampered signature',
          post(body, {
            'x-buli2-signature': signature.replace(/v1=(.)/, (_, digit: string) => `v1=${digit === '0' ? '1' : '0'}`),
          }),
        ],
        ['stale', deliver(callback, { at: nowSeconds() - 301 })],
        ['from the future', deliver(callback, { at: nowSeconds() + 400 })],
        ['unknown secret', deliver(callback, { secret: 'a-secret-this-process-does-not-have-000' })],
        ['malformed', post(body, { 'x-buli2-signature': 'sha256=deadbeef' })],
        ['a reviewer token only', post(body, { authorization: `Bearer ${tokens.tokenFor('reviewer-1', 'reviewer')}` })],
        [
          'an admin token and a bad signature',
          post(body, {
            authorization: `Bearer ${tokens.tokenFor('admin-1', 'admin')}`,
            'x-buli2-signature': `t=${nowSeconds()},v1=${'0'.repeat(64)}`,
          }),
        ],
      ];
      for (const [label, attempt] of attempts) {
        const response = await attempt;
        assert.equal(response.status, 401, label);
        assert.equal((await problem(response)).status, 401, label);
      }
      assert.equal(decided.length, 0, 'no decision was sent');
      assert.deepEqual(
        refusals().map((entry) => [entry.level, entry.fields?.reason]),
        [
          ['warn', 'signature_missing'],
          ['warn', 'signature_mismatch'],
          ['warn', 'signature_mismatch'],
          ['warn', 'signature_stale'],
          ['warn', 'signature_stale'],
          ['warn', 'signature_mismatch'],
          ['warn', 'signature_malformed'],
          ['warn', 'signature_missing'],
          ['warn', 'signature_mismatch'],
        ],
      );
      assertLogsClean(signature.split('v1=')[1] as string);
    });

    it('should answer 400 to an unknown field or a missing or malformed one, without echoing values', async () => {
      const secretValue = 'value-that-must-not-come-back-3171014101900001';
      const bodies: unknown[] = [
        { ...forwarded(), extra: secretValue },
        { ...forwarded(), decision: secretValue },
        { ...forwarded(), review_id: secretValue },
        { ...forwarded(), decided_at: secretValue },
        { ...forwarded(), reviewer: `${secretValue}\u0000` },
        { ...forwarded(), reviewer: '' },
        { ...forwarded(), reviewer: 'r'.repeat(129) },
        { ...forwarded(), notes: 'n'.repeat(1001) },
        { ...forwarded(), decided_at: undefined },
        [secretValue],
        secretValue,
        null,
      ];
      for (const payload of bodies) {
        const response = await deliver(JSON.stringify(payload));
        const text = await response.text();
        assert.equal(response.status, 400, text);
        assert.ok(!text.includes(secretValue), text);
      }
      assert.equal(decided.length, 0);
      assert.ok(refusals().every((entry) => entry.fields?.reason === 'invalid_body'));
      assertLogsClean(secretValue);
    });

    it('should answer 400 to a body that is not JSON, or not UTF-8, even when signed', async () => {
      for (const body of ['{"review_id": ', '', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])]) {
        const signature = signBuli2Body(SECRETS[0] as string, body, nowSeconds());
        const response = await post(body, { 'x-buli2-signature': signature });
        assert.equal(response.status, 400);
        assert.equal((await problem(response)).detail, 'The body is not valid JSON.');
      }
      assert.equal(decided.length, 0);
    });

    it('should answer 413 to a body over 16 KiB, whatever its content type', async () => {
      const callback = { ...forwarded(), notes: 'x'.repeat(17 * 1024) };
      for (const contentType of ['application/json', 'text/plain']) {
        const response = await deliver(callback, { headers: { 'content-type': contentType } });
        assert.equal(response.status, 413);
        assert.equal((await problem(response)).status, 413);
      }
      assert.equal(decided.length, 0);
    });

    it('should take a signed body whatever its content type, since the signature is over the bytes', async () => {
      const response = await deliver(forwarded(), { headers: { 'content-type': 'text/plain' } });
      assert.equal(response.status, 200);
    });
  });

  describe(`GET ${IMAGE_LINK_PATH}/:documentId`, () => {
    const settings = { publicUrl: 'https://kyc.filot.example', secret: IMAGE_SECRET, ttlSeconds: 600 };
    /** The link's path and query on this test's server. */
    const local = (link: string) => {
      const parsed = new URL(link);
      return `${url}${parsed.pathname}${parsed.search}`;
    };

    it('should serve the image for a valid link, as the reviewers get it, without a bearer token', async () => {
      const link = signImageLink(settings, stored.id, nowSeconds());
      const response = await fetch(local(link.url));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'image/jpeg');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('cross-origin-resource-policy'), 'cross-origin');
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), IMAGE);
    });

    it('should answer 403 to an expired link, a changed one, one without a signature, or a bearer token alone', async () => {
      const expired = new URL(signImageLink(settings, stored.id, nowSeconds() - 601).url);
      const valid = new URL(signImageLink(settings, stored.id, nowSeconds()).url);
      const signature = valid.searchParams.get('signature') ?? '';
      const later = new URL(valid);
      later.searchParams.set('expires', String(Number(valid.searchParams.get('expires')) + 3600));
      const otherDocument = new URL(valid);
      otherDocument.pathname = `${IMAGE_LINK_PATH}/${randomUUID()}`;
      const flipped = new URL(valid);
      flipped.searchParams.set('signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
      const repeated = new URL(valid);
      repeated.searchParams.append('signature', signature);
      const bare = `${url}${IMAGE_LINK_PATH}/${stored.id}`;
      const attempts: [string, Promise<Response>][] = [
        ['expired', fetch(local(expired.href))],
        ['later expiry', fetch(local(later.href))],
        ['another document', fetch(local(otherDocument.href))],
        ['changed signature', fetch(local(flipped.href))],
        ['repeated signature', fetch(local(repeated.href))],
        ['upper-case id', fetch(local(valid.href.replace(stored.id, stored.id.toUpperCase())))],
        ['not an id', fetch(`${url}${IMAGE_LINK_PATH}/..%2F..%2Fetc${valid.search}`)],
        ['no signature', fetch(bare)],
        [
          'reviewer token',
          fetch(bare, { headers: { authorization: `Bearer ${tokens.tokenFor('rev-1', 'reviewer')}` } }),
        ],
      ];
      for (const [label, attempt] of attempts) {
        const response = await attempt;
        assert.equal(response.status, 403, label);
        assert.equal((await problem(response)).status, 403, label);
      }
      const imageRefusals = log.entries.filter((entry) => entry.message === 'buli2.image_link_refused');
      assert.deepEqual(
        imageRefusals.map((entry) => entry.fields?.reason),
        ['expired', ...Array(8).fill('invalid')],
      );
      assert.equal(imageRefusals[0]?.fields?.documentId, stored.id);
      assertLogsClean(signature, expired.searchParams.get('signature') ?? '');
    });

    it('should answer 404 to a valid link to a document that does not exist', async () => {
      const link = signImageLink(settings, randomUUID(), nowSeconds());
      const response = await fetch(local(link.url));
      assert.equal(response.status, 404);
      assert.equal((await problem(response)).status, 404);
    });
  });

  describe('a process without BULI2', () => {
    it('should answer 404 on both routes, without BULI2 or without the review workflows', async () => {
      const callback = JSON.stringify(forwarded());
      const link = new URL(
        signImageLink({ publicUrl: 'https://x.example', secret: IMAGE_SECRET, ttlSeconds: 60 }, stored.id, nowSeconds())
          .url,
      );
      const withoutBuli2 = await serve({ reviews: decisions });
      const withoutReviews = await serve({ buli2 });
      const signature = signBuli2Body(SECRETS[0] as string, callback, nowSeconds());
      for (const base of [withoutBuli2, withoutReviews])
        assert.equal((await post(callback, { 'x-buli2-signature': signature }, base)).status, 404, base);
      assert.equal((await fetch(`${withoutBuli2}${link.pathname}${link.search}`)).status, 404);
      assert.equal(
        (await fetch(`${withoutReviews}${link.pathname}${link.search}`)).status,
        200,
        'images need no workflows',
      );
      assert.equal(decided.length, 0);
    });
  });
});
