import { createHash, timingSafeEqual } from 'node:crypto';
import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import type { Logger } from '../runtime/ports.ts';
import { methodNotAllowed } from './http/methodNotAllowed.ts';
import { notFound, problemHandler, sendProblem } from './http/problems.ts';
import { requestId } from './http/requestId.ts';
import { requestLog } from './http/requestLog.ts';
import { documentRoutes } from './routes/documentRoutes.ts';
import { healthRoutes, type ReadinessCheck } from './routes/health.ts';
import { openApiDocument, openApiRoutes } from './routes/openapi.ts';
import { reviewRoutes } from './routes/reviewRoutes.ts';
import { uploadRoutes } from './routes/uploadRoutes.ts';
import { verificationRoutes } from './routes/verificationRoutes.ts';

/** The HTTP application: probes, metrics and the client API. */
export function createApp(deps: {
  readiness: readonly ReadinessCheck[];
  metrics: Registry;
  logger: Logger;
  development: boolean;
  /** Browser origins allowed by CORS; none by default (the API is called server to server). */
  corsOrigins?: string[];
  /** When set, /metrics needs it as a bearer token. */
  metricsToken?: string;
  /** Errors that mean a dependency cannot be reached right now: answered 503 with Retry-After. */
  isUnavailable?: (error: unknown) => boolean;
  /** The client API; without it the app serves the probes and metrics only (tests, tools). */
  api?: Parameters<typeof documentRoutes>[0] &
    Parameters<typeof reviewRoutes>[0] &
    Parameters<typeof verificationRoutes>[0] &
    Parameters<typeof uploadRoutes>[0];
}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestId);
  app.use(requestLog(deps.logger));
  app.use(helmet());
  app.use(cors({ origin: deps.corsOrigins ?? [], exposedHeaders: ['Location', 'X-Request-Id', 'Retry-After'] }));
  app.use(express.json({ limit: '16kb' }));
  app.use(healthRoutes(deps.readiness));
  app.get('/metrics', async (request, response) => {
    if (deps.metricsToken && !sameSecret(request.get('authorization') ?? '', `Bearer ${deps.metricsToken}`)) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      sendProblem(response, { status: 401, title: 'Unauthorized', detail: 'The metrics token is required.' });
      return;
    }
    response.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });
  app.use(openApiRoutes());
  if (deps.api) {
    app.use(uploadRoutes(deps.api));
    app.use(documentRoutes(deps.api));
    app.use(reviewRoutes(deps.api));
    app.use(verificationRoutes(deps.api));
  }
  app.use(methodNotAllowed(openApiDocument().paths));
  app.use(notFound);
  app.use(
    problemHandler({
      logger: deps.logger,
      development: deps.development,
      ...(deps.isUnavailable ? { isUnavailable: deps.isUnavailable } : {}),
    }),
  );
  return app;
}

/** Constant-time comparison (of digests, so the lengths always match). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
