import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sql } from 'slonik';
import { startTemporalDevServer, type TemporalDevServer } from '../../composition/temporalDevServer.ts';
import { startApi } from '../support/api.ts';
import { launchChromium, watchPage } from '../support/browser.ts';
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
} from '../support/harness.ts';

/**
 * The reviewer console (/console) in a real browser: Debian's chromium driven by playwright-core,
 * never a downloaded browser, over the API with its review workflows (the run's Temporal dev
 * server). A reviewer signs in, opens the oldest document (claiming it) and approves it; a second
 * reviewer sees the claim and gets the page read-only; the keys; a decision made elsewhere first
 * (409); a user's token refused. Any console error or CSP violation fails, but for the browser's own
 * "Failed to load resource … 409" lines, which the 409 paths here cause on purpose.
 *
 * UPDATE_SCREENSHOTS=1 writes docs/images/console-queue.png and docs/images/console-document.png.
 */

const SCREENSHOTS = {
  queue: fileURLToPath(new URL('../../docs/images/console-queue.png', import.meta.url)),
  document: fileURLToPath(new URL('../../docs/images/console-document.png', import.meta.url)),
};
/** A 24×16 grey PNG: the "image" of every document here. */
const IMAGE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAIAAACDRijCAAAAHUlEQVR4nGN4+vTpf2oAhlGDRg0aNWjUoFGDqGMQAEyDrThmc9vSAAAAAElFTkSuQmCC',
  'base64',
);
const EXPECTED_409 = /Failed to load resource: the server responded with a status of 409/;

/** The part of the page's `document` that the functions run in the browser use (no DOM library here). */
declare const document: {
  getElementById(id: string): { textContent: string | null; dataset: Record<string, string | undefined> } | null;
  querySelectorAll(selector: string): { length: number };
  activeElement: { id: string } | null;
};

describe('the reviewer console in a browser', () => {
  let ownServer: TemporalDevServer | null = null;
  let world: World;
  let runtime: TestRuntime;
  let api: Awaited<ReturnType<typeof startApi>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  const requested: string[] = [];
  /** In needs_review, oldest first. */
  const ids: string[] = [];

  before(async () => {
    if (!process.env.TEMPORAL_ADDRESS) {
      ownServer = await startTemporalDevServer();
      process.env.TEMPORAL_ADDRESS = ownServer.address;
    }
    [world, browser] = await Promise.all([createWorld(), launchChromium()]);
    runtime = await world.runtime();
    api = await startApi(world, runtime);
    for (let index = 0; index < 4; index++) {
      const document = newDocument({ ownerId: `owner-console-${index}` }, index % 2 ? 'NPWP' : 'KTP');
      const id = await documentInReview(runtime.documents, document);
      await api.storage.put(document.storageKey, IMAGE);
      ids.push(id);
    }
    await waitFor(
      async () =>
        (
          await Promise.all(
            ids.map((id) => world.pool.exists(sql.unsafe`SELECT 1 FROM review_workflows WHERE document_id = ${id}`)),
          )
        ).every(Boolean),
      15_000,
      'the reviews started',
    );
  });
  after(async () => {
    await browser?.close();
    await api?.close();
    await world?.close();
    if (ownServer) {
      delete process.env.TEMPORAL_ADDRESS;
      await ownServer.stop();
    }
  });

  async function newPage(name: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1500, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    await watchPage(page, { problems, requested }, { label: name, ignore: EXPECTED_409 });
    return page;
  }

  async function signIn(page: Page, token: string) {
    await page.goto(`${api.url}/console`);
    await page.fill('#token', token);
    await page.click('#sign-in');
  }
  const openIs = (page: Page, id: string) =>
    page.waitForFunction(
      (expected) =>
        document.getElementById('doc-id')?.textContent === expected &&
        (document.getElementById('claim-line')?.textContent ?? '') !== '' &&
        (document.getElementById('doc-status')?.textContent ?? '') !== '',
      id,
    );
  const reviewOf = async (id: string) => {
    const response = await fetch(`${api.url}/internal/reviews/${id}`, {
      headers: { authorization: `Bearer ${api.tokenFor('admin-1', 'admin')}` },
    });
    return (await response.json()) as { status: string; claim: { reviewerId: string } | null };
  };
  const historyOf = async (id: string) => {
    const response = await fetch(`${api.url}/documents/${id}/history`, {
      headers: { authorization: `Bearer ${api.tokenFor('admin-1', 'admin')}` },
    });
    return ((await response.json()) as { items: { event: string; actor: { type: string; id: string } }[] }).items;
  };
  const statusIs = (id: string, status: string) =>
    waitFor(async () => (await reviewOf(id)).status === status, 10_000, `${id} ${status}`);

  it('should claim, show, decide by button and by key, show the claim to another reviewer, and take a 409', async () => {
    const token = api.tokenFor('reviewer-1', 'reviewer');
    const first = await newPage('reviewer-1');
    await signIn(first, token);
    await first.waitForFunction((count) => document.querySelectorAll('#queue tr').length === count, ids.length);
    const listed = await first.$$eval('#queue tr', (rows) => rows.map((row) => row.getAttribute('data-document-id')));
    assert.deepEqual(listed, ids, 'oldest first');
    assert.match((await first.textContent('#queue tr:first-child')) ?? '', /KTP.*waiting.*NAME_UNREADABLE/);
    assert.match((await first.textContent('#filter-reason')) ?? '', /NAME_UNREADABLE \(4\)/);
    assert.match((await first.textContent('#filter-type')) ?? '', /All types \(4\).*KTP \(2\).*NPWP \(2\)/);
    // The server filters: the rows, and the reason counts under the type chosen.
    await first.selectOption('#filter-type', 'NPWP');
    await first.waitForFunction(() => document.querySelectorAll('#queue tr').length === 2);
    assert.match((await first.textContent('#queue-count')) ?? '', /2 shown of 2/);
    await first.selectOption('#filter-type', '');
    await first.waitForFunction((count) => document.querySelectorAll('#queue tr').length === count, ids.length);

    // Opening the oldest claims it and shows it: the image as a data: URL, a flagged field, the history.
    await first.click(`#queue tr[data-document-id="${ids[0]}"] button.open`);
    await openIs(first, ids[0] as string);
    assert.match((await first.textContent('#claim-line')) ?? '', /Claimed by you/);
    await first.waitForFunction(() => document.querySelectorAll('#history li').length >= 5);
    await first.waitForSelector('#doc-image[src^="data:"]');
    assert.equal(await first.getAttribute('#fields tr[data-field="nama"]', 'class'), 'flagged');
    assert.match(
      (await first.textContent('#fields tr[data-field="nama"]')) ?? '',
      /NAME_UNREADABLE/,
      'its reason beside it',
    );
    assert.notEqual(await first.getAttribute('#fields tr[data-field="nik"]', 'class'), 'flagged');
    // The NIK decoded: its district by name, the birth date and sex it encodes.
    assert.match((await first.textContent('#nik tr[data-part="district"]')) ?? '', /31\.71\.01 Gambir/);
    assert.match((await first.textContent('#nik tr[data-part="birth-date"]')) ?? '', /1990-01-01.*not printed/);
    assert.match((await first.textContent('#nik tr[data-part="sex"]')) ?? '', /PEREMPUAN/);
    assert.match(first.url(), new RegExp(`#doc=${ids[0]}$`));
    await first.click('#zoom-in');
    await first.click('#rotate');
    assert.match((await first.getAttribute('#doc-image', 'style')) ?? '', /rotate\(90deg\) scale\(1\.25\)/);
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await first.click('#reset-view');
      await mkdir(dirname(SCREENSHOTS.document), { recursive: true });
      await first.screenshot({ path: SCREENSHOTS.document, fullPage: true });
    }

    // Another reviewer, in another browser context: the claim, and the page read-only.
    const second = await newPage('reviewer-2');
    await signIn(second, api.tokenFor('reviewer-2', 'reviewer'));
    await second.waitForFunction(
      (id) =>
        /being reviewed by reviewer-1/.test(
          (document as unknown as { querySelector(s: string): { textContent: string } | null }).querySelector(
            `#queue tr[data-document-id="${id}"]`,
          )?.textContent ?? '',
        ),
      ids[0],
    );
    if (process.env.UPDATE_SCREENSHOTS === '1') await second.screenshot({ path: SCREENSHOTS.queue, fullPage: true });
    await second.click(`#queue tr[data-document-id="${ids[0]}"] button.open`);
    await openIs(second, ids[0] as string);
    assert.match((await second.textContent('#claim-line')) ?? '', /Being reviewed by reviewer-1/);
    assert.equal(await second.isDisabled('#approve'), true);
    assert.equal(await second.isDisabled('#reason'), true);
    await second.keyboard.press('a');
    assert.match((await second.textContent('#decision-message')) ?? '', /read-only/);

    // Approve with a template and text: the API shows it approved, by reviewer-1; the page moves on.
    await first.selectOption('#template', 'approve:VERIFIED_AGAINST_IMAGE');
    await first.fill('#reason', 'Photo matches.');
    await first.click('#approve');
    await statusIs(ids[0] as string, 'approved');
    const decided = (await historyOf(ids[0] as string)).find((entry) => entry.event === 'REVIEW_DECIDED');
    assert.deepEqual(decided?.actor, { type: 'reviewer', id: 'reviewer-1' });
    await openIs(first, ids[1] as string);
    assert.match((await first.textContent('#status-line')) ?? '', /approved/);

    // The keys: j / k move, / focuses the reason, r rejects with it.
    await first.keyboard.press('j');
    await openIs(first, ids[2] as string);
    await first.keyboard.press('k');
    await openIs(first, ids[1] as string);
    await first.waitForFunction(() => /Claimed by you/.test(document.getElementById('claim-line')?.textContent ?? ''));
    // Back and forth at once: the reviewer holds the claim on the document open, and none on the one left.
    await first.keyboard.press('j');
    await first.keyboard.press('k');
    await openIs(first, ids[1] as string);
    await first.waitForFunction(() => /Claimed by you/.test(document.getElementById('claim-line')?.textContent ?? ''));
    await waitFor(
      async () => (await reviewOf(ids[2] as string)).claim === null,
      5000,
      'the claim left behind released',
    );
    assert.equal((await reviewOf(ids[1] as string)).claim?.reviewerId, 'reviewer-1');
    // The claim's answer and the decision controls' release are separate steps of the page.
    await first.waitForFunction(() => !(document.getElementById('reject') as { disabled?: boolean } | null)?.disabled);
    await first.keyboard.press('r');
    assert.match((await first.textContent('#decision-message')) ?? '', /reason is required/);
    await first.keyboard.press('Escape');
    await first.keyboard.press('/');
    assert.equal(await first.evaluate(() => document.activeElement?.id), 'reason');
    await first.keyboard.type('Card is blurred.');
    await first.keyboard.press('Escape');
    await first.keyboard.press('r');
    await statusIs(ids[1] as string, 'rejected');
    await openIs(first, ids[2] as string);
    await first.waitForFunction(() => /Claimed by you/.test(document.getElementById('claim-line')?.textContent ?? ''));

    // Decided elsewhere first (the API, by the claim's holder): the page's decision is a 409, said plainly.
    const elsewhere = await fetch(`${api.url}/internal/reviews/${ids[2]}/decision`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approve', reason: 'Checked elsewhere.' }),
    });
    assert.equal(elsewhere.status, 200);
    await first.fill('#reason', 'Looks fine.');
    await first.click('#approve');
    await openIs(first, ids[3] as string);
    assert.match((await first.textContent('#status-line')) ?? '', /Someone else decided .* first/);
    assert.equal((await reviewOf(ids[2] as string)).status, 'approved');

    // A decided document, opened from its id in the hash: who, when, through which channel.
    await first.goto(`${api.url}/console#doc=${ids[0]}`);
    await openIs(first, ids[0] as string);
    await first.waitForSelector('#audit:not([hidden])');
    const audit = (await first.textContent('#audit-list')) ?? '';
    assert.match(audit, /approved/);
    assert.match(audit, /reviewer-1/);
    assert.match(audit, /FiLot reviewer \(internal\)/);
    // Why: the reason the reviewer gave, from the history.
    assert.doesNotMatch(audit, /not in the history/);
    assert.match((await first.textContent('#claim-line')) ?? '', /Not in review/);

    // Signing out forgets the token and everything read.
    await first.click('#sign-out');
    assert.equal(await first.evaluate(() => sessionStorage.getItem('filot.console.token')), null);
    assert.equal(await first.isHidden('#document-panel'), true);
    assert.equal(await first.locator('#queue tr').count(), 0);

    for (const url of requested) {
      assert.ok(url.startsWith(`${api.url}/`), url);
      assert.ok(!url.includes(token), url);
      assert.ok(!url.includes('owner-console'), url);
    }
    assert.deepEqual(problems, []);
  });

  it('should filter on the server and load the queue past its first page of 100', async () => {
    // 101 documents with a reason of their own, waiting behind the others.
    const code = 'CONSOLE_PAGING_CHECK';
    const reasons = [{ code, severity: 'review' as const, message: 'A test finding.' }];
    for (let batch = 0; batch < 101; batch += 8)
      await Promise.all(
        Array.from({ length: Math.min(8, 101 - batch) }, async () => {
          const document = newDocument({ ownerId: 'owner-console-paging' });
          await runtime.documents.create(document, USER);
          await completeOcr(runtime.documents, document.id);
          await evaluateAndDecide(runtime.documents, document.id, { ...REVIEW_EVALUATION, reasons });
        }),
      );
    const page = await newPage('reviewer-3');
    await signIn(page, api.tokenFor('reviewer-3', 'reviewer'));
    await page.waitForFunction(
      (text) => document.getElementById('filter-reason')?.textContent?.includes(text),
      `${code} (101)`,
    );
    await page.selectOption('#filter-reason', code);
    // The unfiltered queue shows 100 rows too: wait for the filtered answer's count.
    await page.waitForFunction(() => document.getElementById('queue-count')?.textContent === '100 shown of 101');
    assert.equal(await page.locator('#queue tr').count(), 100);
    assert.match((await page.textContent('#filter-type')) ?? '', /All types \(101\).*KTP \(101\)/);
    await page.click('#queue-more');
    await page.waitForFunction(() => document.querySelectorAll('#queue tr').length === 101);
    await page.waitForSelector('#queue-more', { state: 'hidden' });
    // A refresh keeps the pages loaded.
    await sleep(3500);
    assert.equal(await page.locator('#queue tr').count(), 101);
    assert.deepEqual(problems, []);
  });

  it("should refuse a user's token with 403 and show nothing", async () => {
    const page = await newPage('user');
    await signIn(page, api.tokenFor('owner-console-0', 'user'));
    await page.waitForFunction(() => document.getElementById('status-line')?.dataset.kind === 'error');
    assert.match((await page.textContent('#status-line')) ?? '', /refused \(403\)/);
    assert.equal(await page.isHidden('#queue-panel'), true);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('filot.console.token')), null);
    assert.deepEqual(
      problems.filter((problem) => !/status of 403/.test(problem)),
      [],
    );
  });
});
