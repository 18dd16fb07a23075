import { createHash, timingSafeEqual } from 'node:crypto';
import type { Router as ExpressRouter } from 'express';
import type { Registry } from 'prom-client';
import { sendProblem } from '../http/problems.ts';
import { type RouteTable, routerFor } from '../openapi/routeTable.ts';

/**
 * `/metrics`: Prometheus' text format, behind a bearer token when one is configured. It can instead
 * have a listener of its own (METRICS_PORT), reached from a private network or a sidecar and never
 * through the public load balancer. In production, /metrics on the public port without a token would
 * show anyone the service's internals (queue depths, error rates, route latencies): it is refused
 * there, and start-up says so (`metrics.unprotected`).
 */

/** Where /metrics is served, and why start-up should warn; decided once from the configuration. */
export type MetricsExposure = {
  /** `served` on the public port, `refused` there (403), or `absent` (it has its own listener). */
  publicPort: 'served' | 'refused' | 'absent';
  /** Set when /metrics would be open in production: what `metrics.unprotected` reports. */
  unprotected: 'no_token_no_listener' | 'own_listener_without_token' | null;
};

export function metricsExposure(settings: {
  production: boolean;
  token: boolean;
  /** The host of its own listener, if it has one. */
  ownListenerHost: string | null;
}): MetricsExposure {
  if (settings.ownListenerHost !== null) {
    const open = settings.production && !settings.token && !isLoopback(settings.ownListenerHost);
    return { publicPort: 'absent', unprotected: open ? 'own_listener_without_token' : null };
  }
  if (settings.token || !settings.production) return { publicPort: 'served', unprotected: null };
  return { publicPort: 'refused', unprotected: 'no_token_no_listener' };
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');

export const metricsRouteTable = {
  metrics: {
    method: 'get',
    path: '/metrics',
    operation: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics (bearer METRICS_TOKEN when configured)',
      // The token when one is configured; none otherwise (development, or a listener of its own).
      security: [{ metricsToken: [] }, {}],
      responses: { '200': { description: 'Text format' } },
    },
  },
} as const satisfies RouteTable;

export function metricsRoutes(deps: { metrics: Registry; metricsToken?: string; refused?: boolean }): ExpressRouter {
  return routerFor(metricsRouteTable, {
    metrics: [
      async (request, response) => {
        if (deps.refused) {
          sendProblem(response, 'forbidden', {
            detail: 'In production /metrics needs METRICS_TOKEN, or METRICS_PORT for a listener of its own.',
          });
          return;
        }
        if (deps.metricsToken && !sameSecret(request.get('authorization') ?? '', `Bearer ${deps.metricsToken}`)) {
          response.setHeader('WWW-Authenticate', 'Bearer');
          sendProblem(response, 'unauthorized', { detail: 'The metrics token is required.' });
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
