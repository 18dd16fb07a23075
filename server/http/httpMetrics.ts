import type { Request, RequestHandler } from 'express';

/**
 * HTTP latency per route (`filot_http_request_duration_ms`). The labels are bounded: the method
 * (unknown ones as `OTHER`), the route TEMPLATE the request matched (`/documents/:id`, never the
 * raw path, which carries ids) and the status class (`2xx` … `5xx`). A request no route took (a
 * 404, or one answered by a guard before its route, such as a 401 under /internal) is labelled with
 * the known template its path fits, when `knownPaths` has one, else `unmatched`.
 */

/** What the server reports; adapters/metrics implements it (registry.ts `httpMetrics`). */
export type HttpMetrics = {
  requestAnswered(method: string, route: string, statusClass: string, ms: number): void;
};

export const UNMATCHED_ROUTE = 'unmatched';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** `2xx` for 204; `other` for anything outside 100–599. */
export const statusClass = (status: number) =>
  status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';

/**
 * Finds the template (Express `/documents/:id` or OpenAPI `/documents/{id}`) a path fits, as
 * Express writes it; the one with the fewest parameters when several fit (`/documents/upload`
 * before `/documents/:id`).
 */
function templateMatcher(paths: readonly string[]) {
  const patterns = paths
    .map((path) => {
      const template = path.replace(/\{([A-Za-z_]\w*)\}/g, ':$1');
      const segments = template.split('/');
      const source = segments
        .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      const parameters = segments.filter((segment) => segment.startsWith(':')).length;
      return { template, parameters, regex: new RegExp(`^${source}/?$`) };
    })
    .sort((a, b) => a.parameters - b.parameters);
  return (path: string) => patterns.find((pattern) => pattern.regex.test(path))?.template;
}

/**
 * The route template a request was served by: its router's base joined with the matched route's
 * path. Without a matched route (a 404, a 405, or a guard that answered first, as the 401s under
 * /internal), the known template its path fits, else `unmatched`.
 */
function routeOf(request: Request, known: (path: string) => string | undefined): string {
  const routePath: unknown = request.route?.path;
  if (typeof routePath === 'string') {
    // The base is the part of the URL the router was mounted at: a mount with parameters would
    // carry their values, so a segment that looks like one (a run of 3 digits or more, a uuid or
    // anything long) becomes `:param` unless a known template names it.
    const base = request.baseUrl
      .split('/')
      .map((segment) => (/\d{3,}/.test(segment) || segment.length > 32 ? ':param' : segment))
      .join('/');
    const joined = `${base}${routePath}`.replace(/(.)\/$/, '$1');
    return base.length > 0 ? (known(`${request.baseUrl}${routePath}`) ?? joined) : joined;
  }
  const path = request.originalUrl.split('?')[0] ?? '';
  return known(path) ?? UNMATCHED_ROUTE;
}

/**
 * Times every request from here to its answer (the response's `finish`, or `close` when the client
 * left first, as an event stream's does). Install it early, before any route.
 */
export function requestMetrics(port: HttpMetrics, options: { knownPaths?: readonly string[] } = {}): RequestHandler {
  const known = templateMatcher(options.knownPaths ?? []);
  return (request, response, next) => {
    const started = performance.now();
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      const route = routeOf(request, known);
      try {
        port.requestAnswered(
          METHODS.has(request.method) ? request.method : 'OTHER',
          route,
          statusClass(response.statusCode),
          performance.now() - started,
        );
      } catch {
        // Metrics never fail a request.
      }
    };
    response.once('finish', record);
    response.once('close', record);
    next();
  };
}
