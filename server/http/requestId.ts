import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/**
 * Every request gets a correlation id: the caller's `X-Request-Id` when it is well-formed (so a
 * client can follow its request through our logs), a new UUID otherwise (so a malformed or hostile
 * header never reaches a log line). It is echoed in the response and in every problem document.
 */
const WELL_FORMED = /^[A-Za-z0-9._:-]{8,128}$/;

export const requestId: RequestHandler = (request, response, next) => {
  const offered = request.get('x-request-id');
  const id = offered && WELL_FORMED.test(offered) ? offered : randomUUID();
  response.locals.requestId = id;
  response.setHeader('X-Request-Id', id);
  next();
};
