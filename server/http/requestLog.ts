import type { RequestHandler } from 'express';
import type { Logger } from '../../runtime/ports.ts';

/**
 * One `http.request` line per finished request: method, path (never the query string, which may
 * carry cursors or identifiers), status, duration and the correlation id. Values pass through the
 * logger's PII mask like every other line.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (request, response, next) => {
    const started = performance.now();
    response.on('finish', () => {
      logger.info('http.request', {
        method: request.method,
        path: request.path,
        status: response.statusCode,
        ms: Math.round(performance.now() - started),
        correlationId: response.locals.requestId,
      });
    });
    next();
  };
}
