import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import type { Logger } from '../runtime/ports.ts';
import { type HttpMetrics, requestMetrics } from './http/httpMetrics.ts';
import { methodNotAllowed } from './http/methodNotAllowed.ts';
import { notFound, problemHandler } from './http/problems.ts';
import { requestId } from './http/requestId.ts';
import { requestLog } from './http/requestLog.ts';
import { openApiDocument, openApiRoutes } from './openapi/openapi.ts';
import { buli2Routes } from './routes/buli2Routes.ts';
import { applicantRoutes, documentRoutes, uploadRoutes, verificationRoutes } from './routes/client/index.ts';
import { consoleRoutes } from './routes/consoleRoutes.ts';
import { healthRoutes, type ReadinessCheck } from './routes/health.ts';
import { inspectorRoutes } from './routes/inspectorRoutes.ts';
import { metricsExposure, metricsRoutes } from './routes/metrics.ts';
import { reviewRoutes } from './routes/reviewRoutes.ts';

/** The HTTP application: probes, metrics and the client API. */
export function createApp(deps: {
  readiness: readonly ReadinessCheck[];
  metrics: Registry;
  logger: Logger;
  development: boolean;
  /** Development only: mints a reviewer token for the console's sign-in button (composition/devSignIn.ts). */
  devSignIn?: () => string;
  /** Browser origins allowed by CORS; none by default (the API is called server to server). */
  corsOrigins?: string[];
  /** When set, /metrics needs it as a bearer token. */
  metricsToken?: string;
  /** /metrics has a listener of its own (createMetricsApp, METRICS_PORT) on this host: not served here. */
  metricsListenerHost?: string;
  /** NODE_ENV=production: /metrics without a token or its own listener is refused (routes/metrics.ts). */
  production?: boolean;
  /**
   * Express's `trust proxy` (TRUST_PROXY): which hops may name the client's address in
   * X-Forwarded-For, so that `request.ip`, and with it the per-IP rate limits, is the client's and
   * not the gateway's. Unset: none, and X-Forwarded-For is ignored.
   */
  trustProxy?: number | string[] | false;
  /** When set, every request's latency is recorded by route template (http/httpMetrics.ts). */
  httpMetrics?: HttpMetrics;
  /** Errors that mean a dependency cannot be reached right now: answered 503 with Retry-After. */
  isUnavailable?: (error: unknown) => boolean;
  /** The client API; without it the app serves the probes and metrics only (tests, tools). */
  api?: Parameters<typeof documentRoutes>[0] &
    Parameters<typeof applicantRoutes>[0] &
    Parameters<typeof reviewRoutes>[0] &
    Parameters<typeof inspectorRoutes>[0] &
    Parameters<typeof verificationRoutes>[0] &
    Parameters<typeof uploadRoutes>[0] &
    Omit<Parameters<typeof buli2Routes>[0], 'logger'>;
}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  const metricsAccess = metricsExposure({
    production: deps.production ?? false,
    token: deps.metricsToken !== undefined,
    ownListenerHost: deps.metricsListenerHost ?? null,
  });
  if (metricsAccess.unprotected) deps.logger.warn('metrics.unprotected', { reason: metricsAccess.unprotected });
  app.use(requestId);
  if (deps.httpMetrics) app.use(requestMetrics(deps.httpMetrics, { knownPaths: Object.keys(openApiDocument().paths) }));
  app.use(requestLog(deps.logger));
  app.use(helmet());
  app.use(
    cors({
      origin: deps.corsOrigins ?? [],
      exposedHeaders: ['Location', 'X-Request-Id', 'Retry-After', 'Idempotent-Replayed'],
    }),
  );
  // BULI2's routes come before the JSON parser, whose parsing would lose the raw bytes the callback's
  // signature is over, and before the review routes' bearer-token guard on /internal, which is not
  // their credential (routes/buli2Routes.ts).
  if (deps.api) app.use(buli2Routes({ ...deps.api, logger: deps.logger }));
  // Room for the longest applicant metadata (routes/client/clientReferences.ts), escaped.
  app.use(express.json({ limit: '64kb' }));
  app.use(healthRoutes(deps.readiness));
  if (metricsAccess.publicPort !== 'absent')
    app.use(
      metricsRoutes({
        metrics: deps.metrics,
        refused: metricsAccess.publicPort === 'refused',
        ...(deps.metricsToken ? { metricsToken: deps.metricsToken } : {}),
      }),
    );
  app.use(openApiRoutes());
  app.use(methodNotAllowed(openApiDocument().paths, { literalPublicOnly: true }));
  if (deps.api) {
    app.use(uploadRoutes(deps.api));
    app.use(documentRoutes(deps.api));
    app.use(applicantRoutes(deps.api));
    // Before the review routes, whose guard on /internal would check the token a second time.
    app.use(inspectorRoutes(deps.api));
    app.use(consoleRoutes(deps.devSignIn ? { devSignIn: deps.devSignIn } : {}));
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

/** /metrics alone, for a listener of its own (METRICS_PORT): nothing else is reachable there. */
export function createMetricsApp(deps: { metrics: Registry; logger: Logger; metricsToken?: string }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestId);
  app.use(metricsRoutes({ metrics: deps.metrics, ...(deps.metricsToken ? { metricsToken: deps.metricsToken } : {}) }));
  app.use(notFound);
  app.use(problemHandler({ logger: deps.logger, development: false }));
  return app;
}
