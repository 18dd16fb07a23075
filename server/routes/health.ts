import type { Router as ExpressRouter } from 'express';
import { type RouteTable, routerFor } from '../openapi/routeTable.ts';

/** A dependency the readiness probe checks; `check` rejects or returns false when it is not usable. */
export type ReadinessCheck = { name: string; check: () => Promise<boolean> };

const CHECK_TIMEOUT_MS = 2000;

async function runCheck({ name, check }: ReadinessCheck) {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const ok = await Promise.race([
      check(),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { name, ok, ms: Math.round(performance.now() - started) };
  } catch {
    return { name, ok: false, ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

export const healthRouteTable = {
  health: {
    method: 'get',
    path: '/health',
    operation: { operationId: 'getHealth', summary: 'Liveness', responses: { '200': { description: 'Alive' } } },
  },
  ready: {
    method: 'get',
    path: '/ready',
    operation: {
      operationId: 'getReadiness',
      summary: 'Readiness of every dependency',
      responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready' } },
    },
  },
} as const satisfies RouteTable;

/** `/health`: the process answers. `/ready`: every dependency answers, so traffic may be sent here. */
export function healthRoutes(checks: readonly ReadinessCheck[]): ExpressRouter {
  return routerFor(healthRouteTable, {
    health: [
      (_request, response) => {
        response.json({ status: 'ok' });
      },
    ],
    ready: [
      async (_request, response) => {
        const results = await Promise.all(checks.map(runCheck));
        const ready = results.every((result) => result.ok);
        response.status(ready ? 200 : 503).json({
          status: ready ? 'ready' : 'unavailable',
          checks: Object.fromEntries(results.map(({ name, ok, ms }) => [name, { ok, ms }])),
        });
      },
    ],
  });
}
