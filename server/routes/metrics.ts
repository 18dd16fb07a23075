import { createHash, timingSafeEqual } from 'node:crypto';
import type { Router as ExpressRouter } from 'express';
import type { Registry } from 'prom-client';
import { sendProblem } from '../http/problems.ts';
import { type RouteTable, routerFor } from '../openapi/routeTable.ts';

/** `/metrics`: Prometheus' text format, behind a bearer token when one is configured. */

export const metricsRouteTable = {
  metrics: {
    method: 'get',
    path: '/metrics',
    operation: {
      summary: 'Prometheus metrics (bearer METRICS_TOKEN when configured)',
      responses: { '200': { description: 'Text format' } },
    },
  },
} as const satisfies RouteTable;

export function metricsRoutes(deps: { metrics: Registry; metricsToken?: string }): ExpressRouter {
  return routerFor(metricsRouteTable, {
    metrics: [
      async (request, response) => {
        if (deps.metricsToken && !sameSecret(request.get('authorization') ?? '', `Bearer ${deps.metricsToken}`)) {
          response.setHeader('WWW-Authenticate', 'Bearer');
          sendProblem(response, { status: 401, title: 'Unauthorized', detail: 'The metrics token is required.' });
          return;
        }
        response.type(deps.metrics.contentType).send(await deps.metrics.metrics());
      },
    ],
  });
}

/** Constant-time comparison (of digests, so the lengths always match). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
