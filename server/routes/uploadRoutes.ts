import { createHash, randomUUID } from 'node:crypto';
import { type Router as ExpressRouter, type RequestHandler, Router } from 'express';
import { imageSize } from 'image-size';
import { z } from 'zod';
import type { IdempotencyKeys } from '../../adapters/postgres/idempotencyKeys.ts';
import { DOCUMENT_TYPES } from '../../machines/document.events.ts';
import type { Documents } from '../../runtime/documents.ts';
import type { DocumentStorage } from '../../runtime/ports.ts';
import type { createAuth, Principal } from '../http/auth.ts';
import { HttpProblem } from '../http/problems.ts';
import { readUpload, sniffMime } from './uploadParser.ts';

/**
 * `POST /documents/upload`: multipart `type` (KTP or NPWP) and `file` (JPEG, PNG or PDF by its magic
 * bytes, at most 2 MB, and for images at most `maxPixels` by its header, before anything decodes
 * it). The file is stored, the document row and its OCR job (outbox) are committed, and only then
 * is 202 sent. Nothing is left behind when any step fails.
 */
/** The form fields besides the file (the OpenAPI document describes the file beside it). */
export const uploadFields = z.strictObject({ type: z.enum(DOCUMENT_TYPES) });

/**
 * Whether a PDF can be drawn at a bounded cost, from its structure (adapters/ocr/pdfStructure.ts).
 * `code` is stable; `detail` is written for the client and names limits, never content.
 */
export type PdfInspection = (file: Uint8Array) => Promise<{ ok: true } | { ok: false; code: string; detail: string }>;

/** The shape of an `Idempotency-Key` (published in the OpenAPI document as its pattern). */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,255}$/;
/** Room for the multipart boundaries, headers and the `type` field around the file. */
const MULTIPART_OVERHEAD_BYTES = 16 * 1024;

export function uploadRoutes(deps: {
  auth: ReturnType<typeof createAuth>;
  documents: Pick<Documents, 'create'>;
  storage: DocumentStorage;
  idempotency: IdempotencyKeys;
  maxUploadBytes: number;
  maxPixels: number;
  uploadLimit?: RequestHandler;
  /** Checks a PDF's structure before it is stored; without it PDFs are only checked at OCR time. */
  inspectPdf?: PdfInspection;
}): ExpressRouter {
  const router = Router();
  const problem = (status: number, title: string, detail: string) => new HttpProblem({ status, title, detail });

  const limit: RequestHandler = deps.uploadLimit ?? ((_request, _response, next) => next());
  router.post('/documents/upload', deps.auth.authenticate, limit, async (request, response) => {
    const principal = response.locals.principal as Principal;
    const key = request.get('idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key))
      throw problem(400, 'Bad Request', 'Idempotency-Key must be 1–255 letters, digits, ".", "_", ":" or "-".');

    // A body declared far over the limit is refused before it is read at all.
    const declared = Number(request.get('content-length'));
    if (Number.isFinite(declared) && declared > deps.maxUploadBytes + MULTIPART_OVERHEAD_BYTES)
      throw problem(413, 'Content Too Large', `The file is larger than ${deps.maxUploadBytes} bytes.`);
    const { type, file } = await readUpload(request, deps.maxUploadBytes);
    const fields = uploadFields.safeParse({ type });
    if (!fields.success) throw problem(400, 'Bad Request', 'The field "type" must be KTP or NPWP.');
    if (!file || file.length === 0) throw problem(400, 'Bad Request', 'The field "file" must hold a non-empty file.');
    const mime = sniffMime(file);
    if (!mime) throw problem(415, 'Unsupported Media Type', 'The file must be a JPEG, PNG or PDF.');
    if (mime !== 'application/pdf') {
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
      if (pixels > deps.maxPixels) throw problem(413, 'Content Too Large', 'The image has too many pixels.');
    } else if (deps.inspectPdf) {
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

    const sha256 = createHash('sha256').update(file).digest();
    if (key !== undefined) {
      const requestSha = createHash('sha256').update(`${type}\u0000`).update(sha256).digest();
      const outcome = await deps.idempotency.begin(principal.id, key, requestSha);
      if (outcome.state === 'replay') {
        const body = outcome.body as { id: string };
        response.status(outcome.status).location(`/documents/${body.id}`).json(body);
        return;
      }
      if (outcome.state === 'mismatch')
        throw problem(422, 'Unprocessable Content', 'This Idempotency-Key was used with a different request.');
      if (outcome.state === 'in_progress')
        throw problem(409, 'Conflict', 'A request with this Idempotency-Key is still being processed.');
    }

    const id = randomUUID();
    // Fanned out over 256 directories by the id's first two hex digits: creating a file locks its
    // directory, so uploads written at once into one directory wait for each other.
    const storageKey = `documents/${id.slice(0, 2)}/${id}`;
    try {
      await deps.storage.put(storageKey, file);
      try {
        await deps.documents.create(
          {
            id,
            ownerId: principal.id,
            type: fields.data.type,
            storageKey,
            sha256,
            mime,
            sizeBytes: file.length,
            correlationId: response.locals.requestId as string,
          },
          { type: 'user', id: principal.id },
        );
      } catch (error) {
        await deps.storage.delete(storageKey);
        throw error;
      }
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
    response.status(202).location(`/documents/${id}`).json(body);
  });

  return router;
}
