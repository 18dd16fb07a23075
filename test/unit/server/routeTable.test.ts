import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { loadConfig } from '../../../config/index.ts';
import { createApp } from '../../../server/app.ts';
import { createAuth } from '../../../server/http/auth.ts';
import { DOCUMENT_ROUTES, openApiDocument } from '../../../server/openapi/openapi.ts';
import { openApiPath } from '../../../server/openapi/routeTable.ts';
import { testLogger } from '../../support/harness.ts';
import { stubApi } from '../../support/stubApi.ts';

/** The parts of Express's router layers this test reads. */
type Layer = {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  slash: boolean;
};

/** `METHOD /openapi/{path}` for every route registered on these layers, routers mounted in them included. */
function registered(stack: readonly Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const { path, methods } = layer.route;
      return Object.keys(methods).map((method) => `${method.toUpperCase()} ${openApiPath(path)}`);
    }
    if (!layer.handle.stack) return [];
    assert.ok(layer.slash, 'every router is mounted at the root, so its paths are whole');
    return registered(layer.handle.stack);
  });
}

describe('the route tables', () => {
  it('should describe in the OpenAPI document exactly the routes the app serves', () => {
    const app = createApp({
      readiness: [],
      metrics: new Registry(),
      logger: testLogger,
      development: false,
      // Routes are registered without using their dependencies; only authentication is built.
      api: stubApi({ auth: createAuth(loadConfig({ JWT_SECRET: randomBytes(32).toString('base64') }).jwt) }),
    });
    const served = registered((app as unknown as { router: { stack: Layer[] } }).router.stack)
      .filter(
        (route) =>
          !Object.values<string>(DOCUMENT_ROUTES)
            .map(openApiPath)
            .includes(route.split(' ')[1] ?? ''),
      )
      .sort();
    const documented = Object.entries(openApiDocument().paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    assert.deepEqual(served, documented);
    assert.ok(served.includes('POST /internal/reviews/{id}/decision'), served.join('\n'));
    for (const route of [
      'POST /internal/reviews/{id}/claim',
      'DELETE /internal/reviews/{id}/claim',
      'GET /internal/reviews/{id}/same-nik',
      'GET /internal/review-reasons',
    ])
      assert.ok(served.includes(route), route);
  });
});
