import express, { type Express } from 'express';
import type { Registry } from 'prom-client';
import { healthRoutes, type ReadinessCheck } from './health.ts';

/** The HTTP application. Until the API issue lands it serves the health probes and metrics only. */
export function createApp(deps: { readiness: readonly ReadinessCheck[]; metrics: Registry }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes(deps.readiness));
  app.get('/metrics', async (_request, response) => {
    response.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });
  app.use((_request, response) => {
    response
      .status(404)
      .type('application/problem+json')
      .json({ type: 'about:blank', title: 'Not Found', status: 404 });
  });
  return app;
}
