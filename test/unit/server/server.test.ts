import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createLogger } from '../../../adapters/logging/logger.ts';
import { DocumentNotFoundError, IllegalTransitionError } from '../../../runtime/errors.ts';
import type { Logger } from '../../../runtime/ports.ts';
import { createApp } from '../../../server/app.ts';
import { problemHandler } from '../../../server/http/problems.ts';
import { requestId } from '../../../server/http/requestId.ts';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789abcdef';
const logged: { message: string; fields?: Record<string, unknown> }[] = [];
const logger: Logger = {
  error: (message, fields) => logged.push({ message, fields }),
  warn: () => {},
  info: () => {},
  debug: () => {},
};

async function listen(app: express.Express): Promise<{ url: string; server: Server }> {
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('the HTTP application', () => {
  let url: string;
  let server: Server;
  before(async () => {
    ({ url, server } = await listen(
      createApp({
        readiness: [{ name: 'fake', check: async () => true }],
        metrics: new Registry(),
        logger,
        development: false,
        corsOrigins: ['https://app.example.test'],
        metricsToken: METRICS_TOKEN,
      }),
    ));
  });
  after(() => {
    server.close();
  });

  it('should answer unknown routes with a problem document carrying the correlation id', async () => {
    const clientId = '0F3A6C1E-8B2D-4E5F-9A7B-1C2D3E4F5A6B';
    const response = await fetch(`${url}/nowhere`, { headers: { 'X-Request-Id': clientId } });
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    assert.equal(response.headers.get('x-request-id'), clientId.toLowerCase(), 'a UUID is kept, in lower case');
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.status, 404);
    assert.equal(body.correlationId, clientId.toLowerCase());
  });

  it('should set the security headers and allow only the configured browser origins', async () => {
    const allowed = await fetch(`${url}/health`, { headers: { origin: 'https://app.example.test' } });
    assert.equal(allowed.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(allowed.headers.get('content-security-policy'));
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.test');
    const other = await fetch(`${url}/health`, { headers: { origin: 'https://evil.example.test' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  it('should describe the API in OpenAPI 3.1 from the validating schemas, and render /docs', async () => {
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as {
      openapi: string;
      components: { schemas: Record<string, Record<string, unknown>> };
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>
      >;
    };
    assert.equal(document.openapi, '3.1.0');
    for (const path of [
      '/documents/upload',
      '/documents',
      '/documents/{id}',
      '/documents/{id}/history',
      '/verification/{id}',
      '/verification/{id}/events',
      '/internal/reviews',
      '/internal/reviews/{id}',
      '/internal/reviews/{id}/decision',
    ])
      assert.ok(document.paths[path], path);
    // A named schema is a reference to components.schemas.
    const resolve = (schema?: Record<string, unknown>) =>
      typeof schema?.$ref === 'string' ? document.components.schemas[schema.$ref.split('/').pop() ?? ''] : schema;
    const decision = resolve(
      document.paths['/internal/reviews/{id}/decision']?.post?.requestBody?.content['application/json']?.schema,
    );
    const decisionProperties = (decision?.properties ?? {}) as Record<string, { enum?: string[] }>;
    assert.deepEqual(decisionProperties.decision?.enum, ['approve', 'reject']);
    assert.equal(decision?.additionalProperties, false);
    const upload = document.paths['/documents/upload']?.post?.requestBody?.content['multipart/form-data']?.schema;
    const uploadProperties = (upload?.properties ?? {}) as Record<string, { enum?: string[] }>;
    assert.deepEqual(uploadProperties.type?.enum, ['KTP', 'NPWP']);
    const docs = await fetch(`${url}/docs`);
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get('content-type') ?? '', /^text\/html/);
    // The reference page renders /openapi.json in the browser (test/browser/reference.test.ts).
    const page = await docs.text();
    assert.match(page, /data-document="\/openapi.json"/);
    const script = page.match(/<script src="([^"]+\/scalar\.js)">/)?.[1];
    assert.equal((await fetch(`${url}${script}`)).status, 200);
  });

  it('should protect /metrics with the configured token', async () => {
    assert.equal((await fetch(`${url}/metrics`)).status, 401);
    assert.equal((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const allowed = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(allowed.status, 200);
    assert.match(allowed.headers.get('content-type') ?? '', /^text\/plain/);
  });

  it('should keep a ULID as X-Request-Id and replace anything else, a NIK or a phone number included', async () => {
    const ulid = '01JEX3K8Q2M7N4P5R6S7T8V9WX';
    assert.equal(
      (await fetch(`${url}/health`, { headers: { 'X-Request-Id': ulid } })).headers.get('x-request-id'),
      ulid,
    );
    const generated = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const offered of [
      'bad id <script>',
      '3171014101900001', // a NIK
      'client-request-0001',
      '081234567890',
      '01ARZ3NDEK3171014101900001', // ULID-shaped, with a NIK inside
      'x'.repeat(200),
    ]) {
      const id = (await fetch(`${url}/health`, { headers: { 'X-Request-Id': offered } })).headers.get('x-request-id');
      assert.match(id ?? '', generated, offered);
    }
  });

  it('should answer malformed JSON with 400 and an oversized body with 413, not 500', async () => {
    const malformed = await fetch(`${url}/anything`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"broken": ',
    });
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as { detail: string }).detail, 'The body is not valid JSON.');
    const huge = await fetch(`${url}/anything`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(100_000) }),
    });
    assert.equal(huge.status, 413);
    assert.equal((await fetch(`${url}/health`)).status, 200);
  });
});

describe('the problem handler', () => {
  let url: string;
  let server: Server;
  const build = (development: boolean) => {
    const app = express();
    app.use(requestId);
    app.get('/missing', () => {
      throw new DocumentNotFoundError('00000000-0000-4000-8000-000000000000');
    });
    app.get('/conflict', () => {
      throw new IllegalTransitionError('00000000-0000-4000-8000-000000000000', 'approved', 'REVIEW_DECIDED');
    });
    app.get('/invalid', () => {
      z.object({ decision: z.enum(['approve', 'reject']) }).parse({ decision: 'maybe' });
    });
    app.get('/crash', () => {
      throw new Error('database password is hunter2');
    });
    app.use(problemHandler({ logger, development }));
    return app;
  };
  before(async () => {
    ({ url, server } = await listen(build(false)));
  });
  after(() => {
    server.close();
  });

  it('should map domain errors to 404, 409 and 400', async () => {
    assert.equal((await fetch(`${url}/missing`)).status, 404);
    const conflict = await fetch(`${url}/conflict`);
    assert.equal(conflict.status, 409);
    assert.match(((await conflict.json()) as { detail: string }).detail, /approved/);
    const invalid = await fetch(`${url}/invalid`);
    assert.equal(invalid.status, 400);
    assert.deepEqual(((await invalid.json()) as { errors: { path: string }[] }).errors[0]?.path, 'decision');
  });

  it('should hide an unexpected error’s message and stack outside development', async () => {
    const response = await fetch(`${url}/crash`);
    assert.equal(response.status, 500);
    const text = await response.text();
    assert.equal(text.includes('hunter2'), false);
    assert.equal(text.includes('stack'), false);
    assert.ok(logged.some((line) => line.message === 'http.unhandled_error'));
  });

  it('should log the class of an unexpected error where the PII mask keeps it readable', async () => {
    const lines: string[] = [];
    const masked = createLogger({
      level: 'error',
      stream: new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const app = express();
    app.use(requestId);
    app.get('/type-error', () => {
      throw new TypeError('boom');
    });
    app.use(problemHandler({ logger: masked, development: false }));
    const typed = await listen(app);
    await fetch(`${typed.url}/type-error`);
    typed.server.close();
    const line = JSON.parse(lines.find((text) => text.includes('http.unhandled_error')) ?? '{}') as Record<
      string,
      unknown
    >;
    assert.equal(line.errorClass, 'TypeError');
    assert.equal(line.error, 'boom');
  });

  it('should show the message and stack in development', async () => {
    const development = await listen(build(true));
    const body = (await (await fetch(`${development.url}/crash`)).json()) as { detail: string; stack: string };
    development.server.close();
    assert.equal(body.detail, 'database password is hunter2');
    assert.match(body.stack, /Error: database password/);
  });
});
