import { createHash, randomUUID } from 'node:crypto';
import type { Router as ExpressRouter, Request, RequestHandler, Response } from 'express';
import { imageSize } from 'image-size';
import { z } from 'zod';
import { DOCUMENT_TYPES, type DocumentType } from '../../../domain/documentType.ts';
import { MAX_UPLOAD_BYTES } from '../../../domain/uploadLimits.ts';
import type { Documents } from '../../../runtime/documents/documents.ts';
import type { DocumentStorage, NewDocument } from '../../../runtime/ports.ts';
import type { createAuth, Principal } from '../../http/auth.ts';
import { HttpProblem } from '../../http/problems.ts';
import type { ProblemCode } from '../../http/problemTypes.ts';
import { json, jsonSchema, problems, secured } from '../../openapi/openApiSchemas.ts';
import { type RouteTable, routerFor } from '../../openapi/routeTable.ts';
import type { Applicants, IdempotencyKeys, PdfInspection } from '../../ports.ts';
import {
  canonicalMetadata,
  externalRefSchema,
  METADATA_MAX_JSON_BYTES,
  metadataSchema,
  parseMetadataField,
} from './clientReferences.ts';
import { claimKey, IDEMPOTENT_REPLAYED_HEADER, idempotencyKeyOf, idempotencyKeyParameter } from './idempotency.ts';
import { readUpload, sniffMime } from './uploadParser.ts';

/**
 * `POST /documents/upload`: multipart `type` (KTP or NPWP) and `file` (JPEG, PNG or PDF by its magic
 * bytes, at most 2 MB, and for images at most `maxPixels` by its header, before anything decodes
 * it). The file is stored, the document row and its OCR job (outbox) are committed, and only then
 * is 202 sent. Nothing is left behind when any step fails.
 */

/** The form fields besides the file (the OpenAPI document describes the file beside it). */
export const uploadFields = z.strictObject({
  type: z.enum(DOCUMENT_TYPES).describe('The card uploaded'),
  applicantId: z.uuid().optional().describe('The applicant (POST /applicants) this card belongs to: one of yours'),
  externalRef: externalRefSchema.optional(),
  // A JSON object in its form part (`encoding` says application/json; plain text of JSON is read too).
  metadata: metadataSchema.optional().describe(`${metadataSchema.description}. As JSON, e.g. {"loanId":"L-1042"}`),
});

/** What an upload names besides its card: its applicant, and the client's reference and metadata. */
type UploadReference = { applicantId?: string; externalRef?: string; metadata?: Record<string, string> };

/** What a stored upload answers (202), for the OpenAPI document. */
const uploadAccepted = z
  .object({
    id: z.uuid().describe('The new document id'),
    type: z.enum(DOCUMENT_TYPES),
    status: z.literal('uploaded'),
    applicantId: z.uuid().nullable().describe('The applicant the upload named, or null'),
    externalRef: z.string().nullable().describe("The client's reference, as sent, or null"),
    metadata: z.record(z.string(), z.string()).describe('The metadata, as sent ({} when none)'),
    links: z.object({ self: z.string(), verification: z.string() }),
  })
  .meta({
    id: 'UploadAccepted',
    description: 'The document was stored and queued for verification',
    examples: [
      {
        id: '0f8e6a4c-2b1d-4c3e-9f5a-7b6c5d4e3f2a',
        type: 'KTP',
        status: 'uploaded',
        applicantId: null,
        externalRef: 'borrower-1042',
        metadata: { loanId: 'L-1042' },
        links: {
          self: '/documents/0f8e6a4c-2b1d-4c3e-9f5a-7b6c5d4e3f2a',
          verification: '/verification/0f8e6a4c-2b1d-4c3e-9f5a-7b6c5d4e3f2a',
        },
      },
    ],
  });

/** Room for the multipart boundaries, headers and the `type` field around the file. */
const MULTIPART_OVERHEAD_BYTES = 16 * 1024 + METADATA_MAX_JSON_BYTES;

export const uploadRouteTable = {
  upload: {
    method: 'post',
    path: '/documents/upload',
    operation: {
      operationId: 'uploadDocument',
      summary: 'Upload a KTP or NPWP card (JPEG, PNG or PDF, at most 2 MB)',
      ...secured,
      parameters: [idempotencyKeyParameter('the upload')],
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
            encoding: {
              file: { contentType: 'image/jpeg, image/png, application/pdf' },
              metadata: { contentType: 'application/json' },
            },
          },
        },
      },
      responses: {
        '202': {
          description:
            'Stored and queued; `Location` is the document. A replay under the same `Idempotency-Key` answers the first answer again, with `Idempotent-Replayed: true`',
          headers: {
            Location: { description: 'The new document', schema: { type: 'string' } },
            ...IDEMPOTENT_REPLAYED_HEADER,
          },
          ...json(uploadAccepted),
        },
        ...problems(
          400,
          401,
          'idempotency_in_progress',
          413,
          415,
          'idempotency_key_reused',
          'unprocessable_file',
          'unknown_applicant',
          429,
        ),
      },
    },
  },
} as const satisfies RouteTable;

type UploadDeps = {
  auth: ReturnType<typeof createAuth>;
  /** To check that an upload's applicant is the caller's. */
  applicants: Pick<Applicants, 'get'>;
  documents: Pick<Documents, 'create'>;
  storage: DocumentStorage;
  idempotency: IdempotencyKeys;
  maxUploadBytes: number;
  maxPixels: number;
  uploadLimit?: RequestHandler;
  /** Checks a PDF's structure before it is stored; without it PDFs are only checked at OCR time. */
  inspectPdf?: PdfInspection;
};

const problem = (kind: ProblemCode, detail: string) => new HttpProblem(kind, { detail });

export function uploadRoutes(deps: UploadDeps): ExpressRouter {
  const limit: RequestHandler = deps.uploadLimit ?? ((_request, _response, next) => next());
  const upload: RequestHandler = async (request, response) => {
    const principal = response.locals.principal as Principal;
    const key = idempotencyKeyOf(request);
    refuseDeclaredOversize(request, deps.maxUploadBytes);
    const { type, file, reference } = await readCard(request, deps.maxUploadBytes);
    const mime = await checkContent(file, deps);
    if (reference.applicantId !== undefined) {
      // Another owner's applicant is answered as no applicant at all: its existence is not theirs to learn.
      const applicant = await deps.applicants.get(reference.applicantId);
      if (applicant?.ownerId !== principal.id)
        throw problem('unknown_applicant', 'The field "applicantId" names no applicant of yours.');
    }
    const sha256 = createHash('sha256').update(file).digest();
    if (key !== undefined) {
      const replay = await claimKey(deps.idempotency, principal.id, key, requestDigest(type, sha256, reference));
      if (replay) {
        // The stored answer, marked so the client can tell that no second document was created.
        response.setHeader('Idempotent-Replayed', 'true');
        return answer(response, replay.status, replay.body);
      }
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
          ...reference,
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
      applicantId: reference.applicantId ?? null,
      externalRef: reference.externalRef ?? null,
      metadata: reference.metadata ?? {},
      links: { self: `/documents/${id}`, verification: `/verification/${id}` },
    };
    if (key !== undefined) await deps.idempotency.complete(principal.id, key, id, 202, body);
    answer(response, 202, body);
  };
  return routerFor(uploadRouteTable, { upload: [deps.auth.authenticate, limit, upload] });
}

/** A body declared far over the limit is refused before it is read at all. */
function refuseDeclaredOversize(request: Request, maxUploadBytes: number): void {
  const declared = Number(request.get('content-length'));
  if (Number.isFinite(declared) && declared > maxUploadBytes + MULTIPART_OVERHEAD_BYTES)
    throw problem('payload_too_large', `The file is larger than ${maxUploadBytes} bytes.`);
}

/** The form, read whole: a known document type, a non-empty file, and what else the upload names. */
async function readCard(
  request: Request,
  maxUploadBytes: number,
): Promise<{ type: DocumentType; file: Buffer; reference: UploadReference }> {
  const { fields, file } = await readUpload(request, maxUploadBytes);
  const type = uploadFields.shape.type.safeParse(fields.type);
  if (!type.success) throw problem('validation_failed', 'The field "type" must be KTP or NPWP.');
  if (!file || file.length === 0) throw problem('validation_failed', 'The field "file" must hold a non-empty file.');
  const reference: UploadReference = {};
  if (fields.applicantId !== undefined) {
    if (!uploadFields.shape.applicantId.safeParse(fields.applicantId).success)
      throw problem('validation_failed', 'The field "applicantId" must be an applicant id (a UUID).');
    reference.applicantId = fields.applicantId.toLowerCase();
  }
  if (fields.externalRef !== undefined) {
    const externalRef = externalRefSchema.safeParse(fields.externalRef);
    if (!externalRef.success)
      throw problem('validation_failed', `The field "externalRef": ${externalRef.error.issues[0]?.message}.`);
    reference.externalRef = externalRef.data;
  }
  if (fields.metadata !== undefined) {
    const metadata = parseMetadataField(fields.metadata);
    if (!metadata.ok) throw problem('validation_failed', metadata.message);
    reference.metadata = metadata.metadata;
  }
  return { type: type.data, file, reference };
}

/** The file's format by its first bytes, once it is known that OCR can read it at a bounded cost. */
async function checkContent(
  file: Buffer,
  deps: Pick<UploadDeps, 'maxPixels' | 'inspectPdf'>,
): Promise<NewDocument['mime']> {
  const mime = sniffMime(file);
  if (!mime) throw problem('unsupported_media_type', 'The file must be a JPEG, PNG or PDF.');
  if (mime !== 'application/pdf') checkImageSize(file, deps.maxPixels);
  else if (deps.inspectPdf) {
    // A few kilobytes of nested forms can hold an OCR thread for minutes: refused before it is stored.
    const verdict = await deps.inspectPdf(file);
    if (!verdict.ok)
      throw new HttpProblem('unprocessable_file', {
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
    throw problem('unprocessable_file', 'The image cannot be read.');
  }
  if (pixels === 0) throw problem('unprocessable_file', 'The image has no size.');
  if (pixels > maxPixels) throw problem('payload_too_large', 'The image has too many pixels.');
}

/** What an Idempotency-Key is bound to: the document type, the file, and what else the upload names. */
const requestDigest = (type: DocumentType, fileSha256: Buffer, reference: UploadReference) => {
  const digest = createHash('sha256').update(`${type}\u0000`).update(fileSha256);
  if (reference.applicantId || reference.externalRef || reference.metadata)
    digest.update(
      JSON.stringify([
        reference.applicantId ?? null,
        reference.externalRef ?? null,
        canonicalMetadata(reference.metadata),
      ]),
    );
  return digest.digest();
};

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
