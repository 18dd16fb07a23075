import type { RequestHandler } from 'express';
import { sendProblem } from './problems.ts';

/**
 * A path the API serves, asked with a method it does not serve (TRACE, DELETE …), gets 405 with
 * `Allow`, not 404: the resource exists. The paths and methods are the OpenAPI document's, so the
 * answer cannot drift from the routes it describes. Runs after the routes, before the 404.
 */
export function methodNotAllowed(
  paths: Record<string, Record<string, unknown>>,
  options: {
    /**
     * Only paths without parameters, outside /internal: registered before the routes, so that a
     * literal path another route's parameter would also match (`GET /documents/upload` against
     * `/documents/{id}`) is answered as the literal resource (405), not as a bad id. /internal stays
     * out: there, anyone but staff learns nothing of its routes (routes/reviewRoutes.ts).
     */
    literalPublicOnly?: boolean;
  } = {},
): RequestHandler {
  const entries = Object.entries(paths).filter(
    ([template]) => !options.literalPublicOnly || (!template.includes('{') && !template.startsWith('/internal/')),
  );
  const routes = entries.map(([template, operations]) => {
    const methods = Object.keys(operations).map((method) => method.toUpperCase());
    // express answers HEAD for every GET route, and the CORS middleware answers OPTIONS.
    const allowed = [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'];
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+')}/?$`);
    return { pattern, allowed };
  });
  return (request, response, next) => {
    const route = routes.find(({ pattern }) => pattern.test(request.path));
    if (!route || route.allowed.includes(request.method)) return next();
    response.setHeader('Allow', route.allowed.join(', '));
    sendProblem(response, 'method_not_allowed', {
      detail: `${request.method} is not served here; see Allow.`,
    });
  };
}
