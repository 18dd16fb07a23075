import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import type { ComposedRuntime } from '../../../composition/runtime.ts';
import { createDocumentMachine, DOCUMENT_STATUSES } from '../../../machines/document.machine.ts';
import {
  documentPathResponse,
  LIVE_READING_TTL_MS,
  liveResponse,
  machineResponse,
  stateDocumentsResponse,
} from '../../../server/routes/inspectorRoutes.ts';
import { startApi } from '../../support/api.ts';
import {
  createWorld,
  documentInReview,
  evaluateAndDecide,
  newDocument,
  SYSTEM,
  USER,
  type World,
  waitFor,
} from '../../support/harness.ts';
import { CLEAN_EVALUATION } from '../../support/scriptedEngine.ts';

/** Made up, and planted in a document's OCR text and fields: no answer of the map may carry them. */
const NIK = '3174055203880007';
const NAME = 'DEWI KARTIKA PUSPITASARI';

/** Every transition the machine declares, read from its config (not through xstate/graph, as the drawing is). */
function declaredTransitions(): string[] {
  const machine = createDocumentMachine();
  const found = new Set<string>([`${machine.config.initial}`].map((initial) => `initial.DOCUMENT_UPLOADED.${initial}`));
  for (const [from, state] of Object.entries(machine.config.states ?? {}))
    for (const [event, transitions] of Object.entries(state.on ?? {}))
      for (const transition of [transitions].flat())
        found.add(`${from}.${event}.${(transition as { target: string }).target}`);
  return [...found].map((key) => `transition.${key}`);
}

describe('the machine map routes', () => {
  let world: World;
  let runtime: ComposedRuntime;
  let api: Awaited<ReturnType<typeof startApi>>;
  let reviewer: string;
  const ids = {
    uploaded: newDocument({ ownerId: 'owner-map-1' }).id,
    retried: '',
    approvedAutomatically: '',
    approvedByReviewer: '',
    inReview: [] as string[],
    backdated: '',
  };

  const get = (path: string, token?: string) =>
    fetch(`${api.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const getJson = async (path: string) => {
    const response = await get(path, reviewer);
    assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
    return response.json() as Promise<unknown>;
  };
  /** The live counts once they differ from the reading the routes may still hold. */
  const freshLive = async () => {
    await new Promise((resolve) => setTimeout(resolve, LIVE_READING_TTL_MS + 50));
    return liveResponse.parse(await getJson('/internal/inspector/live'));
  };

  before(async () => {
    world = await createWorld({ reviews: false });
    runtime = await world.runtime(undefined, { start: false });
    api = await startApi(world, runtime);
    reviewer = api.tokenFor('reviewer-map', 'reviewer');
    const { documents } = runtime;

    await documents.create(newDocument({ id: ids.uploaded, ownerId: 'owner-map-1' }), USER);

    // Read with PII in its OCR text and fields, and approved.
    const withPii = newDocument({ ownerId: 'owner-map-2' });
    ids.approvedAutomatically = withPii.id;
    await documents.create(withPii, USER);
    const leaseToken = randomUUID();
    await documents.send(
      withPii.id,
      { type: 'PROCESSING_STARTED', workerId: 'w', attempt: 1, leaseToken, device: 'cpu' },
      SYSTEM,
    );
    await documents.send(
      withPii.id,
      {
        type: 'OCR_COMPLETED',
        leaseToken,
        result: { text: `NIK ${NIK}\nNama ${NAME}`, lines: [{ text: `NIK ${NIK}`, confidence: 0.99 }] },
        gpuProcessed: false,
        durationMs: 3,
      },
      SYSTEM,
    );
    await evaluateAndDecide(documents, withPii.id, { ...CLEAN_EVALUATION, fields: { nik: NIK, nama: NAME } });

    // Failed once, retried: uploaded → processing → uploaded → processing.
    const retried = newDocument({ ownerId: 'owner-map-3' });
    ids.retried = retried.id;
    await documents.create(retried, USER);
    const first = randomUUID();
    await documents.send(
      retried.id,
      { type: 'PROCESSING_STARTED', workerId: 'w', attempt: 1, leaseToken: first, device: 'cpu' },
      SYSTEM,
    );
    await documents.send(
      retried.id,
      { type: 'OCR_FAILED', leaseToken: first, error: { code: 'ocr_timeout', message: 'timed out' } },
      SYSTEM,
    );
    await documents.send(
      retried.id,
      { type: 'PROCESSING_STARTED', workerId: 'w', attempt: 2, leaseToken: randomUUID(), device: 'cpu' },
      SYSTEM,
    );

    // Into review, then approved by a reviewer.
    ids.approvedByReviewer = await documentInReview(documents, newDocument({ ownerId: 'owner-map-4' }));
    await documents.send(
      ids.approvedByReviewer,
      { type: 'REVIEW_DECIDED', decision: 'approve', reason: 'ok', reviewerId: 'reviewer-map', source: 'internal' },
      { type: 'reviewer', id: 'reviewer-map' },
    );

    // Three waiting for review, in this order.
    for (let index = 0; index < 3; index++)
      ids.inReview.push(await documentInReview(documents, newDocument({ ownerId: `owner-map-review-${index}` })));

    // One whose log holds an event from two hours ago and one the machine does not draw (planted).
    const backdated = newDocument({ ownerId: 'owner-map-5' });
    ids.backdated = backdated.id;
    await documents.create(backdated, USER);
    await world.pool.query(sql.unsafe`
      INSERT INTO document_events (document_id, seq, event_type, from_status, to_status, actor_type, actor_id,
                                   correlation_id, machine_version, payload, at)
      VALUES (${backdated.id}, 2, 'DECIDE', 'ai_evaluated', 'auto_reject', 'system', 'test', 'test', 1, '{}',
              now() - interval '2 hours'),
             (${backdated.id}, 3, 'TELEPORTED', 'uploaded', 'approved', 'system', 'test', 'test', 1, '{}', now())`);
  });
  after(async () => {
    await api?.close();
    await world?.close();
  });

  const dataRoutes = () => [
    '/internal/inspector/machine',
    '/internal/inspector/live',
    '/internal/inspector/states/needs_review/documents',
    `/internal/inspector/documents/${ids.retried}/path`,
  ];

  it('should answer its data to reviewers and admins only: 401 without a token, 403 for a user', async () => {
    for (const path of dataRoutes()) {
      const anonymous = await get(path);
      assert.equal(anonymous.status, 401, path);
      assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
      assert.equal((await get(path, api.tokenFor('owner-map-1', 'user'))).status, 403, path);
      assert.equal((await get(path, reviewer)).status, 200, path);
      const admin = await get(path, api.tokenFor('admin-map', 'admin'));
      assert.equal(admin.status, 200, path);
      assert.equal(admin.headers.get('cache-control'), 'no-store', path);
    }
  });

  it('should serve the page and its files to anyone, under the CSP, with no inline script or style', async () => {
    const page = await get('/inspector');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    const scriptSources = /(?:^|;)\s*script-src ([^;]*)/.exec(csp)?.[1] ?? '';
    assert.match(scriptSources, /'self'/, csp);
    assert.doesNotMatch(scriptSources, /unsafe-inline|unsafe-eval/, csp);
    assert.match(csp, /script-src-attr 'none'/, csp);
    const html = await page.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.ok(scripts.length > 0);
    for (const [, attributes, body] of scripts) {
      assert.match(attributes ?? '', /\bsrc="\/inspector\/inspector\.js"/);
      assert.equal(body?.trim(), '', 'no inline script');
    }
    assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=|javascript:/i, 'no inline style or handler');
    assert.match(html, /<link rel="stylesheet" href="\/inspector\/inspector\.css">/);

    const script = await get('/inspector/inspector.js');
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.ok(!/innerHTML|outerHTML|insertAdjacentHTML|eval\(|new Function/.test(await script.text()));
    const style = await get('/inspector/inspector.css');
    assert.equal(style.status, 200);
    assert.match(style.headers.get('content-type') ?? '', /^text\/css/);
  });

  it('should draw every state and every transition of the machine, with addressable ids', async () => {
    const drawing = machineResponse.parse(await getJson('/internal/inspector/machine'));
    assert.deepEqual(drawing.states.map((state) => state.status).sort(), [...DOCUMENT_STATUSES].sort());
    assert.match(drawing.svg, /^<svg[\s>]/);
    for (const status of DOCUMENT_STATUSES) {
      assert.ok(drawing.svg.includes(`id="state.${status}"`), status);
      assert.ok(drawing.svg.includes(`>${status}</text>`), status);
    }
    const declared = declaredTransitions();
    assert.deepEqual(drawing.transitions.map((transition) => transition.id).sort(), declared.sort());
    for (const id of declared) assert.ok(drawing.svg.includes(`id="${id}"`), id);
    assert.equal((drawing.svg.match(/class="edge/g) ?? []).length, declared.length, 'one edge per transition');
    assert.deepEqual(
      drawing.states.filter((state) => state.final).map((state) => state.status),
      ['auto_approve', 'auto_reject', 'approved', 'rejected'],
    );
    assert.equal(drawing.states.find((state) => state.initial)?.status, 'uploaded');
  });

  it('should count the documents in each state now and the transitions taken in the last hour', async () => {
    const live = await freshLive();
    assert.equal(live.windowSeconds, 3600);
    assert.equal(live.complete, true);
    assert.deepEqual(live.states, {
      uploaded: 2,
      processing: 1,
      ocr_completed: 0,
      ai_evaluated: 0,
      auto_approve: 1,
      auto_reject: 0,
      needs_review: 3,
      approved: 1,
      rejected: 0,
    });
    const count = (id: string) => live.transitions.find((transition) => transition.id === id)?.count;
    assert.equal(count('transition.initial.DOCUMENT_UPLOADED.uploaded'), 8);
    assert.equal(count('transition.uploaded.PROCESSING_STARTED.processing'), 7);
    assert.equal(count('transition.processing.OCR_FAILED.uploaded'), 1);
    assert.equal(count('transition.ai_evaluated.DECIDE.needs_review'), 4);
    assert.equal(count('transition.ai_evaluated.DECIDE.auto_approve'), 1);
    assert.equal(count('transition.needs_review.REVIEW_DECIDED.approved'), 1);
    assert.equal(count('transition.ai_evaluated.DECIDE.auto_reject'), 0, 'two hours ago is outside the window');
    assert.equal(count('transition.needs_review.REVIEW_DECIDED.rejected'), 0);
    assert.deepEqual(
      live.transitions.filter((transition) => transition.id === null),
      [{ id: null, from: 'uploaded', event: 'TELEPORTED', to: 'approved', count: 1 }],
    );
  });

  it('should show documents moving: the counts of both states and of the transition change', async () => {
    const before = await freshLive();
    const next = ids.inReview.pop() as string;
    await runtime.documents.send(
      next,
      { type: 'REVIEW_DECIDED', decision: 'reject', reason: 'no', reviewerId: 'reviewer-map', source: 'internal' },
      { type: 'reviewer', id: 'reviewer-map' },
    );
    const moved = await waitFor(
      async () => {
        const live = liveResponse.parse(await getJson('/internal/inspector/live'));
        return live.states.rejected === 1 ? live : null;
      },
      5000,
      'the rejection to be counted',
    );
    assert.equal(moved.states.needs_review, (before.states.needs_review ?? 0) - 1);
    const rejections = (live: typeof moved) =>
      live.transitions.find((transition) => transition.id === 'transition.needs_review.REVIEW_DECIDED.rejected')?.count;
    assert.equal(rejections(before), 0);
    assert.equal(rejections(moved), 1);
  });

  it("should list a state's documents the longest there first, in pages, with ids, types and times only", async () => {
    const first = stateDocumentsResponse.parse(
      await getJson('/internal/inspector/states/needs_review/documents?limit=1'),
    );
    assert.equal(first.items.length, 1);
    assert.ok(first.nextCursor);
    const second = stateDocumentsResponse.parse(
      await getJson(`/internal/inspector/states/needs_review/documents?limit=1&cursor=${first.nextCursor}`),
    );
    assert.equal(second.nextCursor, null);
    const listed = [...first.items, ...second.items];
    assert.deepEqual(
      listed.map((item) => item.id),
      ids.inReview,
    );
    assert.ok((listed[0]?.since ?? '') < (listed[1]?.since ?? ''));
    for (const item of listed) assert.deepEqual(Object.keys(item).sort(), ['createdAt', 'id', 'since', 'type']);

    const empty = stateDocumentsResponse.parse(await getJson('/internal/inspector/states/ocr_completed/documents'));
    assert.deepEqual(empty, { items: [], nextCursor: null });
    assert.equal((await get('/internal/inspector/states/limbo/documents', reviewer)).status, 400);
    assert.equal((await get('/internal/inspector/states/uploaded/documents?limit=0', reviewer)).status, 400);
    assert.equal((await get('/internal/inspector/states/uploaded/documents?cursor=zz', reviewer)).status, 400);
    assert.equal((await get('/internal/inspector/states/uploaded/documents?owner=x', reviewer)).status, 400);
  });

  it("should give a document's path oldest first, each step with its time and its drawn transition", async () => {
    const path = documentPathResponse.parse(await getJson(`/internal/inspector/documents/${ids.retried}/path`));
    assert.equal(path.status, 'processing');
    assert.equal(path.truncated, false);
    assert.deepEqual(
      path.steps.map((step) => [step.seq, step.transition]),
      [
        [1, 'transition.initial.DOCUMENT_UPLOADED.uploaded'],
        [2, 'transition.uploaded.PROCESSING_STARTED.processing'],
        [3, 'transition.processing.OCR_FAILED.uploaded'],
        [4, 'transition.uploaded.PROCESSING_STARTED.processing'],
      ],
    );
    const times = path.steps.map((step) => step.at);
    assert.deepEqual([...times].sort(), times);
    for (const time of times) assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    for (const step of path.steps)
      assert.deepEqual(Object.keys(step).sort(), ['at', 'event', 'from', 'seq', 'to', 'transition']);

    const planted = documentPathResponse.parse(await getJson(`/internal/inspector/documents/${ids.backdated}/path`));
    assert.deepEqual(
      planted.steps.map((step) => step.transition),
      ['transition.initial.DOCUMENT_UPLOADED.uploaded', 'transition.ai_evaluated.DECIDE.auto_reject', null],
    );
    assert.equal((await get(`/internal/inspector/documents/${randomUUID()}/path`, reviewer)).status, 404);
    assert.equal((await get('/internal/inspector/documents/not-a-uuid/path', reviewer)).status, 400);
  });

  it('should carry no PII in any answer, though the document holds some', async () => {
    // The PII is there: a reviewer's document detail shows it.
    const detail = await (await get(`/documents/${ids.approvedAutomatically}`, reviewer)).text();
    assert.ok(detail.includes(NIK) && detail.includes(NAME), 'the planted PII is stored');

    const paths = [
      '/inspector',
      '/inspector/inspector.js',
      '/inspector/inspector.css',
      '/internal/inspector/machine',
      '/internal/inspector/live',
      ...DOCUMENT_STATUSES.map((status) => `/internal/inspector/states/${status}/documents?limit=100`),
      ...[ids.approvedAutomatically, ids.retried, ids.uploaded, ...ids.inReview].map(
        (id) => `/internal/inspector/documents/${id}/path`,
      ),
    ];
    const nameParts = NAME.split(' ');
    for (const path of paths) {
      const response = await get(path, reviewer);
      assert.equal(response.status, 200, path);
      const body = `${[...response.headers].join('\n')}\n${await response.text()}`;
      assert.ok(!body.includes(NIK) && !body.includes(NIK.slice(-8)), `${path} shows the NIK`);
      for (const part of nameParts) assert.ok(!body.toUpperCase().includes(part), `${path} shows the name`);
      assert.ok(!body.includes('owner-map'), `${path} shows an owner`);
      assert.ok(!body.includes('reviewer-map'), `${path} shows an actor`);
    }
    // And the path of the document with PII is there, without it.
    const path = documentPathResponse.parse(
      await getJson(`/internal/inspector/documents/${ids.approvedAutomatically}/path`),
    );
    assert.deepEqual(
      path.steps.map((step) => step.event),
      ['DOCUMENT_UPLOADED', 'PROCESSING_STARTED', 'OCR_COMPLETED', 'AI_EVALUATED', 'DECIDE'],
    );
  });

  it('should be described in the OpenAPI document', async () => {
    const document = (await (await get('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const path of [
      '/inspector',
      '/inspector/inspector.js',
      '/inspector/inspector.css',
      '/internal/inspector/machine',
      '/internal/inspector/live',
      '/internal/inspector/states/{status}/documents',
      '/internal/inspector/documents/{id}/path',
    ])
      assert.ok(document.paths[path]?.get, path);
  });
});
