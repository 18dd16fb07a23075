import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { ComposedRuntime } from '../../composition/runtime.ts';
import type { DocumentStatus } from '../../machines/document.machine.ts';
import type { Evaluation } from '../../runtime/ports.ts';
import { startApi } from '../support/api.ts';
import { launchChromium, watchPage } from '../support/browser.ts';
import {
  completeOcr,
  createWorld,
  documentInReview,
  evaluateAndDecide,
  newDocument,
  REVIEW_EVALUATION,
  SYSTEM,
  USER,
  type World,
} from '../support/harness.ts';
import { SYNTHETIC_OCR } from '../support/scriptedEngine.ts';

/**
 * The machine map (/inspector) in a real browser: Debian's chromium driven by playwright-core,
 * never a downloaded browser. A made-up set of documents in several states; a reviewer's token
 * typed into the page; the counts on the drawing, one changing as a document moves, a state's
 * documents, and a document's path drawn with its times. Any console error or CSP violation fails.
 *
 * UPDATE_SCREENSHOTS=1 writes the page as it ends to docs/images/inspector.png.
 */

const SCREENSHOT = fileURLToPath(new URL('../../docs/images/inspector.png', import.meta.url));

const REJECTING: Evaluation = {
  score: 0.2,
  reasons: [{ code: 'DOCUMENT_TYPE_UNKNOWN', severity: 'reject', message: 'Not a KTP or an NPWP card.' }],
  fields: {},
  policyVersion: 'test-policy-1',
};

/**
 * The part of the page's `document` that the functions run in the browser use: the project
 * compiles without the DOM library, and this declaration is this module's alone.
 */
type PageElement = {
  querySelector(selector: string): { textContent: string | null } | null;
  dataset: Record<string, string | undefined>;
};
declare const document: {
  getElementById(id: string): PageElement | null;
  querySelectorAll(selector: string): { length: number };
};

type Sender = ComposedRuntime['documents'];

async function startAttempt(documents: Sender, id: string, attempt: number) {
  const leaseToken = randomUUID();
  await documents.send(id, { type: 'PROCESSING_STARTED', workerId: 'w', attempt, leaseToken, device: 'cpu' }, SYSTEM);
  return leaseToken;
}

const decide = (documents: Sender, id: string, decision: 'approve' | 'reject') =>
  documents.send(
    id,
    { type: 'REVIEW_DECIDED', decision, reason: 'checked', reviewerId: 'reviewer-1', source: 'internal' },
    { type: 'reviewer', id: 'reviewer-1' },
  );

describe('the machine map in a browser', () => {
  let world: World;
  let runtime: ComposedRuntime;
  let api: Awaited<ReturnType<typeof startApi>>;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requested: string[] = [];
  /** needs_review, in the order they entered it; the first was retried once before it was read. */
  const inReview: string[] = [];

  before(async () => {
    [world, browser] = await Promise.all([createWorld({ reviews: false }), launchChromium()]);
    runtime = await world.runtime(undefined, { start: false });
    api = await startApi(world, runtime);
    const { documents } = runtime;
    const created = async () => {
      const document = newDocument({ ownerId: `owner-${randomUUID().slice(0, 8)}` });
      await documents.create(document, USER);
      return document.id;
    };

    // Retried once, then read and sent to review: the path the test draws.
    const retried = await created();
    const firstLease = await startAttempt(documents, retried, 1);
    await documents.send(
      retried,
      { type: 'OCR_FAILED', leaseToken: firstLease, error: { code: 'ocr_timeout', message: 'timed out' } },
      SYSTEM,
    );
    const secondLease = await startAttempt(documents, retried, 2);
    await documents.send(
      retried,
      {
        type: 'OCR_COMPLETED',
        leaseToken: secondLease,
        result: SYNTHETIC_OCR,
        gpuProcessed: false,
        durationMs: 3,
      },
      SYSTEM,
    );
    await evaluateAndDecide(documents, retried, REVIEW_EVALUATION);
    inReview.push(retried);
    for (let index = 0; index < 3; index++) inReview.push(await documentInReview(documents, newDocument()));

    for (let index = 0; index < 3; index++) await created(); // uploaded
    await startAttempt(documents, await created(), 1); // processing
    const read = await created();
    await completeOcr(documents, read); // ocr_completed
    for (let index = 0; index < 4; index++) {
      const approved = await created();
      await completeOcr(documents, approved);
      await evaluateAndDecide(documents, approved); // auto_approve
    }
    const rejected = await created();
    await completeOcr(documents, rejected);
    await evaluateAndDecide(documents, rejected, REJECTING); // auto_reject
    for (const decision of ['approve', 'approve', 'reject'] as const)
      await decide(documents, await documentInReview(documents, newDocument()), decision);

    page = await browser.newPage({ viewport: { width: 1600, height: 760 } });
    await watchPage(page, { problems, requested });
  });
  after(async () => {
    await browser?.close();
    await api?.close();
    await world?.close();
  });

  const countOf = (id: string) =>
    page.evaluate((elementId) => document.getElementById(elementId)?.querySelector('text.count')?.textContent, id);
  const waitForCount = (id: string, count: number, timeout = 5000) =>
    page.waitForFunction(
      ([elementId, expected]) =>
        document.getElementById(elementId)?.querySelector('text.count')?.textContent === expected,
      [id, String(count)] as const,
      { timeout },
    );

  it('should draw the machine with the counts, follow a document live, list a state and draw a path', async () => {
    const token = api.tokenFor('reviewer-1', 'reviewer');
    await page.goto(`${api.url}/inspector`);
    await page.fill('#token', token);
    await page.click('#use-token');

    // The counts on the drawing.
    const expected: Record<DocumentStatus, number> = {
      uploaded: 3,
      processing: 1,
      ocr_completed: 1,
      ai_evaluated: 0,
      auto_approve: 4,
      auto_reject: 1,
      needs_review: 4,
      approved: 2,
      rejected: 1,
    };
    await waitForCount('state.needs_review', 4);
    for (const [status, count] of Object.entries(expected))
      assert.equal(await countOf(`state.${status}`), String(count), status);
    assert.equal(await countOf('transition.processing.OCR_FAILED.uploaded'), '1');
    assert.equal(await countOf('transition.needs_review.REVIEW_DECIDED.approved'), '2');

    // A document moves; the page sees it without being told.
    const moving = inReview.pop() as string;
    const movedAt = performance.now();
    await decide(runtime.documents, moving, 'approve');
    await waitForCount('state.needs_review', 3);
    await waitForCount('state.approved', 3);
    await waitForCount('transition.needs_review.REVIEW_DECIDED.approved', 3);
    assert.ok(performance.now() - movedAt < 5000);

    // A state's documents, the longest there first.
    await page.click('[id="state.needs_review"]');
    await page.waitForFunction((count) => document.querySelectorAll('#state-documents tr').length === count, 3);
    const listed = await page.$$eval('#state-documents tr', (rows) =>
      rows.map((row) => row.getAttribute('data-document-id')),
    );
    assert.deepEqual(listed, inReview);
    assert.equal(await page.textContent('#state-name'), 'needs_review');

    // The oldest one's path, on the drawing, with its times.
    await page.click(`#state-documents tr[data-document-id="${inReview[0]}"] button.document`);
    await page.waitForSelector('#path-panel:not([hidden])');
    await page.waitForFunction(() => document.querySelectorAll('#drawing .path-label tspan').length === 7);
    const labels = await page.$$eval('#drawing .path-label tspan', (spans) => spans.map((span) => span.textContent));
    for (const label of labels) assert.match(label ?? '', /^#\d \d\d:\d\d:\d\d\.\d{3}$/);
    const onPath = await page.$$eval('#drawing g.edge.on-path', (edges) => edges.map((edge) => edge.id).sort());
    assert.deepEqual(onPath, [
      'transition.ai_evaluated.DECIDE.needs_review',
      'transition.initial.DOCUMENT_UPLOADED.uploaded',
      'transition.ocr_completed.AI_EVALUATED.ai_evaluated',
      'transition.processing.OCR_COMPLETED.ocr_completed',
      'transition.processing.OCR_FAILED.uploaded',
      'transition.uploaded.PROCESSING_STARTED.processing',
    ]);
    assert.deepEqual(
      await page.$$eval('[id="transition.uploaded.PROCESSING_STARTED.processing"] .path-label tspan', (spans) =>
        spans.map((span) => span.textContent?.split(' ')[0]),
      ),
      ['#2', '#4'],
      'a transition taken twice shows both steps',
    );
    assert.deepEqual(
      await page.$eval('[id="state.needs_review"]', (state) =>
        ['selected', 'on-path', 'current'].filter((name) => state.classList.contains(name)),
      ),
      ['selected', 'on-path', 'current'],
    );
    assert.equal(await page.locator('#path-steps li').count(), 7);
    assert.match((await page.textContent('#path-steps li:first-child')) ?? '', /DOCUMENT_UPLOADED: \(new\) → uploaded/);

    // The token stays in the tab and in headers: never in a URL; nothing is fetched from elsewhere.
    assert.equal(await page.evaluate(() => sessionStorage.getItem('filot.inspector.token')), token);
    for (const url of requested) {
      assert.ok(url.startsWith(`${api.url}/`), url);
      assert.ok(!url.includes(token), url);
    }
    assert.ok(requested.some((url) => url.endsWith('/internal/inspector/live')));
    assert.deepEqual(problems, []);

    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await mkdir(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }

    // Forgetting the token takes everything read with it off the page.
    await page.click('#forget-token');
    assert.equal(await page.locator('#drawing svg').count(), 0);
    assert.equal(await page.isHidden('#state-panel'), true);
    assert.equal(await page.isHidden('#path-panel'), true);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('filot.inspector.token')), null);
    assert.deepEqual(problems, []);
  });

  it('should say so when the token is refused, and draw nothing', async () => {
    const userPage = await browser.newPage();
    const errors: string[] = [];
    userPage.on('pageerror', (error) => errors.push(error.message));
    await userPage.goto(`${api.url}/inspector`);
    await userPage.fill('#token', api.tokenFor('owner-1', 'user'));
    await userPage.click('#use-token');
    await userPage.waitForFunction(() => document.getElementById('status-line')?.dataset.kind === 'error');
    assert.match((await userPage.textContent('#status-line')) ?? '', /refused \(403\)/);
    assert.equal(await userPage.locator('#drawing svg').count(), 0);
    assert.deepEqual(errors, []);
    await userPage.close();
  });
});
