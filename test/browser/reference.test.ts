import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { createApp } from '../../server/app.ts';
import { launchChromium, watchPage } from '../support/browser.ts';
import { testLogger } from '../support/harness.ts';

/**
 * The API reference (/docs) in a real browser: Debian's chromium driven by playwright-core, never a
 * downloaded browser. The page renders the service's /openapi.json with Scalar, loaded from the
 * service itself: operations listed with their curl snippets, authentication explained, no request
 * to another origin, and no console error or CSP violation under the app's Content-Security-Policy.
 *
 * UPDATE_SCREENSHOTS=1 writes the page to docs/images/reference.png.
 */

const SCREENSHOT = fileURLToPath(new URL('../../docs/images/reference.png', import.meta.url));

/** The part of the page's `document` the functions run in the browser use (the project compiles without the DOM library). */
declare const document: {
  body: { textContent: string | null };
};

describe('the API reference in a browser', () => {
  let server: Server;
  let url: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requested: string[] = [];

  before(async () => {
    // The document and its page need no client API behind them.
    const app = createApp({ readiness: [], metrics: new Registry(), logger: testLogger, development: false });
    server = app.listen(0, '127.0.0.1');
    [browser] = await Promise.all([launchChromium(), new Promise((resolve) => server.once('listening', resolve))]);
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await watchPage(page, { problems, requested }, { warnings: false });
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  it('should render the operations, their curl snippets and the authentication, from this service alone', async () => {
    const response = await page.goto(`${url}/docs`);
    assert.equal(response?.status(), 200);
    assert.match(response?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
    // Scalar lists each operation by its summary, under its tag, once it has read /openapi.json.
    const upload = page.getByText('Upload a KTP or NPWP card', { exact: false }).first();
    await upload.waitFor({ timeout: 20_000 });
    const text = await page.evaluate(() => document.body.textContent ?? '');
    for (const expected of ['Documents', 'Verification', 'Review', 'Authentication', 'Authorization: Bearer <JWT>'])
      assert.ok(text.includes(expected), expected);
    // An operation, with its fields described and its request as a curl command.
    await upload.click();
    await page.getByText('Makes the upload safe to retry', { exact: false }).first().waitFor({ timeout: 10_000 });
    await page.getByText(`curl ${url}/documents/upload`, { exact: false }).first().waitFor({ timeout: 10_000 });
    // Another tag's operations, opened from the sidebar.
    await page.getByText('Documents', { exact: true }).first().click();
    await page.getByText("The caller's documents, newest first").first().waitFor({ timeout: 10_000 });

    for (const requestedUrl of requested) assert.ok(requestedUrl.startsWith(`${url}/`), requestedUrl);
    assert.ok(requested.includes(`${url}/openapi.json`));
    assert.deepEqual(problems, []);

    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await upload.click();
      await page.waitForTimeout(500);
      await mkdir(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
    }
  });

  it('should serve the problem type pages a problem links to', async () => {
    await page.goto(`${url}/problems/not_found`);
    assert.ok((await page.evaluate(() => document.body.textContent ?? '')).includes('not_found'));
    assert.deepEqual(problems, []);
  });
});
