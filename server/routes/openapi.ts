import { type Router as ExpressRouter, Router } from 'express';
import { type ZodType, z } from 'zod';
import { MAX_UPLOAD_BYTES } from '../../domain/uploadLimits.ts';
import { DOCUMENT_TYPES, reasonSchema } from '../../machines/document.events.ts';
import { DOCUMENT_STATUSES } from '../../machines/document.machine.ts';
import { idParams, listQuery } from './documentRoutes.ts';
import { decisionBody, queueQuery } from './reviewRoutes.ts';
import { IDEMPOTENCY_KEY, uploadFields } from './uploadRoutes.ts';

/**
 * The OpenAPI 3.1 document, built from the zod schemas the routes validate with (params, queries,
 * bodies), so the description cannot drift from the checks. `/docs` renders it as a plain page
 * with no outside assets.
 */

const jsonSchema = (schema: ZodType) => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

/** Each property of an object schema as an OpenAPI parameter. */
const parameters = (schema: ZodType, location: 'path' | 'query') => {
  const object = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (object.required ?? []).includes(name),
    schema: property,
  }));
};

const evaluation = z
  .object({ score: z.number(), reasons: z.array(reasonSchema), policyVersion: z.string() })
  .nullable();
const documentResponse = z.object({
  id: z.uuid(),
  type: z.enum(DOCUMENT_TYPES),
  status: z.enum(DOCUMENT_STATUSES),
  gpuProcessed: z.boolean().nullable(),
  evaluation,
  fields: z.record(z.string(), z.string().nullable()).nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
const verdictResponse = z.object({
  documentId: z.uuid(),
  verdict: z.enum(['pending', 'approved', 'rejected', 'in_review']),
  status: z.enum(DOCUMENT_STATUSES),
  score: z.number().nullable(),
  reasons: z.array(reasonSchema),
  updatedAt: z.iso.datetime(),
});
const problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  correlationId: z.string(),
});

const json = (schema: ZodType) => ({ content: { 'application/json': { schema: jsonSchema(schema) } } });
/** The problem answers of an operation; every one may also answer 503 while the database is unreachable. */
const problems = (...statuses: number[]) =>
  Object.fromEntries(
    [...statuses, 503].map((status) => [
      String(status),
      { description: 'Problem', content: { 'application/problem+json': { schema: jsonSchema(problem) } } },
    ]),
  );
const secured = { security: [{ bearer: [] }] };

export function openApiDocument() {
  const id = parameters(idParams, 'path');
  return {
    openapi: '3.1.0',
    info: { title: 'FiLot KYC engine', version: '1', description: 'Verification of Indonesian KTP and NPWP cards.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths: {
      '/documents/upload': {
        post: {
          summary: 'Upload a KTP or NPWP card (JPEG, PNG or PDF, at most 2 MB)',
          ...secured,
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
            },
          ],
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  ...jsonSchema(uploadFields),
                  properties: {
                    ...(jsonSchema(uploadFields).properties as object),
                    file: {
                      type: 'string',
                      contentMediaType: 'application/octet-stream',
                      minLength: 1,
                      maxLength: MAX_UPLOAD_BYTES,
                      description:
                        'A JPEG, PNG or PDF, told by its first bytes (415 otherwise), that can be read: an image ' +
                        'whose header gives its size, a PDF within the documented limits (422 otherwise).',
                    },
                  },
                  required: ['type', 'file'],
                },
                encoding: { file: { contentType: 'image/jpeg, image/png, application/pdf' } },
              },
            },
          },
          responses: {
            '202': {
              description: 'Stored and queued',
              ...json(z.object({ id: z.uuid(), type: z.enum(DOCUMENT_TYPES), status: z.literal('uploaded') })),
            },
            ...problems(400, 401, 409, 413, 415, 422, 429),
          },
        },
      },
      '/documents': {
        get: {
          summary: "The caller's documents, newest first",
          ...secured,
          parameters: parameters(listQuery, 'query'),
          responses: {
            '200': {
              description: 'A page',
              ...json(z.object({ items: z.array(documentResponse), nextCursor: z.string().nullable() })),
            },
            ...problems(400, 401),
          },
        },
      },
      '/documents/{id}': {
        get: {
          summary: 'One document (NIK/NPWP masked for its owner)',
          ...secured,
          parameters: id,
          responses: { '200': { description: 'The document', ...json(documentResponse) }, ...problems(400, 401, 404) },
        },
      },
      '/documents/{id}/history': {
        get: {
          summary: 'Its transitions, oldest first',
          ...secured,
          parameters: id,
          responses: { '200': { description: 'The history' }, ...problems(400, 401, 404) },
        },
      },
      '/verification/{id}': {
        get: {
          summary: 'The verdict',
          ...secured,
          parameters: id,
          responses: {
            '200': { description: 'The verdict', ...json(verdictResponse) },
            ...problems(400, 401, 404, 429),
          },
        },
      },
      '/verification/{id}/events': {
        get: {
          summary: 'Server-Sent Events: the verdict now, then each change, until final',
          ...secured,
          parameters: id,
          responses: {
            '200': {
              description: '`verdict` events',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
            ...problems(400, 401, 404, 429),
          },
        },
      },
      '/internal/reviews': {
        get: {
          summary: 'Documents waiting for review, oldest first (reviewer, admin)',
          ...secured,
          parameters: parameters(queueQuery, 'query'),
          responses: { '200': { description: 'A page' }, ...problems(400, 401, 403) },
        },
      },
      '/internal/reviews/{id}': {
        get: {
          summary: 'Full detail, unmasked (reviewer, admin)',
          ...secured,
          parameters: id,
          responses: {
            '200': { description: 'The document', ...json(documentResponse) },
            ...problems(400, 401, 403, 404),
          },
        },
      },
      '/internal/reviews/{id}/image': {
        get: {
          summary: 'The uploaded image (reviewer, admin)',
          ...secured,
          parameters: id,
          responses: { '200': { description: 'The file as uploaded' }, ...problems(400, 401, 403, 404) },
        },
      },
      '/internal/reviews/{id}/decision': {
        post: {
          summary: 'Approve or reject a document in review (reviewer, admin)',
          ...secured,
          parameters: id,
          requestBody: { required: true, ...json(decisionBody) },
          responses: { '200': { description: 'The new status' }, ...problems(400, 401, 403, 404, 409) },
        },
      },
      '/health': { get: { summary: 'Liveness', responses: { '200': { description: 'Alive' } } } },
      '/ready': {
        get: {
          summary: 'Readiness of every dependency',
          responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready' } },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (bearer METRICS_TOKEN when configured)',
          responses: { '200': { description: 'Text format' } },
        },
      },
    },
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

export function openApiRoutes(): ExpressRouter {
  const router = Router();
  const document = openApiDocument();
  router.get('/openapi.json', (_request, response) => {
    response.json(document);
  });
  router.get('/docs', (_request, response) => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods as Record<string, { summary: string }>).map(
        ([method, operation]) =>
          `<section><h2><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h2><p>${escapeHtml(operation.summary)}</p>` +
          `<details><summary>Schema</summary><pre>${escapeHtml(JSON.stringify(operation, null, 2))}</pre></details></section>`,
      ),
    );
    response
      .type('html')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>FiLot KYC API</title>` +
          `<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}` +
          `h2{font-size:1rem;margin:1.5rem 0 .25rem}pre{background:#f4f4f4;padding:.75rem;overflow:auto}</style></head>` +
          `<body><h1>FiLot KYC API</h1><p>OpenAPI 3.1: <a href="/openapi.json">/openapi.json</a>. ` +
          `Authenticate with <code>Authorization: Bearer &lt;JWT&gt;</code>; errors are ` +
          `<code>application/problem+json</code>.</p>${operations.join('')}</body></html>`,
      );
  });
  return router;
}
