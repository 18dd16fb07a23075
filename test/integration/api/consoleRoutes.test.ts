import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { devSignIn } from '../../../composition/devSignIn.ts';
import { startApi, testTokens } from '../../support/api.ts';
import { createWorld, type World } from '../../support/harness.ts';

/**
 * The reviewer console's shell (/console): public, holding no data, served under the app's CSP
 * with no inline script or style, and described in the OpenAPI document. Its data is the review
 * API's (reviewClaims.test.ts, reviewLifecycle.test.ts); the page itself: test/browser/console.test.ts.
 */
describe('the reviewer console routes', () => {
  let world: World;
  let api: Awaited<ReturnType<typeof startApi>>;

  before(async () => {
    world = await createWorld({ reviews: false });
    api = await startApi(world, await world.runtime(undefined, { start: false }));
  });
  after(async () => {
    await api?.close();
    await world?.close();
  });

  const get = (path: string) => fetch(`${api.url}${path}`);

  it('should serve the page and its files to anyone, under the CSP, with no inline script or style', async () => {
    const page = await get('/console');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    const scriptSources = /(?:^|;)\s*script-src ([^;]*)/.exec(csp)?.[1] ?? '';
    assert.match(scriptSources, /'self'/, csp);
    assert.doesNotMatch(scriptSources, /unsafe-inline|unsafe-eval/, csp);
    assert.match(csp, /script-src-attr 'none'/, csp);
    // The image is shown as a data: URL, which img-src must allow.
    assert.match(/(?:^|;)\s*img-src ([^;]*)/.exec(csp)?.[1] ?? '', /data:/, csp);
    const html = await page.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.equal(scripts.length, 1);
    for (const [, attributes, body] of scripts) {
      assert.match(attributes ?? '', /\bsrc="\/console\/console\.js"/);
      assert.equal(body?.trim(), '', 'no inline script');
    }
    assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=|javascript:/i, 'no inline style or handler');
    assert.match(html, /<link rel="stylesheet" href="\/console\/console\.css">/);
    assert.match(html, /<title>FiLot KYC · reviewer console<\/title>/);

    const script = await get('/console/console.js');
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    const source = await script.text();
    assert.ok(!/innerHTML|outerHTML|insertAdjacentHTML|eval\(|new Function|console\.log/.test(source));
    assert.ok(!/createObjectURL/.test(source), 'no blob: URLs, which the CSP refuses');
    const style = await get('/console/console.css');
    assert.equal(style.status, 200);
    assert.match(style.headers.get('content-type') ?? '', /^text\/css/);
  });

  it('should be described in the OpenAPI document', async () => {
    const document = (await (await get('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const path of ['/console', '/console/console.js', '/console/console.css'])
      assert.ok(document.paths[path]?.get, path);
  });

  it('should mint no token outside development: the sign-in button is refused with 404', async () => {
    const refused = await fetch(`${api.url}/console/dev-sign-in`, { method: 'POST' });
    assert.equal(refused.status, 404);
    const document = (await (await get('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    assert.ok(document.paths['/console/dev-sign-in']?.post);
  });

  it('should, in development, give the sign-in button a reviewer token the API takes', async () => {
    const tokens = testTokens();
    const configFor = (nodeEnv: 'development' | 'test' | 'production') => ({ nodeEnv, jwt: tokens.jwtSettings });
    assert.equal(devSignIn(configFor('production')), null);
    assert.equal(devSignIn(configFor('test')), null);
    assert.equal(devSignIn({ nodeEnv: 'development', jwt: { ...tokens.jwtSettings, signingKey: undefined } }), null);
    const mint = devSignIn(configFor('development'));
    assert.ok(mint);
    const developmentApi = await startApi(world, await world.runtime(undefined, { start: false }), {
      tokens,
      overrides: {},
      devSignIn: mint,
    });
    try {
      const answer = await fetch(`${developmentApi.url}/console/dev-sign-in`, { method: 'POST' });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      const { token } = (await answer.json()) as { token: string };
      const queue = await fetch(`${developmentApi.url}/internal/reviews`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(queue.status, 200, 'a reviewer token');
      const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      assert.equal(claims.role, 'reviewer');
      assert.equal(claims.sub, 'dev-reviewer');
      assert.equal((claims.exp as number) - (claims.iat as number), 3600);
    } finally {
      await developmentApi.close();
    }
  });
});
