import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express, { Router } from 'express';
import { createMetrics, httpMetrics } from '../../../adapters/metrics/registry.ts';
import type { Logger } from '../../../runtime/ports.ts';
import { createApp } from '../../../server/app.ts';
import { type HttpMetrics, requestMetrics, statusClass } from '../../../server/http/httpMetrics.ts';

const ID = '3f0c2a4e-8b7d-4c1e-9a55-0d6e2b1f7c33';
const quiet: Logger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

async function listen(app: express.Express): Promise<{ url: string; server: Server }> {
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** What the middleware reported, in order. */
function recording() {
  const answered: { method: string; route: string; statusClass: string; ms: number }[] = [];
  const port: HttpMetrics = {
    requestAnswered: (method, route, statusClass, ms) => answered.push({ method, route, statusClass, ms }),
  };
  return { port, answered };
}

/** Waits for the report of the request just answered (`finish` may come after the client has the body). */
async function nextReport(answered: unknown[], count: number) {
  for (let tries = 0; answered.length < count && tries < 100; tries++)
    await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(answered.length, count);
}

describe('the HTTP latency metrics', () => {
  const { port, answered } = recording();
  let url: string;
  let server: Server;
  before(async () => {
    const app = express();
    app.use(requestMetrics(port, { knownPaths: ['/documents/upload', '/documents/{id}', '/internal/reviews/{id}'] }));
    const documents = Router();
    documents.get('/documents/upload', (_request, response) => {
      response.status(405).end();
    });
    documents.get('/documents/:id', (request, response) => {
      response.json({ id: request.params.id });
    });
    documents.get('/documents/:id/fail', () => {
      throw new Error('boom');
    });
    app.use(documents);
    // A router mounted at a base, as `app.use('/v2', router)` would.
    const versioned = Router();
    versioned.get('/items/:itemId', (_request, response) => {
      response.status(204).end();
    });
    app.use('/v2', versioned);
    // A base with a parameter: its value must not become a label.
    const owned = Router();
    owned.get('/items', (_request, response) => {
      response.status(204).end();
    });
    app.use('/owners/:ownerId', owned);
    // A guard that answers before any route, as the review routes' bearer check under /internal.
    app.use('/internal', (_request, response) => {
      response.status(401).end();
    });
    app.use((_request, response) => {
      response.status(404).end();
    });
    app.use((_error: unknown, _request: express.Request, response: express.Response, _next: express.NextFunction) => {
      response.status(500).end();
    });
    ({ url, server } = await listen(app));
  });
  after(() => server?.close());

  const cases: { path: string; method?: string; route: string; statusClass: string }[] = [
    { path: `/documents/${ID}`, route: '/documents/:id', statusClass: '2xx' },
    { path: `/documents/${ID}?cursor=${ID}`, route: '/documents/:id', statusClass: '2xx' },
    { path: '/documents/upload', route: '/documents/upload', statusClass: '4xx' },
    { path: `/documents/${ID}/fail`, route: '/documents/:id/fail', statusClass: '5xx' },
    { path: `/v2/items/${ID}`, route: '/v2/items/:itemId', statusClass: '2xx' },
    { path: `/owners/${ID}/items`, route: '/owners/:param/items', statusClass: '2xx' },
    { path: '/owners/4471/items', route: '/owners/:param/items', statusClass: '2xx' },
    { path: `/internal/reviews/${ID}`, route: '/internal/reviews/:id', statusClass: '4xx' },
    { path: `/nothing/here/${ID}`, route: 'unmatched', statusClass: '4xx' },
    { path: `/documents/${ID}`, method: 'DELETE', route: '/documents/:id', statusClass: '4xx' },
  ];
  for (const [index, testCase] of cases.entries())
    it(`should label ${testCase.method ?? 'GET'} ${testCase.path.replace(ID, '<id>')} as ${testCase.route}`, async () => {
      const response = await fetch(`${url}${testCase.path}`, { method: testCase.method ?? 'GET' });
      await response.arrayBuffer();
      await nextReport(answered, index + 1);
      const report = answered[index];
      assert.ok(report);
      assert.equal(report.route, testCase.route);
      assert.equal(report.method, testCase.method ?? 'GET');
      assert.equal(report.statusClass, testCase.statusClass);
      assert.ok(report.ms >= 0 && report.ms < 5000, String(report.ms));
    });

  it('should never put an id into a label', () => {
    assert.ok(answered.length > 0);
    for (const report of answered) assert.ok(!JSON.stringify(report).includes(ID), JSON.stringify(report));
  });

  it('should name the status classes', () => {
    assert.deepEqual([200, 204, 301, 404, 503, 42].map(statusClass), ['2xx', '2xx', '3xx', '4xx', '5xx', 'other']);
  });
});

describe('the HTTP latency metrics in the application', () => {
  it('should record the probes, /metrics and unmatched paths by template in filot_http_request_duration_ms', async () => {
    const metrics = createMetrics();
    const { url, server } = await listen(
      createApp({
        readiness: [],
        metrics: metrics.registry,
        httpMetrics: httpMetrics(metrics),
        logger: quiet,
        development: false,
      }),
    );
    try {
      assert.equal((await fetch(`${url}/health`)).status, 200);
      assert.equal((await fetch(`${url}/no/such/${ID}`)).status, 404);
      // The API's templates are known even when this app serves no API: /documents/:id, not its id.
      assert.equal((await fetch(`${url}/documents/${ID}`)).status, 404);
      await (await fetch(`${url}/metrics`)).text();
      const text = await (await fetch(`${url}/metrics`)).text();
      assert.match(text, /filot_http_request_duration_ms_count\{method="GET",route="\/health",status_class="2xx"\} 1/);
      assert.match(text, /filot_http_request_duration_ms_count\{method="GET",route="unmatched",status_class="4xx"\} 1/);
      assert.match(
        text,
        /filot_http_request_duration_ms_count\{method="GET",route="\/documents\/:id",status_class="4xx"\} 1/,
      );
      assert.match(text, /filot_http_request_duration_ms_count\{method="GET",route="\/metrics",status_class="2xx"\} 1/);
      assert.ok(!text.includes(ID));
    } finally {
      server.close();
    }
  });
});
