/**
 * Every kind of problem the API answers with, declared once: its `code`, the HTTP status, a title
 * that is the same for every problem of the kind (RFC 9457 §3.1.3), and what it means for a client.
 * A problem's `type` is the URI of the page that documents its kind (`/problems/<code>`, served by
 * problemPages.ts, relative to the service that answered); docs/errors.md is written from this table
 * (scripts/errorsDoc.ts, checked by test/unit/server/problemTypes.test.ts).
 */

export type ProblemType = {
  status: number;
  title: string;
  /** For the client developer: when it happens, and what to do about it. */
  description: string;
};

export const PROBLEM_TYPES = {
  validation_failed: {
    status: 400,
    title: 'Request not valid',
    description:
      'A path parameter, query parameter, header or body field breaks a rule of the operation. `errors` lists ' +
      'each issue as `{ path, message }` (never the value sent). Fix the request; sending it again unchanged ' +
      'gets the same answer.',
  },
  malformed_request: {
    status: 400,
    title: 'Request cannot be read',
    description:
      'The request cannot be parsed at all: a JSON body that is not JSON, form data that is not ' +
      '`multipart/form-data` or ends inside a part, unexpected form fields, or a URL that cannot be ' +
      'percent-decoded.',
  },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    description:
      'No valid credential: the `Authorization: Bearer <JWT>` header is missing, the token is malformed, ' +
      'expired, or not signed for this service (on `/metrics`: the metrics token is missing or wrong). ' +
      'Answered with `WWW-Authenticate`. Get a new token and try again.',
  },
  invalid_signature: {
    status: 401,
    title: 'Signature not valid',
    description:
      'A BULI2 callback without a valid, current `X-Buli2-Signature` (HMAC-SHA256 over `t.body`, at most ' +
      '5 minutes from our clock). Nothing was read from the body.',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    description:
      'The token is valid but its role may not use this operation (the review API is for reviewers and admins).',
  },
  invalid_link: {
    status: 403,
    title: 'Link not valid',
    description: 'A signed image link whose signature does not match, or that has expired. Ask for a new link.',
  },
  not_found: {
    status: 404,
    title: 'Not found',
    description:
      'No such resource, or none the caller may see: a document of another user answers the same as one ' +
      'that does not exist. Also the answer for a path the service does not serve.',
  },
  method_not_allowed: {
    status: 405,
    title: 'Method not allowed',
    description: 'The path exists but not with this method; `Allow` lists the methods it serves.',
  },
  illegal_transition: {
    status: 409,
    title: 'Not allowed in this status',
    description:
      "The document's status does not allow this change (for example a decision on a document that was " +
      'never in review). Read the document to see its status.',
  },
  not_in_review: {
    status: 409,
    title: 'Not in review',
    description: 'A review action on a document that is not waiting for review (it was decided, or never needed one).',
  },
  claim_held: {
    status: 409,
    title: 'Claimed by another reviewer',
    description:
      'Another reviewer holds a live claim on the document, so nobody else claims or decides it until the claim ' +
      'is released or lapses. `claim` names the holder and when the claim lapses.',
  },
  decided_already: {
    status: 409,
    title: 'Decided already',
    description: 'The review has been decided otherwise; this decision changed nothing.',
  },
  idempotency_in_progress: {
    status: 409,
    title: 'Idempotent request in progress',
    description:
      'A request with the same `Idempotency-Key` is still being processed. Wait a moment and send it again: ' +
      'once the first one is answered, the same answer is replayed (with `Idempotent-Replayed: true`).',
  },
  payload_too_large: {
    status: 413,
    title: 'Content too large',
    description: 'The body, the file (at most 2 MB) or the image (by its pixel count) is larger than allowed.',
  },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported media type',
    description: 'The file is not a JPEG, PNG or PDF, told by its first bytes (not by its name or declared type).',
  },
  idempotency_key_reused: {
    status: 422,
    title: 'Idempotency-Key reused',
    description:
      'This `Idempotency-Key` was used before with a different request (another document type, file, applicant, ' +
      'reference or metadata). Use a ' +
      'new key for a new request.',
  },
  unprocessable_file: {
    status: 422,
    title: 'File cannot be processed',
    description:
      'The file has an accepted format but cannot be read at a bounded cost: an image whose header gives no ' +
      'size, or a PDF outside the documented limits. `errors[0].code` says which.',
  },
  unknown_applicant: {
    status: 422,
    title: 'No such applicant',
    description:
      'The upload names an applicant (`applicantId`) that does not exist or is not yours. Create one with ' +
      '`POST /applicants`, or upload without it. Nothing was stored.',
  },
  rate_limited: {
    status: 429,
    title: 'Too many requests',
    description:
      'The caller (by user and by IP) spent its requests for the window. Wait for `Retry-After` seconds; the ' +
      '`RateLimit-*` headers say the limit and when it resets.',
  },
  too_many_streams: {
    status: 429,
    title: 'Too many event streams',
    description: 'The caller has too many open event streams. Close one, or poll `GET /verification/{id}` instead.',
  },
  internal: {
    status: 500,
    title: 'Internal server error',
    description:
      'A fault on our side; it is logged. Quote the `correlationId` (also the `X-Request-Id` header) when you ' +
      'contact us.',
  },
  service_unavailable: {
    status: 503,
    title: 'Service unavailable',
    description:
      "A service this request needs (the database, the review workflows, the identity provider's signing keys) cannot be reached for a moment. " +
      'Nothing was changed; try again after `Retry-After` seconds.',
  },
  document_contended: {
    status: 503,
    title: 'Document busy',
    description:
      'The document was being changed by other requests through every retry. Nothing was changed; try again ' +
      'after `Retry-After` seconds.',
  },
} as const satisfies Record<string, ProblemType>;

export type ProblemCode = keyof typeof PROBLEM_TYPES;

export const PROBLEM_CODES = Object.keys(PROBLEM_TYPES) as ProblemCode[];

/** Where each kind is documented; a problem's `type`. */
export const PROBLEM_PAGES_PATH = '/problems';
export const problemTypeUri = (code: ProblemCode) => `${PROBLEM_PAGES_PATH}/${code}`;

export const isProblemCode = (value: string): value is ProblemCode => Object.hasOwn(PROBLEM_TYPES, value);

/** The kind for a status when a throw site names none (errors from express or body-parser). */
export function defaultKindFor(status: number): ProblemCode {
  const fallback: Record<number, ProblemCode> = {
    400: 'validation_failed',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    405: 'method_not_allowed',
    409: 'illegal_transition',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
    422: 'unprocessable_file',
    429: 'rate_limited',
    503: 'service_unavailable',
  };
  return fallback[status] ?? (status >= 500 ? 'internal' : 'malformed_request');
}
