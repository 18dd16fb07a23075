import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { Registry } from 'prom-client';
import { createApp } from '../../../server/app.ts';
import { createAuth } from '../../../server/http/auth.ts';
import { HttpProblem, problemHandler, sendProblem } from '../../../server/http/problems.ts';
import { PROBLEM_CODES, PROBLEM_TYPES, type ProblemCode, problemTypeUri } from '../../../server/http/problemTypes.ts';
import { requestId } from '../../../server/http/requestId.ts';
import { errorsMarkdown } from '../../../server/openapi/problemPages.ts';
import { testTokens } from '../../support/api.ts';
import { testLogger } from '../../support/harness.ts';
import { stubApi } from '../../support/stubApi.ts';

/**
 * The catalogue of problem types (server/http/problemTypes.ts): each kind answers with its `type`
 * and `code`, each `type` is a page of the service that documents it, docs/errors.md is the same
 * catalogue, and the throw sites name their kinds.
 */

const ROOT = new URL('../../../', import.meta.url);
type Body = { type: string; code: string; title: string; status: number; detail?: string; correlationId: string };

async function listen(app: express.Express): Promise<{ url: string; server: Server }> {
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('the problem types', () => {
  let url: string;
  let server: Server;
  const { jwtSettings, tokenFor } = testTokens();
  before(async () => {
    // The app with its client API on stubs: every refusal below comes before a dependency is used,
    // except where the stub itself fails.
    const app = createApp({
      readiness: [],
      metrics: new Registry(),
      logger: testLogger,
      development: false,
      isUnavailable: (error) => error instanceof Error && error.message === 'database unreachable',
      api: stubApi({
        auth: createAuth(jwtSettings),
        queries: {
          view: async () => {
            throw new Error('database unreachable');
          },
          listByOwner: async () => {
            throw new Error('a fault of ours');
          },
        },
      }),
    });
    ({ url, server } = await listen(app));
  });
  after(() => {
    server.close();
  });

  const user = () => ({ Authorization: `Bearer ${tokenFor('owner-p', 'user')}` });
  const upload = (file: Buffer, type = 'KTP') => {
    const form = new FormData();
    form.append('type', type);
    form.append('file', new Blob([file]));
    return fetch(`${url}/documents/upload`, { method: 'POST', headers: user(), body: form });
  };

  /** Each kind the app answers without a database, and a request that gets it. */
  const requests: [ProblemCode, () => Promise<Response>][] = [
    ['unauthorized', () => fetch(`${url}/documents`)],
    ['forbidden', () => fetch(`${url}/internal/reviews`, { headers: user() })],
    ['not_found', () => fetch(`${url}/nowhere`)],
    ['method_not_allowed', () => fetch(`${url}/documents`, { method: 'DELETE' })],
    ['validation_failed', () => fetch(`${url}/documents/not-a-uuid`, { headers: user() })],
    ['validation_failed', () => fetch(`${url}/documents?cursor=bogus`, { headers: user() })],
    ['malformed_request', () => fetch(`${url}/documents/upload`, { method: 'POST', headers: user(), body: 'x' })],
    [
      'malformed_request',
      () =>
        fetch(`${url}/internal/reviews/${crypto.randomUUID()}/decision`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${tokenFor('r', 'reviewer')}`, 'Content-Type': 'application/json' },
          body: '{"decision":',
        }),
    ],
    ['unsupported_media_type', () => upload(Buffer.from('plain text, not an image'))],
    ['payload_too_large', () => upload(Buffer.alloc(4096, 0xff))],
    ['service_unavailable', () => fetch(`${url}/documents/${crypto.randomUUID()}`, { headers: user() })],
    ['internal', () => fetch(`${url}/documents`, { headers: user() })],
  ];

  for (const [code, request] of requests)
    it(`should answer ${code} with its type, code, title and status`, async () => {
      const response = await request();
      assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json');
      const body = (await response.json()) as Body;
      assert.equal(body.code, code, JSON.stringify(body));
      assert.equal(body.type, problemTypeUri(code));
      assert.equal(body.status, PROBLEM_TYPES[code].status);
      assert.equal(response.status, PROBLEM_TYPES[code].status);
      assert.equal(body.title, PROBLEM_TYPES[code].title);
      assert.ok(body.correlationId);
      assert.notEqual(body.type, 'about:blank');
    });

  it('should serve, at every type URI, a page that documents the code', async () => {
    for (const code of PROBLEM_CODES) {
      const response = await fetch(new URL(problemTypeUri(code), `${url}/documents/upload`));
      assert.equal(response.status, 200, code);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      const html = await response.text();
      assert.ok(html.includes(`<code id="code">${code}</code>`), code);
      assert.ok(html.includes(String(PROBLEM_TYPES[code].status)), code);
    }
    const index = await (await fetch(`${url}/problems`)).text();
    for (const code of PROBLEM_CODES) assert.ok(index.includes(`href="/problems/${code}"`), code);
  });

  it('should answer a problem type that does not exist with not_found', async () => {
    const response = await fetch(`${url}/problems/no_such_kind`);
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as Body).code, 'not_found');
  });

  it('should send every kind of the catalogue with its type and code (sendProblem and HttpProblem)', async () => {
    const app = express();
    app.use(requestId);
    app.get('/send/:code', (request, response) => sendProblem(response, request.params.code as ProblemCode));
    app.get('/throw/:code', (request) => {
      throw new HttpProblem(request.params.code as ProblemCode, { detail: 'This occurrence.' });
    });
    app.use(problemHandler({ logger: testLogger, development: false }));
    const local = await listen(app);
    try {
      for (const code of PROBLEM_CODES)
        for (const way of ['send', 'throw']) {
          const response = await fetch(`${local.url}/${way}/${code}`);
          const body = (await response.json()) as Body;
          assert.equal(response.status, PROBLEM_TYPES[code].status, `${way} ${code}`);
          assert.deepEqual(
            { type: body.type, code: body.code, title: body.title, status: body.status },
            { type: `/problems/${code}`, code, title: PROBLEM_TYPES[code].title, status: PROBLEM_TYPES[code].status },
          );
          if (way === 'throw') assert.equal(body.detail, 'This occurrence.');
        }
    } finally {
      local.server.close();
    }
  });

  it('should give the older shape (status and title) the default kind of its status', () => {
    assert.equal(new HttpProblem({ status: 404, title: 'Not Found', detail: 'x' }).problem.code, 'not_found');
    assert.equal(new HttpProblem({ status: 500, title: 'Oops' }).problem.code, 'internal');
  });

  it('should keep docs/errors.md in step with the catalogue', async () => {
    const committed = await readFile(new URL('docs/errors.md', ROOT), 'utf8');
    assert.ok(committed === errorsMarkdown(), 'docs/errors.md is stale: run node scripts/errorsDoc.ts');
    for (const code of PROBLEM_CODES) assert.ok(committed.includes(`| \`${code}\` |`), code);
  });

  it('should name a kind at every throw site in server/, and use every kind of the catalogue', async () => {
    const files = (await readdir(new URL('server', ROOT), { recursive: true })).filter((file) => file.endsWith('.ts'));
    let source = '';
    for (const file of files) {
      const text = await readFile(join(new URL('server', ROOT).pathname, file), 'utf8');
      assert.doesNotMatch(text, /new HttpProblem\(\{|sendProblem\(response, \{/, `${file}: name the kind`);
      if (!file.endsWith('problemTypes.ts')) source += text;
    }
    for (const code of PROBLEM_CODES) assert.ok(source.includes(`'${code}'`), `${code} is never answered`);
  });
});
