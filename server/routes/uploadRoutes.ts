import { createHash, randomUUID } from 'node:crypto';
import type { Router as ExpressRouter, Request, RequestHandler, Response } from 'express';
import { imageSize } from 'image-size';
import { z } from 'zod';
import { DOCUMENT_TYPES, type DocumentType } from '../../domain/documentType.ts';
import { MAX_UPLOAD_BYTES } from '../../domain/uploadLimits.ts';
import type { Documents } from '../../runtime/documents/documents.ts';
import type { DocumentStorage, NewDocument } from '../../runtime/ports.ts';
import type { createAuth, Principal } from '../http/auth.ts';
import { HttpProblem } from '../http/problems.ts';
import { json, jsonSchema, problems, secured } from '../openapi/openApiSchemas.ts';
import { type RouteTable, routerFor } from '../openapi/routeTable.ts';
import type { IdempotencyKeys, PdfInspection } from '../ports.ts';
import { readUpload, sniffMime } from './uploadParser.ts';

/**
 * `POST /documents/upload`: multipart `type` (KTP or NPWP) and `file` (JPEG, PNG or PDF by its magic
 * bytes, at most 2 MB, and for images at most `maxPixels` by its header, before anything decodes
 * it). The file is stored, the document row and its OCR job (outbox) are committed, and only then
 * is 202 sent. Nothing is left behind when any step fails.
 */

/** The form fields besides the file (the OpenAPI document describes the file beside it). */
export const uploadFields = z.strictObject({ type: z.enum(DOCUMENT_TYPES) });

/** The shape of an `Idempotency-Key` (published in the OpenAPI document as its pattern). */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,255}$/;
/** Room for the multipart boundaries, headers and the `type` field around the file. */
const MULTIPART_OVERHEAD_BYTES = 16 * 1024;

export const uploadRouteTable = {
  upload: {
    method: 'post',
    path: '/documents/upload',
    operation: {
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
} as const satisfies RouteTable;

type UploadDeps = {
  auth: ReturnType<typeof createAuth>;
  documents: Pick<Documents, 'create'>;
  storage: DocumentStorage;
  idempotency: IdempotencyKeys;
  maxUploadBytes: number;
  maxPixels: number;
  uploadLimit?: RequestHandler;
  /** Checks a PDF's structure before it is stored; without it PDFs are only checked at OCR time. */
  inspectPdf?: PdfInspection;
};

const problem = (status: number, title: string, detail: string) => new HttpProblem({ status, title, detail });

export function uploadRoutes(deps: UploadDeps): ExpressRouter {
  const limit: RequestHandler = deps.uploadLimit ?? ((_request, _response, next) => next());
  const upload: RequestHandler = async (request, response) => {
    const principal = response.locals.principal as Principal;
    const key = idempotencyKeyOf(request);
    refuseDeclaredOversize(request, deps.maxUploadBytes);
    const { type, file } = await readCard(request, deps.maxUploadBytes);
    const mime = await checkContent(file, deps);
    const sha256 = createHash('sha256').update(file).digest();
    if (key !== undefined) {
      const replay = await claimKey(deps.idempotency, principal.id, key, requestDigest(type, sha256));
      if (replay) return answer(response, replay.status, replay.body);
    }
    const id = randomUUID();
    try {
      await storeAndCreate(
        deps,
        {
          id,
          ownerId: principal.id,
          type,
          storageKey: storageKeyOf(id),
          sha256,
          mime,
          sizeBytes: file.length,
          correlationId: response.locals.requestId as string,
        },
        file,
      );
    } catch (error) {
      if (key !== undefined) await deps.idempotency.abandon(principal.id, key);
      throw error;
    }
    const body = {
      id,
      type,
      status: 'uploaded',
      links: { self: `/documents/${id}`, verification: `/verification/${id}` },
    };
    if (key !== undefined) await deps.idempotency.complete(principal.id, key, id, 202, body);
    answer(response, 202, body);
  };
  return routerFor(uploadRouteTable, { upload: [deps.auth.authenticate, limit, upload] });
}

/** The request's `Idempotency-Key`, if it sent one of the published shape. */
function idempotencyKeyOf(request: Request): string | undefined {
  const key = request.get('idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key))
    throw problem(400, 'Bad Request', 'Idempotency-Key must be 1–255 letters, digits, ".", "_", ":" or "-".');
  return key;
}

/** A body declared far over the limit is refused before it is read at all. */
function refuseDeclaredOversize(request: Request, maxUploadBytes: number): void {
  const declared = Number(request.get('content-length'));
  if (Number.isFinite(declared) && declared > maxUploadBytes + MULTIPART_OVERHEAD_BYTES)
    throw problem(413, 'Content Too Large', `The file is larger than ${maxUploadBytes} bytes.`);
}

/** The form, read whole: a known document type and a non-empty file. */
async function readCard(request: Request, maxUploadBytes: number): Promise<{ type: DocumentType; file: Buffer }> {
  const { type, file } = await readUpload(request, maxUploadBytes);
  const fields = uploadFields.safeParse({ type });
  if (!fields.success) throw problem(400, 'Bad Request', 'The field "type" must be KTP or NPWP.');
  if (!file || file.length === 0) throw problem(400, 'Bad Request', 'The field "file" must hold a non-empty file.');
  return { type: fields.data.type, file };
}

/** The file's format by its first bytes, once it is known that OCR can read it at a bounded cost. */
async function checkContent(
  file: Buffer,
  deps: Pick<UploadDeps, 'maxPixels' | 'inspectPdf'>,
): Promise<NewDocument['mime']> {
  const mime = sniffMime(file);
  if (!mime) throw problem(415, 'Unsupported Media Type', 'The file must be a JPEG, PNG or PDF.');
  if (mime !== 'application/pdf') checkImageSize(file, deps.maxPixels);
  else if (deps.inspectPdf) {
    // A few kilobytes of nested forms can hold an OCR thread for minutes: refused before it is stored.
    const verdict = await deps.inspectPdf(file);
    if (!verdict.ok)
      throw new HttpProblem({
        status: 422,
        title: 'Unprocessable Content',
        detail: verdict.detail,
        errors: [{ path: 'file', code: verdict.code, message: verdict.detail }],
      });
  }
  return mime;
}

function checkImageSize(file: Buffer, maxPixels: number): void {
  let pixels: number;
  try {
    // The header only, parsed in JavaScript: a decompression bomb is refused before a single
    // pixel is decoded, and without a trip through libvips (about 0.5 ms of CPU per upload).
    const { width, height } = imageSize(file);
    pixels = width * height;
  } catch {
    throw problem(422, 'Unprocessable Content', 'The image cannot be read.');
  }
  if (pixels === 0) throw problem(422, 'Unprocessable Content', 'The image has no size.');
  if (pixels > maxPixels) throw problem(413, 'Content Too Large', 'The image has too many pixels.');
}

/** What an Idempotency-Key is bound to: the document type and the file. */
const requestDigest = (type: DocumentType, fileSha256: Buffer) =>
  createHash('sha256').update(`${type}\u0000`).update(fileSha256).digest();

/**
 * Claims the key for this request. Returns the stored answer when the same request was answered
 * before, nothing when this request goes ahead; another request under the key is refused.
 */
async function claimKey(
  idempotency: IdempotencyKeys,
  ownerId: string,
  key: string,
  digest: Buffer,
): Promise<{ status: number; body: { id: string } } | undefined> {
  const outcome = await idempotency.begin(ownerId, key, digest);
  if (outcome.state === 'replay') return { status: outcome.status, body: outcome.body as { id: string } };
  if (outcome.state === 'mismatch')
    throw problem(422, 'Unprocessable Content', 'This Idempotency-Key was used with a different request.');
  if (outcome.state === 'in_progress')
    throw problem(409, 'Conflict', 'A request with this Idempotency-Key is still being processed.');
  return undefined;
}

/**
 * Fanned out over 256 directories by the id's first two hex digits: creating a file locks its
 * directory, so uploads written at once into one directory wait for each other.
 */
const storageKeyOf = (id: string) => `documents/${id.slice(0, 2)}/${id}`;

/** Stores the file, then commits the document (and its OCR job); a failed commit removes the file again. */
async function storeAndCreate(deps: Pick<UploadDeps, 'storage' | 'documents'>, document: NewDocument, file: Buffer) {
  await deps.storage.put(document.storageKey, file);
  try {
    await deps.documents.create(document, { type: 'user', id: document.ownerId });
  } catch (error) {
    await deps.storage.delete(document.storageKey);
    throw error;
  }
}

function answer(response: Response, status: number, body: { id: string }): void {
  response.status(status).location(`/documents/${body.id}`).json(body);
}
