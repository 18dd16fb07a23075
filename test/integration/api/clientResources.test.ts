import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { sql } from 'slonik';
import { z } from 'zod';
import { startApi, testTokens } from '../../support/api.ts';
import {
  completeOcr,
  createWorld,
  evaluateAndDecide,
  newDocument,
  REVIEW_EVALUATION,
  SYSTEM,
  type TestRuntime,
  type World,
} from '../../support/harness.ts';
import { CLEAN_EVALUATION } from '../../support/scriptedEngine.ts';

/**
 * The client API's resource model (issue 19): a client's reference and metadata on uploads,
 * applicants that group one person's cards with one verdict and the checks across them, list
 * filters, and the reviewer's message for the applicant. Over the whole API as main.ts serves it,
 * without review workflows (decisions go to the document directly), so no Temporal is needed.
 */

type Role = 'user' | 'reviewer' | 'admin';
type Document = {
  id: string;
  status: string;
  verdict: string;
  applicantId: string | null;
  externalRef: string | null;
  metadata: Record<string, string>;
  clientMessage: string | null;
  fields: Record<string, string | null> | null;
};
type Applicant = {
  id: string;
  verdict: string;
  crossCheck: string | null;
  externalRef: string | null;
  metadata: Record<string, string>;
  documents: Document[];
  checks: { check: string; outcome: string; reason: { code: string; severity: string } }[];
};

/** NIKs of made-up people (valid region and date codes); none is anyone's. */
const NIK_A = '3171014101900001';
const NIK_B = '3273055208850007';

describe('the client API: references, metadata, applicants, list filters, client messages', () => {
  let world: World;
  let runtime: TestRuntime;
  let api: Awaited<ReturnType<typeof startApi>>;
  const tokens = testTokens();
  let image: Buffer;

  before(async () => {
    world = await createWorld({ reviews: false });
    runtime = await world.runtime();
    api = await startApi(world, runtime, { tokens });
    image = await sharp({ create: { width: 640, height: 400, channels: 3, background: '#9cc9e8' } })
      .jpeg()
      .toBuffer();
  });
  after(async () => {
    await api?.close();
    await world?.close();
  });

  const bearer = (sub: string, role: Role = 'user') => ({ authorization: `Bearer ${tokens.tokenFor(sub, role)}` });
  const get = (path: string, sub: string, role: Role = 'user') =>
    fetch(`${api.url}${path}`, { headers: bearer(sub, role) });
  const getJson = async <T>(path: string, sub: string, role: Role = 'user'): Promise<T> => {
    const response = await get(path, sub, role);
    assert.equal(response.status, 200, `${path}: ${response.status}`);
    return (await response.json()) as T;
  };
  const post = (path: string, sub: string, body: unknown, role: Role = 'user') =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { ...bearer(sub, role), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const upload = (sub: string, fields: Record<string, string>, headers: Record<string, string> = {}) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([image], { type: 'image/jpeg' }), 'card.jpg');
    return fetch(`${api.url}/documents/upload`, {
      method: 'POST',
      headers: { ...bearer(sub), ...headers },
      body: form,
    });
  };
  const uploaded = async (sub: string, fields: Record<string, string>) => {
    const response = await upload(sub, fields);
    assert.equal(response.status, 202, await response.clone().text());
    return (await response.json()) as { id: string } & Omit<Document, 'id'>;
  };
  const problemCode = async (response: Response) => ((await response.json()) as { code?: string }).code;
  const createApplicant = async (sub: string, body: unknown = {}) => {
    const response = await post('/applicants', sub, body);
    assert.equal(response.status, 201, await response.clone().text());
    assert.match(response.headers.get('location') ?? '', /^\/applicants\/[0-9a-f-]{36}$/);
    return (await response.json()) as Applicant;
  };
  /** The document read and evaluated with these fields: approved automatically, or in review. */
  const evaluated = async (id: string, fields: Record<string, string>, inReview = false) => {
    await completeOcr(runtime.documents, id);
    await evaluateAndDecide(runtime.documents, id, { ...(inReview ? REVIEW_EVALUATION : CLEAN_EVALUATION), fields });
  };

  it('should keep the reference and metadata of an upload, and show them in the answer, the detail, the list and the verdict', async () => {
    const owner = `owner-ref-${randomUUID().slice(0, 8)}`;
    const body = await uploaded(owner, {
      type: 'KTP',
      externalRef: 'borrower-1042',
      metadata: JSON.stringify({ loanId: 'L-1042', channel: 'android' }),
    });
    assert.equal(body.externalRef, 'borrower-1042');
    assert.deepEqual(body.metadata, { loanId: 'L-1042', channel: 'android' });
    assert.equal(body.applicantId, null);

    const detail = await getJson<Document>(`/documents/${body.id}`, owner);
    assert.equal(detail.externalRef, 'borrower-1042');
    assert.deepEqual(detail.metadata, { loanId: 'L-1042', channel: 'android' });
    assert.equal(detail.verdict, 'pending');
    const verdict = await getJson<{ externalRef: string; verdict: string; clientMessage: null }>(
      `/verification/${body.id}`,
      owner,
    );
    assert.equal(verdict.externalRef, 'borrower-1042');
    assert.equal(verdict.clientMessage, null);

    // A list item is the document as the detail shows it, fields included (masked for the owner).
    await evaluated(body.id, { nik: NIK_A, nama: 'SITI RAHAYU' });
    const list = await getJson<{ items: Document[] }>('/documents', owner);
    assert.deepEqual(list.items, [await getJson<Document>(`/documents/${body.id}`, owner)]);
    assert.equal(list.items[0]?.fields?.nik, '************0001');

    // Without any: null and {}.
    const plain = await uploaded(owner, { type: 'NPWP' });
    assert.deepEqual([plain.externalRef, plain.metadata, plain.applicantId], [null, {}, null]);
  });

  it('should refuse a malformed reference, metadata or applicant with a clear 400, storing nothing', async () => {
    const owner = `owner-bad-${randomUUID().slice(0, 8)}`;
    const others = await createApplicant('someone-else');
    const cases: [string, Record<string, string>, RegExp][] = [
      ['a reference with a space', { externalRef: 'two words' }, /externalRef/],
      ['a reference too long', { externalRef: 'x'.repeat(129) }, /externalRef/],
      ['a reference that is a NIK', { externalRef: NIK_A }, /identity number/],
      ['metadata that is not JSON', { metadata: '{loanId:' }, /JSON object/],
      ['metadata that is an array', { metadata: '["a"]' }, /metadata/],
      ['metadata with a number value', { metadata: '{"amount":5}' }, /metadata/],
      ['metadata holding an NPWP', { metadata: '{"tax":"09.254.294.3-407.000"}' }, /identity number/],
      [
        'metadata with too many keys',
        { metadata: JSON.stringify(Object.fromEntries(Array.from({ length: 21 }, (_, n) => [`k${n}`, 'v']))) },
        /20 keys/,
      ],
      ['metadata with a bad key', { metadata: '{"a b":"v"}' }, /keys/],
      [
        'a field longer than the longest metadata',
        { metadata: JSON.stringify({ note: 'x'.repeat(30_000) }) },
        /longer than 24922 bytes/,
      ],
      ['a metadata value over 100 characters', { metadata: JSON.stringify({ note: 'x'.repeat(101) }) }, /metadata/],
      ['a malformed applicant', { applicantId: 'not-a-uuid' }, /applicantId/],

      ['an unknown field', { colour: 'red' }, /Unexpected form field/],
    ];
    // An applicant that does not exist, or is someone else's: 422 unknown_applicant, the same for both.
    for (const applicantId of [randomUUID(), others.id]) {
      const response = await upload(owner, { type: 'KTP', applicantId });
      assert.equal(response.status, 422);
      assert.equal(await problemCode(response), 'unknown_applicant');
    }
    for (const [label, fields, detail] of cases) {
      const response = await upload(owner, { type: 'KTP', ...fields });
      assert.equal(response.status, 400, label);
      const problem = (await response.json()) as { detail: string };
      assert.match(problem.detail, detail, label);
    }
    const stored = await world.pool.oneFirst(
      sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM documents WHERE owner_id = ${owner}`,
    );
    assert.equal(stored, 0);
  });

  it('should bind an Idempotency-Key to the reference and metadata as well as the file', async () => {
    const owner = `owner-idem-${randomUUID().slice(0, 8)}`;
    const key = randomUUID();
    const fields = { type: 'KTP', externalRef: 'borrower-7', metadata: '{"a":"1","b":"2"}' };
    const first = await upload(owner, fields, { 'idempotency-key': key });
    assert.equal(first.status, 202);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    // The same request, its metadata's keys in another order: the first answer again.
    const replay = await upload(owner, { ...fields, metadata: '{"b":"2","a":"1"}' }, { 'idempotency-key': key });
    assert.equal(replay.status, 202);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(((await replay.json()) as { id: string }).id, ((await first.json()) as { id: string }).id);
    const other = await upload(owner, { ...fields, externalRef: 'borrower-8' }, { 'idempotency-key': key });
    assert.equal(other.status, 422);
    assert.equal(await problemCode(other), 'idempotency_key_reused');
  });

  it('should make creating an applicant safe to retry with an Idempotency-Key, bound to its body and its route', async () => {
    const owner = `owner-idem-app-${randomUUID().slice(0, 8)}`;
    const key = randomUUID();
    const create = (body: unknown, idempotencyKey: string = key) =>
      fetch(`${api.url}/applicants`, {
        method: 'POST',
        headers: { ...bearer(owner), 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(body),
      });
    const first = await create({ externalRef: 'borrower-11', metadata: { a: '1', b: '2' } });
    assert.equal(first.status, 201);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const created = (await first.json()) as Applicant;
    // The same request, its metadata's keys in another order: the first answer, and no second applicant.
    const replay = await create({ metadata: { b: '2', a: '1' }, externalRef: 'borrower-11' });
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(replay.headers.get('location'), `/applicants/${created.id}`);
    assert.deepEqual(await replay.json(), created);
    const listed = await getJson<{ items: unknown[] }>('/applicants?externalRef=borrower-11', owner);
    assert.equal(listed.items.length, 1);
    const other = await create({ externalRef: 'borrower-12' });
    assert.equal(other.status, 422);
    assert.equal(await problemCode(other), 'idempotency_key_reused');
    // A key an upload used names that upload: it cannot create an applicant.
    const uploadKey = randomUUID();
    assert.equal((await upload(owner, { type: 'KTP' }, { 'idempotency-key': uploadKey })).status, 202);
    assert.equal((await create({}, uploadKey)).status, 422);
    assert.equal((await create({}, 'not a key!')).status, 400);
  });

  it('should filter the list by status, type, reference, applicant and upload time, and refuse bad filters', async () => {
    const owner = `owner-list-${randomUUID().slice(0, 8)}`;
    const applicant = await createApplicant(owner);
    const a = await uploaded(owner, { type: 'KTP', externalRef: 'ref-a', applicantId: applicant.id });
    const b = await uploaded(owner, { type: 'NPWP', externalRef: 'ref-a', applicantId: applicant.id });
    const c = await uploaded(owner, { type: 'KTP', externalRef: 'ref-c' });
    await evaluated(a.id, { nik: NIK_A, nama: 'SITI RAHAYU' });
    await evaluated(c.id, { nik: NIK_B, nama: 'BUDI SANTOSO' }, true);
    // Someone else's document with the same reference never shows.
    await uploaded('another-owner', { type: 'KTP', externalRef: 'ref-a' });

    const ids = async (query: string) =>
      (await getJson<{ items: { id: string }[] }>(`/documents?${query}`, owner)).items.map((item) => item.id);
    assert.deepEqual(await ids(''), [c.id, b.id, a.id], 'newest first');
    assert.deepEqual(await ids('status=auto_approve'), [a.id]);
    assert.deepEqual(await ids('status=auto_approve&status=needs_review'), [c.id, a.id]);
    assert.deepEqual(await ids('status=uploaded'), [b.id]);
    assert.deepEqual(await ids('type=KTP'), [c.id, a.id]);
    assert.deepEqual(await ids('externalRef=ref-a'), [b.id, a.id]);
    assert.deepEqual(await ids(`applicantId=${applicant.id.toUpperCase()}`), [b.id, a.id]);
    assert.deepEqual(await ids('externalRef=ref-a&type=NPWP'), [b.id]);
    const bAt = (await getJson<{ createdAt: string }>(`/documents/${b.id}`, owner)).createdAt;
    assert.deepEqual(await ids(`createdFrom=${bAt}`), [c.id, b.id], 'from is inclusive');
    assert.deepEqual(await ids(`createdTo=${bAt}`), [a.id], 'to is exclusive');
    assert.deepEqual(await ids('createdFrom=2000-01-01T00:00:00%2B07:00&createdTo=2000-01-02T00:00:00Z'), []);
    // Offsets ISO 8601 allows and Postgres does not (beyond ±15:59), and a year long past: answered, not a 500.
    assert.deepEqual(await ids('createdFrom=0104-05-17T13:24:18.279688-18:21'), [c.id, b.id, a.id]);
    assert.deepEqual(await ids('createdTo=2000-01-01T00:00:00%2B23:59'), []);
    // Paged through a filter.
    const page = await getJson<{ items: { id: string }[]; nextCursor: string }>('/documents?type=KTP&limit=1', owner);
    assert.deepEqual(
      page.items.map((item) => item.id),
      [c.id],
    );
    assert.deepEqual(await ids(`type=KTP&limit=1&cursor=${page.nextCursor}`), [a.id]);

    for (const query of [
      'status=approvedish',
      'status=auto_approve,needs_review',
      'status=',
      'type=PASSPORT',
      'createdFrom=yesterday',
      'applicantId=1',
      'colour=red',
    ]) {
      const response = await get(`/documents?${query}`, owner);
      assert.equal(response.status, 400, query);
      assert.equal(await problemCode(response), 'validation_failed', query);
    }
  });

  it('should give an applicant its documents, one verdict, and the checks across its cards', async () => {
    const owner = `owner-app-${randomUUID().slice(0, 8)}`;
    const created = await createApplicant(owner, { externalRef: 'borrower-9', metadata: { branch: 'JKT' } });
    assert.deepEqual(
      [created.verdict, created.crossCheck, created.externalRef, created.metadata, created.documents, created.checks],
      ['pending', null, 'borrower-9', { branch: 'JKT' }, [], []],
    );
    // Every form field at once: type, applicant, reference and metadata beside the file.
    const ktp = await uploaded(owner, {
      type: 'KTP',
      applicantId: created.id,
      externalRef: 'borrower-9',
      metadata: '{"side":"front"}',
    });
    const npwp = await uploaded(owner, { type: 'NPWP', applicantId: created.id });
    const read = () => getJson<Applicant>(`/applicants/${created.id}`, owner);
    let applicant = await read();
    assert.deepEqual(
      applicant.documents.map((document) => document.id),
      [ktp.id, npwp.id],
    );
    assert.equal(applicant.verdict, 'pending');

    await evaluated(ktp.id, { nik: NIK_A, nama: 'MUHAMMAD RIZKY PRATAMA' });
    await evaluated(npwp.id, { npwp: '09.254.294.3-407.000', nik: NIK_A, nama: 'M. RIZKY PRATAMA' });
    applicant = await read();
    assert.equal(applicant.verdict, 'approved');
    assert.equal(applicant.crossCheck, 'match');
    assert.deepEqual(
      applicant.checks.map((check) => [check.check, check.outcome, check.reason.code]),
      [
        ['nik', 'match', 'CROSS_NIK_MATCH'],
        ['name', 'match', 'CROSS_NAME_MATCH'],
      ],
    );
    // Its documents as the owner sees them: identifiers masked.
    assert.equal(applicant.documents[0]?.fields?.nik, '************0001');

    // Listed by the client's reference; someone else's applicant is a 404, as an unknown one.
    const listed = await getJson<{ items: { id: string }[] }>('/applicants?externalRef=borrower-9', owner);
    assert.deepEqual(
      listed.items.map((item) => item.id),
      [created.id],
    );
    assert.equal((await get(`/applicants/${created.id}`, 'another-owner')).status, 404);
    assert.equal((await get(`/applicants/${randomUUID()}`, owner)).status, 404);
    assert.equal((await get(`/applicants/${created.id}`, 'reviewer-1', 'reviewer')).status, 200);
  });

  it('should reject an applicant whose cards surely name different people, and never on a card read unsurely', async () => {
    const owner = `owner-cross-${randomUUID().slice(0, 8)}`;
    const pair = async (ktpFields: Record<string, string>, npwpFields: Record<string, string>) => {
      const applicant = await createApplicant(owner);
      const ktp = await uploaded(owner, { type: 'KTP', applicantId: applicant.id });
      const npwp = await uploaded(owner, { type: 'NPWP', applicantId: applicant.id });
      await evaluated(ktp.id, ktpFields);
      await evaluated(npwp.id, npwpFields);
      return getJson<Applicant>(`/applicants/${applicant.id}`, owner);
    };
    const different = await pair({ nik: NIK_A, nama: 'SITI RAHAYU' }, { nik: NIK_B, nama: 'BUDI SANTOSO' });
    assert.equal(different.verdict, 'rejected');
    assert.equal(different.crossCheck, 'mismatch');
    assert.ok(different.checks.some((check) => check.reason.code === 'CROSS_NIK_MISMATCH'));
    // The same NIK under another name (a married name, say): not rejected; the check says so.
    const renamed = await pair({ nik: NIK_A, nama: 'SITI RAHAYU' }, { nik: NIK_A, nama: 'DEWI KARTIKA' });
    assert.equal(renamed.verdict, 'approved');
    assert.equal(renamed.crossCheck, 'mismatch');
    assert.deepEqual(
      renamed.checks.map((check) => [check.check, check.outcome]),
      [
        ['nik', 'match'],
        ['name', 'mismatch'],
      ],
    );
    // No NIK on the NPWP card and a name that was not read: unsure, so the documents' verdict stands.
    const unsure = await pair({ nik: NIK_A, nama: 'SITI RAHAYU' }, { npwp: '09.254.294.3-407.000' });
    assert.equal(unsure.verdict, 'approved');
    assert.equal(unsure.crossCheck, 'unsure');
    assert.ok(unsure.checks.every((check) => check.outcome !== 'mismatch'));
    assert.ok(unsure.checks.some((check) => check.outcome === 'unsure'));
  });

  it("should combine the documents' verdicts: rejected before in review before pending", async () => {
    const owner = `owner-mix-${randomUUID().slice(0, 8)}`;
    const applicant = await createApplicant(owner);
    const first = await uploaded(owner, { type: 'KTP', applicantId: applicant.id });
    await evaluated(first.id, { nik: NIK_A, nama: 'SITI RAHAYU' });
    const verdict = async () => (await getJson<Applicant>(`/applicants/${applicant.id}`, owner)).verdict;
    assert.equal(await verdict(), 'approved');
    const second = await uploaded(owner, { type: 'NPWP', applicantId: applicant.id });
    assert.equal(await verdict(), 'pending');
    await evaluated(second.id, { nik: NIK_A, nama: 'SITI RAHAYU' }, true);
    assert.equal(await verdict(), 'in_review');
    await runtime.documents.send(
      second.id,
      {
        type: 'REVIEW_DECIDED',
        decision: 'reject',
        reason: 'Internal: glare hides the number.',
        reviewerId: 'r-1',
        source: 'internal',
      },
      SYSTEM,
    );
    assert.equal(await verdict(), 'rejected');
  });

  it('should refuse bad applicant bodies and keep applicants to their owners (the auth matrix)', async () => {
    const owner = `owner-auth-${randomUUID().slice(0, 8)}`;
    const applicant = await createApplicant(owner);
    for (const body of [{ externalRef: 'a b' }, { metadata: { n: NIK_A } }, { colour: 'red' }, { metadata: 'x' }, []]) {
      const response = await post('/applicants', owner, body);
      assert.equal(response.status, 400, JSON.stringify(body));
    }
    for (const path of ['/applicants', `/applicants/${applicant.id}`])
      assert.equal((await fetch(`${api.url}${path}`)).status, 401, path);
    assert.equal((await fetch(`${api.url}/applicants`, { method: 'POST' })).status, 401);
    assert.equal((await get('/applicants/not-a-uuid', owner)).status, 400);
    // An owner lists only their own.
    const theirs = await getJson<{ items: unknown[] }>('/applicants', 'nobody-else');
    assert.deepEqual(theirs.items, []);
    for (const role of ['reviewer', 'admin'] as const)
      assert.equal((await get(`/applicants/${applicant.id}`, `${role}-1`, role)).status, 200, role);
  });

  it("should give the client the reviewer's message, and keep the internal note from it", async () => {
    const owner = `owner-msg-${randomUUID().slice(0, 8)}`;
    const document = newDocument({ ownerId: owner });
    await runtime.documents.create(document, { type: 'user', id: owner });
    await evaluated(document.id, { nik: NIK_A, nama: 'SITI RAHAYU' }, true);
    const decided = await post(
      `/internal/reviews/${document.id}/decision`,
      'reviewer-1',
      {
        decision: 'reject',
        reason: 'Internal: the photo looks pasted over.',
        clientMessage: 'The photo on the card cannot be verified. Please upload a new picture of the card.',
      },
      'reviewer',
    );
    assert.equal(decided.status, 200, await decided.clone().text());
    const verdict = await getJson<{ verdict: string; clientMessage: string }>(`/verification/${document.id}`, owner);
    assert.equal(verdict.verdict, 'rejected');
    assert.match(verdict.clientMessage, /upload a new picture/);
    const seenByOwner = JSON.stringify([
      verdict,
      await getJson(`/documents/${document.id}`, owner),
      await getJson(`/documents/${document.id}/history`, owner),
    ]);
    assert.doesNotMatch(seenByOwner, /pasted over/, 'the internal note stays internal');
    const audit = JSON.stringify(await getJson(`/documents/${document.id}/history`, 'reviewer-1', 'reviewer'));
    assert.match(audit, /pasted over/);

    const tooLong = await post(
      `/internal/reviews/${randomUUID()}/decision`,
      'reviewer-1',
      { decision: 'approve', reason: 'ok', clientMessage: 'x'.repeat(501) },
      'reviewer',
    );
    assert.equal(tooLong.status, 400);
  });
});
