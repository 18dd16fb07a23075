import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/**
 * Every request gets a correlation id, echoed in `X-Request-Id`, written to every log line of the
 * request and stored with what the request creates (`documents.correlation_id`). A caller's own id
 * is kept only when it is a UUID or a ULID, shapes that are random by design; anything else, which
 * could be a NIK, a phone number or an e-mail address a client happened to use, is replaced by a
 * new UUID and goes nowhere.
 */
const UUID = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i;
const ULID = /^[0-7][\dA-HJKMNP-TV-Z]{25}$/i;
/** A ULID's 26 characters could spell a NIK; its random part almost never holds nine digits in a row. */
const LONG_DIGIT_RUN = /\d{9}/;

export function acceptedRequestId(offered: string | undefined): string | null {
  if (!offered) return null;
  if (UUID.test(offered)) return offered.toLowerCase();
  if (ULID.test(offered) && !LONG_DIGIT_RUN.test(offered)) return offered.toUpperCase();
  return null;
}

export const requestId: RequestHandler = (request, response, next) => {
  const id = acceptedRequestId(request.get('x-request-id')) ?? randomUUID();
  response.locals.requestId = id;
  response.setHeader('X-Request-Id', id);
  next();
};
