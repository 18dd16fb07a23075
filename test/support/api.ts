import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { Registry } from 'prom-client';
import type { DatabasePool } from 'slonik';
import type { Metrics } from '../../adapters/metrics/registry.ts';
import { isDatabaseUnavailable } from '../../adapters/postgres/unavailable.ts';
import { loadRegions } from '../../adapters/regions/loadRegions.ts';
import { createFsStorage } from '../../adapters/storage/fsStorage.ts';
import { createApiAdapters } from '../../composition/api.ts';
import { buli2Callbacks } from '../../composition/buli2.ts';
import { reviewDecisions } from '../../composition/reviews.ts';
import type { ComposedRuntime } from '../../composition/runtime.ts';
import { loadConfig } from '../../config/index.ts';
import { MAX_UPLOAD_BYTES } from '../../domain/uploadLimits.ts';
import type { Logger } from '../../runtime/ports.ts';
import { createApp } from '../../server/app.ts';
import { createAuth } from '../../server/http/auth.ts';
import { createHttpServer, HTTP_TIMEOUTS, type HttpTimeouts } from '../../server/http/httpServer.ts';
import { testLogger, type World } from './harness.ts';

/** Bearer tokens signed with a key of the test's own. */
export function testTokens() {
  const secret = randomBytes(32).toString('base64');
  const jwtSettings = loadConfig({ JWT_SECRET: secret }).jwt;
  const tokenFor = (sub: string, role: 'user' | 'reviewer' | 'admin' = 'user') =>
    jwt.sign({ role }, secret, {
      algorithm: 'HS256',
      subject: sub,
      issuer: jwtSettings.issuer,
      audience: jwtSettings.audience,
      expiresIn: '5m',
    });
  return { secret, jwtSettings, tokenFor };
}

type AppDeps = Parameters<typeof createApp>[0];
type ApiDeps = NonNullable<AppDeps['api']>;

/**
 * The whole API as main.ts serves it (the same HTTP server and time limits), over a test world's
 * database and a runtime, with storage in a temporary directory. `overrides` replace any API
 * dependency; `timeouts` the server's time limits.
 */
export async function startApi(
  world: World,
  runtime: ComposedRuntime,
  options: {
    overrides?: Partial<ApiDeps>;
    timeouts?: Partial<HttpTimeouts>;
    logger?: Logger;
    tokens?: ReturnType<typeof testTokens>;
    /** The pool the read models and idempotency keys use; the world's by default. */
    pool?: DatabasePool;
    /** The console's development sign-in (composition/devSignIn.ts); absent: refused, as outside development. */
    devSignIn?: () => string;
    /** The review worker's metrics (BULI2's retry count, circuit state, forward latency). */
    metrics?: Metrics;
    /** false: serve before the review worker is polling (a Temporal that is away on purpose). */
    awaitReviewWorker?: boolean;
  } = {},
) {
  const pool = options.pool ?? world.pool;
  const tokens = options.tokens ?? testTokens();
  const storageDirectory = await mkdtemp(join(tmpdir(), 'filot-api-'));
  const storage = createFsStorage(storageDirectory);
  // Decisions go through the review workflows when the run has Temporal, as in `npm start`, which
  // also waits for its review worker before it serves.
  const reviewWorker = world.reviewWorker(runtime, {
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  if (options.awaitReviewWorker !== false) await reviewWorker?.started;
  const app = createApp({
    readiness: [],
    metrics: new Registry(),
    logger: options.logger ?? testLogger,
    development: false,
    ...(options.devSignIn ? { devSignIn: options.devSignIn } : {}),
    isUnavailable: isDatabaseUnavailable,
    api: {
      auth: createAuth(tokens.jwtSettings),
      ...createApiAdapters(pool, runtime.adapters.cipher, await loadRegions()),
      store: runtime.store,
      documents: runtime.documents,
      storage,
      pollMs: 50,
      maxUploadBytes: MAX_UPLOAD_BYTES,
      maxPixels: 50_000_000,
      ...(world.reviews
        ? { reviews: reviewDecisions(world.reviews), buli2: buli2Callbacks(world.config, world.reviews.records) }
        : {}),
      ...options.overrides,
    },
  });
  const server = createHttpServer(app, { ...HTTP_TIMEOUTS, ...options.timeouts });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    storage,
    storageDirectory,
    tokenFor: tokens.tokenFor,
    async close() {
      server.closeAllConnections();
      server.close();
      await rm(storageDirectory, { recursive: true, force: true });
    },
  };
}
