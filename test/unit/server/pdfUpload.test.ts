import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import jwt from 'jsonwebtoken';
import { inspectPdf } from '../../../adapters/ocr/input/pdfStructure.ts';
import { loadConfig } from '../../../config/index.ts';
import { createAuth } from '../../../server/http/auth.ts';
import { problemHandler } from '../../../server/http/problems.ts';
import { requestId } from '../../../server/http/requestId.ts';
import type { IdempotencyKeys } from '../../../server/ports.ts';
import { uploadRoutes } from '../../../server/routes/client/uploadRoutes.ts';
import { testLogger } from '../../support/harness.ts';
import { nestedFormPdf } from '../../support/nestedFormPdf.ts';

const secret = randomBytes(32).toString('base64');
const jwtSettings = loadConfig({ JWT_SECRET: secret }).jwt;
const token = jwt.sign({ role: 'user' }, secret, {
  algorithm: 'HS256',
  subject: 'owner-pdf',
  issuer: jwtSettings.issuer,
  audience: jwtSettings.audience,
  expiresIn: '5m',
});

describe('POST /documents/upload with a PDF', () => {
  const stored: string[] = [];
  const created: string[] = [];
  let server: Server;
  let url: string;
  before(async () => {
    const app = express();
    app.use(requestId);
    app.use(
      uploadRoutes({
        auth: createAuth(jwtSettings),
        applicants: { get: async () => null },
        documents: {
          create: async (document) => {
            created.push(document.id);
            return undefined as never;
          },
        },
        storage: {
          put: async (key) => {
            stored.push(key);
          },
          get: async () => Buffer.alloc(0),
          delete: async () => {},
        },
        idempotency: {} as IdempotencyKeys,
        maxUploadBytes: 2 * 1024 * 1024,
        maxPixels: 50_000_000,
        inspectPdf,
      }),
    );
    app.use(problemHandler({ logger: testLogger, development: false }));
    server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
  });

  const upload = (pdf: Buffer) => {
    const form = new FormData();
    form.append('type', 'KTP');
    form.append('file', new Blob([pdf], { type: 'application/pdf' }), 'card.pdf');
    return fetch(`${url}/documents/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
  };

  it('should refuse forms nested 8 deep with 422 problem+json naming the limit, and store nothing', async () => {
    const response = await upload(nestedFormPdf({ depth: 8, fanOut: 10 }));
    assert.equal(response.status, 422);
    assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    const body = (await response.json()) as { detail: string; errors: { path: string; code: string }[] };
    assert.equal(body.detail, 'The PDF nests forms more than 6 deep.');
    assert.deepEqual(
      body.errors.map((error) => [error.path, error.code]),
      [['file', 'pdf_forms_too_deep']],
    );
    assert.deepEqual(stored, []);
    assert.deepEqual(created, []);
  });

  it('should refuse forms that draw themselves and files that paint too much, storing nothing', async () => {
    for (const [pdf, code] of [
      [nestedFormPdf({ depth: 2, fanOut: 3, cycle: true }), 'pdf_form_cycle'],
      [nestedFormPdf({ depth: 5, fanOut: 10 }), 'pdf_too_many_paints'],
    ] as const) {
      const response = await upload(pdf);
      assert.equal(response.status, 422, code);
      const body = (await response.json()) as { errors: { code: string }[] };
      assert.equal(body.errors[0]?.code, code);
    }
    assert.deepEqual(stored, []);
    assert.deepEqual(created, []);
  });

  it('should take a scanned card PDF', async () => {
    const response = await upload(nestedFormPdf({ depth: 0, fanOut: 1 }));
    assert.equal(response.status, 202);
    const body = (await response.json()) as { id: string };
    assert.deepEqual(created, [body.id]);
    assert.equal(stored.length, 1);
  });
});
