import express, { type Express } from 'express';
import { healthRoutes, type ReadinessCheck } from './health.ts';

/** The HTTP application. Until the API issue lands it serves the health probes only. */
export function createApp(deps: { readiness: readonly ReadinessCheck[] }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes(deps.readiness));
  app.use((_request, response) => {
    response
      .status(404)
      .type('application/problem+json')
      .json({ type: 'about:blank', title: 'Not Found', status: 404 });
  });
  return app;
}
