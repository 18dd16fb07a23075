import { type Browser, chromium, type Page } from 'playwright-core';

/**
 * The browser tests' chromium: Debian's (`CHROMIUM_PATH` elsewhere), driven by playwright-core,
 * never a downloaded browser, with the flags DEVELOPERS.md names.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

/** The page's `document`, as far as the init script below uses it (the project compiles without the DOM library). */
declare const document: {
  addEventListener(
    type: 'securitypolicyviolation',
    listener: (event: { violatedDirective: string; blockedURI: string }) => void,
  ): void;
};

/**
 * Records into `into` what a page must not do, for a test to assert empty: console errors (and
 * warnings, unless `warnings` is false) but those `ignore` matches, uncaught page errors and CSP
 * violations; and every URL it requests. `label` names the page in a test with several.
 */
export async function watchPage(
  page: Page,
  into: { problems: string[]; requested: string[] },
  options: { label?: string; warnings?: boolean; ignore?: RegExp } = {},
): Promise<void> {
  const prefix = options.label ? `${options.label} ` : '';
  const kinds = options.warnings === false ? ['error'] : ['error', 'warning'];
  page.on('console', (message) => {
    if (kinds.includes(message.type()) && !options.ignore?.test(message.text()))
      into.problems.push(`${prefix}console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => into.problems.push(`${prefix}page error: ${error.message}`));
  page.on('request', (request) => into.requested.push(request.url()));
  // Playwright's init scripts run outside the page's CSP, so they can listen for its violations.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
}
