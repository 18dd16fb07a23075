import busboy from 'busboy';
import type { Request } from 'express';
import { HttpProblem } from '../../http/problems.ts';
import { METADATA_MAX_JSON_BYTES } from './clientReferences.ts';

/**
 * Reads a `multipart/form-data` upload with the fields `type` and `file`, and optionally
 * `applicantId`, `externalRef` and `metadata` (each at most once, at most the longest metadata's JSON), streamed and kept
 * in memory (at most `maxBytes`, 2 MB by default), so no temporary file exists to be left behind.
 * Everything else is a clear 4xx: no multipart, an unknown or repeated field, a second file, an
 * empty or oversized file, a form cut off in the middle, a client that goes away mid-body.
 *
 * Every emitter here has an 'error' listener: busboy emits 'error' on the file stream as well as on
 * itself when the form ends inside a part, and an 'error' with no listener takes the process down.
 */
export const UPLOAD_FIELDS = ['type', 'applicantId', 'externalRef', 'metadata'] as const;
export type UploadField = (typeof UPLOAD_FIELDS)[number];
export type ParsedUpload = { fields: Partial<Record<UploadField, string>>; file: Buffer | undefined };

/** The longest form field (the metadata's JSON); a longer one is refused, never cut. */
const MAX_FIELD_BYTES = METADATA_MAX_JSON_BYTES;
const isUploadField = (name: string): name is UploadField => (UPLOAD_FIELDS as readonly string[]).includes(name);

const badRequest = (detail: string) => new HttpProblem('malformed_request', { detail });
const MALFORMED = 'The form data is malformed or ends in the middle of a part.';

export function readUpload(request: Request, maxBytes: number): Promise<ParsedUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        limits: {
          fileSize: maxBytes,
          files: 1,
          fields: UPLOAD_FIELDS.length,
          fieldSize: MAX_FIELD_BYTES,
          // busboy says 'partsLimit' on reaching the limit, not on passing it: one more than a full form.
          parts: UPLOAD_FIELDS.length + 2,
        },
      });
    } catch {
      reject(badRequest('Send multipart/form-data.'));
      return;
    }
    const fields: ParsedUpload['fields'] = {};
    let file: Buffer | undefined;
    let failure: HttpProblem | undefined;
    let settled = false;
    const fail = (problem: HttpProblem) => {
      failure ??= problem;
    };
    const settle = () => {
      if (settled) return;
      settled = true;
      if (failure) {
        // Stop feeding the parser, and drain what the client still sends so that the answer can
        // go out on this connection instead of a reset.
        request.unpipe(parser);
        request.resume();
        reject(failure);
      } else resolve({ fields, file });
    };

    parser.on('field', (name, value, info) => {
      if (!isUploadField(name) || fields[name] !== undefined)
        return fail(badRequest(`Unexpected form field "${name.slice(0, 32)}".`));
      if (info.valueTruncated || info.nameTruncated)
        return fail(badRequest(`The form field "${name}" is longer than ${MAX_FIELD_BYTES} bytes.`));
      fields[name] = value;
    });
    parser.on('file', (name, stream) => {
      stream.on('error', () => fail(badRequest(MALFORMED)));
      if (name !== 'file' || file !== undefined) {
        stream.resume();
        return fail(badRequest('Send one file, in the field "file".'));
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () =>
        fail(new HttpProblem('payload_too_large', { detail: `The file is larger than ${maxBytes} bytes.` })),
      );
      stream.on('end', () => {
        file = Buffer.concat(chunks);
      });
    });
    for (const limit of ['partsLimit', 'filesLimit', 'fieldsLimit'] as const)
      parser.on(limit, () => fail(badRequest('Too many form parts.')));
    parser.on('error', () => {
      fail(badRequest(MALFORMED));
      settle();
    });
    parser.on('close', settle);
    // A client that disconnects mid-body: the parser never sees the end of the form.
    request.on('error', () => {
      fail(badRequest('The upload was interrupted.'));
      settle();
    });
    request.on('close', () => {
      if (request.complete) return;
      fail(badRequest('The upload was interrupted.'));
      settle();
    });
    request.pipe(parser);
  });
}

/** The format by its magic bytes; the declared Content-Type and file name are not trusted. */
export function sniffMime(bytes: Buffer): 'image/jpeg' | 'image/png' | 'application/pdf' | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  return null;
}
