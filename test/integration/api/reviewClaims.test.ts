import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'slonik';
import { z } from 'zod';
import { startTemporalDevServer, type TemporalDevServer } from '../../../composition/temporalDevServer.ts';
import { maskOwnerId } from '../../../server/routes/reviewRoutes.ts';
import { startApi, testTokens } from '../../support/api.ts';
import {
  completeOcr,
  createWorld,
  documentInReview,
  evaluateAndDecide,
  newDocument,
  REVIEW_EVALUATION,
  type TestRuntime,
  USER,
  type World,
  waitFor,
} from '../../support/harness.ts';

/**
 * What the reviewer console needs of the API (issue 18): claims on documents in review (a soft lock
 * with an expiry, enforced by the decision route), the reason templates, and the other documents
 * with the same NIK. Decisions go through the review workflows (the run's Temporal dev server).
 */

/** The world's claims last this long (REVIEW_CLAIM_MS); `api` overrides it with the default 5 minutes. */
const SHORT_CLAIM_MS = 1000;

type Claim = { reviewerId: string; expiresAt: string };
type Role = 'user' | 'reviewer' | 'admin';

describe('the reviewer console API: claims, reason templates, same-NIK documents', () => {
  let ownServer: TemporalDevServer | null = null;
  let world: World;
  let runtime: TestRuntime;
  const tokens = testTokens();
  /** Claims last 5 minutes (the default). */
  let api: Awaited<ReturnType<typeof startApi>>;
  /** Claims last SHORT_CLAIM_MS, from the world's configuration. */
  let shortApi: Awaited<ReturnType<typeof startApi>>;

  before(async () => {
    // Run alone, without the test run's shared server (test/support/globalSetup.ts), start one.
    if (!process.env.TEMPORAL_ADDRESS) {
      ownServer = await startTemporalDevServer();
      process.env.TEMPORAL_ADDRESS = ownServer.address;
    }
    world = await createWorld({ overrides: { REVIEW_CLAIM_MS: String(SHORT_CLAIM_MS) } });
    assert.equal(world.config.review.claimMs, SHORT_CLAIM_MS);
    runtime = await world.runtime();
    api = await startApi(world, runtime, { tokens });
    shortApi = await startApi(world, runtime, {
      tokens,
      overrides: { reviewClaimMs: world.config.review.claimMs },
    });
  });
  after(async () => {
    await shortApi?.close();
    await api?.close();
    await world?.close();
    if (ownServer) {
      delete process.env.TEMPORAL_ADDRESS;
      await ownServer.stop();
    }
  });

  const bearer = (sub: string, role: Role) => ({ authorization: `Bearer ${tokens.tokenFor(sub, role)}` });
  const call = (
    method: string,
    path: string,
    who?: { sub: string; role: Role },
    body?: unknown,
    on: { url: string } = api,
  ) =>
    fetch(`${on.url}${path}`, {
      method,
      headers: {
        ...(who ? bearer(who.sub, who.role) : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const reviewer = (n: number) => ({ sub: `reviewer-${n}`, role: 'reviewer' as const });
  const admin = { sub: 'admin-1', role: 'admin' as const };
  const claim = (id: string, who: { sub: string; role: Role }, on: { url: string } = api) =>
    call('POST', `/internal/reviews/${id}/claim`, who, undefined, on);
  const release = (id: string, who: { sub: string; role: Role }) =>
    call('DELETE', `/internal/reviews/${id}/claim`, who);
  const decide = (id: string, who: { sub: string; role: Role }, decision: 'approve' | 'reject' = 'approve') =>
    call('POST', `/internal/reviews/${id}/decision`, who, { decision, reason: 'Checked against the image.' });

  const count = z.object({ count: z.number() });
  const claimRows = (id: string) =>
    world.pool.oneFirst(sql.type(count)`SELECT count(*)::int AS count FROM review_claims WHERE document_id = ${id}`);
  const statusOf = (id: string) =>
    world.pool.oneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM documents WHERE id = ${id}`);

  /** A document in needs_review whose review workflow is started, so that it can be decided. */
  async function inReview(document = newDocument()): Promise<string> {
    const id = await documentInReview(runtime.documents, document);
    await waitFor(
      async () => world.pool.exists(sql.unsafe`SELECT 1 FROM review_workflows WHERE document_id = ${id}`),
      15_000,
      'the review started',
    );
    return id;
  }

  async function problemOf(response: Response) {
    assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    return (await response.json()) as { status: number; detail: string; claim?: Claim };
  }

  it('should keep every console route to reviewers and admins (the auth matrix)', async () => {
    const id = await inReview();
    await api.storage.put(`documents/${id}`, Buffer.from('\xff\xd8\xff synthetic image', 'latin1'));
    // staff: what the reviewer, then the admin, is answered.
    const routes: { method: string; path: string; body?: unknown; staff: [number, number] }[] = [
      { method: 'GET', path: '/internal/reviews', staff: [200, 200] },
      { method: 'GET', path: `/internal/reviews/${id}`, staff: [200, 200] },
      { method: 'GET', path: `/internal/reviews/${id}/image`, staff: [200, 200] },
      { method: 'GET', path: `/internal/reviews/${id}/same-nik`, staff: [200, 200] },
      { method: 'GET', path: '/internal/review-reasons', staff: [200, 200] },
      { method: 'GET', path: '/internal/review-counts', staff: [200, 200] },
      // The reviewer's claim is live when the admin asks.
      { method: 'POST', path: `/internal/reviews/${id}/claim`, staff: [200, 409] },
      { method: 'DELETE', path: `/internal/reviews/${id}/claim`, staff: [204, 204] },
      // An invalid body: who may decide is checked before what they send.
      { method: 'POST', path: `/internal/reviews/${id}/decision`, body: {}, staff: [400, 400] },
    ];
    for (const route of routes) {
      const label = `${route.method} ${route.path}`;
      assert.equal((await call(route.method, route.path, undefined, route.body)).status, 401, `${label} none`);
      assert.equal(
        (await call(route.method, route.path, { sub: 'user-1', role: 'user' }, route.body)).status,
        403,
        `${label} user`,
      );
      for (const [n, who] of [reviewer(1), admin].entries())
        assert.equal(
          (await call(route.method, route.path, who, route.body)).status,
          route.staff[n],
          `${label} ${who.role}`,
        );
    }
    assert.equal(await statusOf(id), 'needs_review');
  });

  it('should claim a document, renew the claim for its holder, and refuse it to another reviewer with the holder', async () => {
    const id = await inReview();
    const first = await claim(id, reviewer(1));
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('cache-control'), 'no-store');
    const taken = (await first.json()) as { claim: Claim; yours: boolean };
    assert.equal(taken.yours, true);
    assert.equal(taken.claim.reviewerId, 'reviewer-1');
    const remainingMs = Date.parse(taken.claim.expiresAt) - Date.now();
    assert.ok(remainingMs > 4 * 60_000 && remainingMs <= 5 * 60_000 + 5_000, `${remainingMs} ms left`);

    await sleep(20);
    const renewed = (await (await claim(id, reviewer(1))).json()) as { claim: Claim };
    assert.equal(renewed.claim.reviewerId, 'reviewer-1');
    assert.ok(renewed.claim.expiresAt > taken.claim.expiresAt, 'renewing moves the expiry');

    const refused = await claim(id, reviewer(2));
    assert.equal(refused.status, 409);
    const problem = await problemOf(refused);
    assert.deepEqual(problem.claim, renewed.claim);
    assert.match(problem.detail, /another reviewer/i);
    // An admin is refused a claim held by a reviewer as well (and may release it instead).
    assert.equal((await claim(id, admin)).status, 409);
    assert.equal(await claimRows(id), 1);
  });

  it('should answer 404 for an unknown document, 400 for a malformed id, and 409 for one not in review', async () => {
    assert.equal((await claim(randomUUID(), reviewer(1))).status, 404);
    assert.equal((await claim('not-a-uuid', reviewer(1))).status, 400);
    assert.equal((await release(randomUUID(), reviewer(1))).status, 404);
    const uploaded = newDocument();
    await runtime.documents.create(uploaded, USER);
    const response = await claim(uploaded.id, reviewer(1));
    assert.equal(response.status, 409);
    assert.match((await problemOf(response)).detail, /not in review/);
    assert.equal(await claimRows(uploaded.id), 0);
  });

  it('should let a claim lapse by itself, after which another reviewer takes it', async () => {
    const id = await inReview();
    assert.equal((await claim(id, reviewer(1), shortApi)).status, 200);
    assert.equal((await claim(id, reviewer(2), shortApi)).status, 409);
    await sleep(SHORT_CLAIM_MS + 200);
    const detail = (await (await call('GET', `/internal/reviews/${id}`, reviewer(2))).json()) as { claim: unknown };
    assert.equal(detail.claim, null, 'a lapsed claim is shown as none');
    const taken = await claim(id, reviewer(2), shortApi);
    assert.equal(taken.status, 200);
    assert.equal(((await taken.json()) as { claim: Claim }).claim.reviewerId, 'reviewer-2');
  });

  it('should release a claim for its holder or an admin, and refuse another reviewer', async () => {
    const id = await inReview();
    assert.equal((await release(id, reviewer(1))).status, 204, 'nothing to release');
    assert.equal((await claim(id, reviewer(1))).status, 200);
    const refused = await release(id, reviewer(2));
    assert.equal(refused.status, 409);
    assert.equal((await problemOf(refused)).claim?.reviewerId, 'reviewer-1');
    assert.equal(await claimRows(id), 1);
    assert.equal((await release(id, reviewer(1))).status, 204);
    assert.equal(await claimRows(id), 0);

    assert.equal((await claim(id, reviewer(2))).status, 200);
    assert.equal((await release(id, admin)).status, 204);
    assert.equal(await claimRows(id), 0);
    assert.equal((await claim(id, reviewer(3))).status, 200);
  });

  it('should show the live claim in the queue and the detail, both sent no-store', async () => {
    const claimed = await inReview();
    const free = await inReview();
    const taken = (await (await claim(claimed, reviewer(1))).json()) as { claim: Claim };

    const detail = await call('GET', `/internal/reviews/${claimed}`, reviewer(2));
    assert.equal(detail.headers.get('cache-control'), 'no-store');
    assert.deepEqual(((await detail.json()) as { claim: unknown }).claim, taken.claim);
    const freeDetail = (await (await call('GET', `/internal/reviews/${free}`, reviewer(2))).json()) as {
      claim: unknown;
    };
    assert.equal(freeDetail.claim, null);

    const seen: { id: string; claim: unknown }[] = [];
    let cursor: string | null = null;
    do {
      const page = await call('GET', `/internal/reviews?limit=50${cursor ? `&cursor=${cursor}` : ''}`, reviewer(2));
      assert.equal(page.headers.get('cache-control'), 'no-store');
      const body = (await page.json()) as { items: { id: string; claim: unknown }[]; nextCursor: string | null };
      seen.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen.find((item) => item.id === claimed)?.claim, taken.claim);
    assert.equal(seen.find((item) => item.id === free)?.claim, null);
  });

  it('should refuse a decision by anyone but the holder of a live claim, take the holder’s, and release the claim', async () => {
    const id = await inReview();
    assert.equal((await claim(id, reviewer(1))).status, 200);
    const refused = await decide(id, reviewer(2), 'reject');
    assert.equal(refused.status, 409);
    const problem = await problemOf(refused);
    assert.match(problem.detail, /Another reviewer holds a live claim/);
    assert.equal(problem.claim?.reviewerId, 'reviewer-1');
    assert.equal((await decide(id, admin, 'reject')).status, 409, 'an admin releases the claim first');
    assert.equal(await statusOf(id), 'needs_review');

    const decided = await decide(id, reviewer(1), 'approve');
    assert.equal(decided.status, 200);
    assert.deepEqual(await decided.json(), { id, status: 'approved' });
    assert.equal(await claimRows(id), 0, 'deciding releases the claim');
    assert.equal((await claim(id, reviewer(1))).status, 409, 'a decided document cannot be claimed');
  });

  it('should take a decision on an unclaimed document, and on one whose claim lapsed', async () => {
    const unclaimed = await inReview();
    assert.equal((await decide(unclaimed, reviewer(2))).status, 200);

    const lapsed = await inReview();
    assert.equal((await claim(lapsed, reviewer(1), shortApi)).status, 200);
    await sleep(SHORT_CLAIM_MS + 200);
    const decided = await decide(lapsed, reviewer(2), 'reject');
    assert.equal(decided.status, 200);
    assert.deepEqual(await decided.json(), { id: lapsed, status: 'rejected' });
    assert.equal(await claimRows(lapsed), 0);
  });

  it('should give a document claimed by many reviewers at once to exactly one of them', async () => {
    const id = await inReview();
    const responses = await Promise.all(Array.from({ length: 12 }, (_, n) => claim(id, reviewer(100 + n))));
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as {
      claim: Claim;
      yours?: true;
    }[];
    const winners = responses.flatMap((response, n) => (response.status === 200 ? [n] : []));
    assert.equal(winners.length, 1, responses.map((response) => response.status).join(','));
    assert.ok(responses.every((response) => response.status === 200 || response.status === 409));
    const winner = bodies[winners[0] ?? -1]?.claim.reviewerId;
    for (const body of bodies) assert.equal(body.claim.reviewerId, winner, 'every refusal names the winner');
    assert.equal(await claimRows(id), 1);
  });

  it('should filter the queue by reason code and type on the server, page it, and count each filter value over the whole queue', async () => {
    // Codes of this run only, so the counts are exact beside the other tests' documents.
    const suffix = randomUUID().replaceAll('-', '').slice(0, 8).toUpperCase();
    const [x, y] = [`FILTER_X_${suffix}`, `FILTER_Y_${suffix}`];
    const reason = (code: string) => ({ code, severity: 'review' as const, message: 'A test finding.' });
    const queued = async (type: 'KTP' | 'NPWP', codes: string[]) => {
      const document = newDocument({}, type);
      await runtime.documents.create(document, USER);
      await completeOcr(runtime.documents, document.id);
      await evaluateAndDecide(runtime.documents, document.id, { ...REVIEW_EVALUATION, reasons: codes.map(reason) });
      return document.id;
    };
    const d1 = await queued('KTP', [x]);
    // A code twice in one document counts the document once.
    const d2 = await queued('KTP', [x, x]);
    const d3 = await queued('NPWP', [x, y]);
    const d4 = await queued('KTP', [y]);
    await queued('NPWP', [y]);

    type Page = { items: { id: string; type: string }[]; nextCursor: string | null };
    const page = async (query: string) => {
      const response = await call('GET', `/internal/reviews?${query}`, reviewer(1));
      assert.equal(response.status, 200, query);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      return (await response.json()) as Page;
    };
    assert.deepEqual(
      (await page(`reason=${x}`)).items.map((item) => item.id),
      [d1, d2, d3],
      'oldest first',
    );
    assert.deepEqual(
      (await page(`reason=${x}&type=NPWP`)).items.map((item) => item.id),
      [d3],
    );
    assert.deepEqual(
      (await page(`reason=${y}&type=KTP`)).items.map((item) => item.id),
      [d4],
    );
    const first = await page(`reason=${x}&limit=2`);
    assert.deepEqual(
      first.items.map((item) => item.id),
      [d1, d2],
    );
    assert.ok(first.nextCursor);
    const second = await page(`reason=${x}&limit=2&cursor=${first.nextCursor}`);
    assert.deepEqual(
      second.items.map((item) => item.id),
      [d3],
    );
    assert.equal(second.nextCursor, null);

    type Counts = {
      total: number;
      reasons: { total: number; items: { code: string; count: number }[] };
      types: { total: number; items: { type: string; count: number }[] };
    };
    const counts = async (query: string) => {
      const response = await call('GET', `/internal/review-counts?${query}`, reviewer(1));
      assert.equal(response.status, 200, query);
      return (await response.json()) as Counts;
    };
    const ours = (answer: Counts) => answer.reasons.items.filter((row) => row.code.endsWith(suffix));
    const all = await counts('');
    const byX = await counts(`reason=${x}`);
    assert.equal(byX.total, 3);
    assert.deepEqual(byX.types, {
      total: 3,
      items: [
        { type: 'KTP', count: 2 },
        { type: 'NPWP', count: 1 },
      ],
    });
    // Reason counts do not narrow by the reason chosen: they say what choosing another would show.
    assert.deepEqual(ours(byX), [
      { code: x, count: 3 },
      { code: y, count: 3 },
    ]);
    assert.equal(byX.reasons.total, all.total, 'any reason: no type chosen');
    const byXNpwp = await counts(`reason=${x}&type=NPWP`);
    assert.equal(byXNpwp.total, 1);
    assert.deepEqual(ours(byXNpwp), [
      { code: x, count: 1 },
      { code: y, count: 2 },
    ]);
    assert.deepEqual(byXNpwp.types, byX.types);
    const npwp = all.types.items.find((row) => row.type === 'NPWP')?.count;
    assert.equal(byXNpwp.reasons.total, npwp, 'any reason: the NPWPs');
    assert.equal(all.total, all.types.total);
    assert.equal(
      all.total,
      all.types.items.reduce((sum, row) => sum + row.count, 0),
    );
    const none = await counts('reason=NO_SUCH_CODE_AT_ALL');
    assert.deepEqual([none.total, none.types], [0, { total: 0, items: [] }]);

    for (const query of ['reason=lower_case', 'type=PASSPORT', 'colour=red', `reason=${'A'.repeat(70)}`]) {
      assert.equal((await call('GET', `/internal/reviews?${query}`, reviewer(1))).status, 400, query);
      assert.equal((await call('GET', `/internal/review-counts?${query}`, reviewer(1))).status, 400, query);
    }
  });

  it('should decode the NIK for a reviewer, beside what the card prints', async () => {
    const queued = async (fields: Record<string, string>) => {
      const document = newDocument();
      await runtime.documents.create(document, USER);
      await completeOcr(runtime.documents, document.id);
      await evaluateAndDecide(runtime.documents, document.id, { ...REVIEW_EVALUATION, fields });
      return document.id;
    };
    const printed = await queued({
      nik: '3171014101900001',
      provinsi: 'DKI JAKARTA',
      tanggal_lahir: '1990-01-02',
      jenis_kelamin: 'PEREMPUAN',
    });
    const detail = (await (await call('GET', `/internal/reviews/${printed}`, reviewer(1))).json()) as {
      nik: Record<
        string,
        { name?: string | null; fromNik?: string | null; printed: string | null; agrees: boolean | null }
      >;
    };
    assert.equal(detail.nik.district?.name, 'Gambir');
    assert.deepEqual(detail.nik.province, {
      code: '31',
      name: 'Daerah Khusus Ibukota Jakarta',
      printed: 'DKI JAKARTA',
      agrees: true,
    });
    assert.deepEqual(detail.nik.birthDate, { fromNik: '1990-01-01', printed: '1990-01-02', agrees: false });
    assert.deepEqual(detail.nik.sex, { fromNik: 'PEREMPUAN', printed: 'PEREMPUAN', agrees: true });
    assert.deepEqual(detail.nik.regency?.agrees, null, 'not printed');
    const withoutNik = await queued({ nama: 'SYNTHETIC PERSON' });
    const plain = (await (await call('GET', `/internal/reviews/${withoutNik}`, reviewer(1))).json()) as {
      nik: unknown;
    };
    assert.equal(plain.nik, null);
  });

  it('should list the reason templates for approving and rejecting', async () => {
    const response = await call('GET', '/internal/review-reasons', reviewer(1));
    assert.equal(response.status, 200);
    const templates = (await response.json()) as Record<'approve' | 'reject', { code: string; text: string }[]>;
    assert.ok(templates.approve.length >= 2 && templates.reject.length >= 5);
    for (const template of [...templates.approve, ...templates.reject]) {
      assert.match(template.code, /^[A-Z][A-Z0-9_]+$/);
      assert.ok(template.text.length > 10 && template.text.length <= 1000);
    }
    assert.ok(templates.reject.some((template) => template.code === 'SUSPECTED_TAMPERING'));
    // A template is a decision's free-text reason as it is.
    const id = await inReview();
    const decided = await call('POST', `/internal/reviews/${id}/decision`, reviewer(1), {
      decision: 'reject',
      reason: templates.reject[0]?.text,
    });
    assert.equal(decided.status, 200);
  });

  it('should list the other documents with the same NIK by its keyed hash, owners masked, no NIK', async () => {
    const nik = `3171${String(randomInt(1e11, 1e12))}`;
    const otherNik = `3172${String(randomInt(1e11, 1e12))}`;
    const withNik = async (ownerId: string, value: string) => {
      const document = newDocument({ ownerId });
      await runtime.documents.create(document, { type: 'user', id: ownerId });
      await completeOcr(runtime.documents, document.id);
      await evaluateAndDecide(runtime.documents, document.id, {
        ...REVIEW_EVALUATION,
        fields: { nik: value, nama: 'SYNTHETIC PERSON' },
      });
      return document.id;
    };
    const older = await withNik('owner-alpha-0001', nik);
    const mine = await withNik('owner-bravo-0002', nik);
    const different = await withNik('owner-charlie-0003', otherNik);
    const noNik = newDocument({ ownerId: 'owner-delta-0004' });
    await runtime.documents.create(noNik, USER);

    // The store wrote the keyed hash, the same one for the two.
    const hashOf = (id: string) =>
      world.pool.oneFirst(sql.type(z.object({ hash: z.instanceof(Buffer).nullable() }))`
        SELECT nik_hash AS hash FROM documents WHERE id = ${id}`);
    assert.deepEqual(await hashOf(mine), runtime.adapters.cipher.hashNik(nik));
    assert.deepEqual(await hashOf(older), await hashOf(mine));

    const response = await call('GET', `/internal/reviews/${mine}/same-nik`, reviewer(1));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const text = await response.text();
    const body = JSON.parse(text) as {
      items: { id: string; status: string; type: string; createdAt: string; owner: string }[];
    };
    assert.deepEqual(
      body.items.map((item) => item.id),
      [older],
    );
    assert.deepEqual(body.items[0], {
      id: older,
      status: 'needs_review',
      type: 'KTP',
      createdAt: body.items[0]?.createdAt,
      owner: maskOwnerId('owner-alpha-0001'),
    });
    assert.equal(body.items[0]?.owner, 'ow************01');
    for (const plain of [nik, otherNik, 'owner-alpha-0001', 'owner-bravo-0002', different])
      assert.ok(!text.includes(plain), 'no NIK, plain owner id or unrelated document in the response');

    const differentList = (await (await call('GET', `/internal/reviews/${different}/same-nik`, admin)).json()) as {
      items: unknown[];
    };
    assert.deepEqual(differentList.items, []);
    const noNikList = (await (await call('GET', `/internal/reviews/${noNik.id}/same-nik`, admin)).json()) as {
      items: unknown[];
    };
    assert.deepEqual(noNikList.items, []);
    assert.equal((await call('GET', `/internal/reviews/${randomUUID()}/same-nik`, reviewer(1))).status, 404);
  });

  it('should mask owner ids, hiding short ones entirely', () => {
    assert.equal(maskOwnerId('user-123456'), 'us*******56');
    assert.equal(maskOwnerId('abc'), '****');
    assert.equal(maskOwnerId('abcdef'), '******');
    assert.equal(maskOwnerId('abcdefg'), 'ab***fg');
  });
});
