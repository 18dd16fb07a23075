import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { loadRegions } from '../adapters/regions/loadRegions.ts';
import { createFsStorage } from '../adapters/storage/fsStorage.ts';
import { createApiAdapters } from '../composition/api.ts';
import { buli2Callbacks, connectBuli2 } from '../composition/buli2.ts';
import {
  connectReviews,
  installTemporalRuntime,
  type Reviews,
  reviewDecisions,
  startReviewWorker,
} from '../composition/reviews.ts';
import { type Engine, openEngine } from '../composition/runtime.ts';
import { startTemporalDevServer, type TemporalDevServer } from '../composition/temporalDevServer.ts';
import type { Config } from '../config/index.ts';
import { MAX_UPLOAD_BYTES } from '../domain/uploadLimits.ts';
import { createApp } from '../server/app.ts';
import { createAuth } from '../server/http/auth.ts';
import { createHttpServer, HTTP_TIMEOUTS } from '../server/http/httpServer.ts';
import { testTokens } from '../test/support/api.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/database.ts';
import { testConfig } from '../test/support/harness.ts';
import { deleteKeys, uniquePrefix } from '../test/support/redis.ts';
import { benchDatabases, benchLogger, PRODUCTION_INTERVALS } from './support.ts';

/**
 * What the review benches run on, as main.ts composes it in one process: a local Temporal dev
 * server (another process), a database of its own, the engine with its review workflows, the
 * review worker, and the API over HTTP on a free port. With `buli2`, the worker forwards reviews
 * to that BULI2 and the API takes its callbacks. Returned running (the runtime started, the worker
 * polling); `close()` stops it in order.
 */
export type ReviewStackOptions = {
  /** Names the Temporal task queue (`bench-<name>`) and the storage directory. */
  name: string;
  poolSize: number;
  /** The BULI2 to forward to (the simulator): its URL and keys; the rest are the production defaults. */
  buli2?: { url: string; apiKey: string; webhookSecrets: readonly string[] };
};

export type ReviewStack = {
  config: Config;
  engine: Engine;
  reviews: Reviews;
  worker: ReturnType<typeof startReviewWorker>;
  /** The API's base URL. */
  url: string;
  /** An `Authorization` header value for `sub` with `role`. */
  authorization(sub: string, role: 'user' | 'reviewer' | 'admin'): string;
  close(): Promise<void>;
};

export async function openReviewStack(options: ReviewStackOptions): Promise<ReviewStack> {
  installTemporalRuntime();
  let temporal: TemporalDevServer | undefined;
  let database: TestDatabase | undefined;
  let engine: Engine | undefined;
  let reviews: Reviews | undefined;
  let worker: ReturnType<typeof startReviewWorker> | undefined;
  let server: ReturnType<typeof createHttpServer> | undefined;
  let storageDirectory: string | undefined;
  const prefix = uniquePrefix();

  // Whatever was started, in the order main.ts shuts down: the API first, the engine's runtime,
  // the worker (it drains what is in flight), the connections, then the database and Temporal.
  const close = async () => {
    server?.closeAllConnections();
    server?.close();
    if (storageDirectory) await rm(storageDirectory, { recursive: true, force: true });
    await engine?.runtime.stop();
    await worker?.stop();
    await reviews?.close();
    if (engine) await deleteKeys(engine.redis, prefix).catch(() => {});
    await engine?.close();
    if (database) {
      await database.drop();
      benchDatabases.delete(database.name);
    }
    await temporal?.stop();
  };

  try {
    temporal = await startTemporalDevServer();
    database = await createTestDatabase();
    benchDatabases.add(database.name);
    const buli2 = options.buli2;
    const config = testConfig(database, prefix, {
      ...PRODUCTION_INTERVALS,
      DATABASE_POOL_SIZE: String(options.poolSize),
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: `bench-${options.name}`,
      TEMPORAL_CALL_TIMEOUT_MS: '30000',
      // Production settings but the URL and the keys: BULI2's timeout, breaker and retries are the defaults.
      ...(buli2
        ? { BULI2_URL: buli2.url, BULI2_API_KEY: buli2.apiKey, BULI2_WEBHOOK_SECRETS: buli2.webhookSecrets.join(',') }
        : {}),
    });
    engine = await openEngine(config, {
      logger: benchLogger,
      name: 'filot-bench',
      poolSize: options.poolSize,
      reviews: (pool) => {
        reviews = connectReviews(config, pool);
        return reviews.workflows;
      },
    });
    if (!reviews) throw new Error('the review workflows were not connected');
    const connected = reviews;
    const opened = engine;
    storageDirectory = await mkdtemp(join(tmpdir(), `filot-bench-${options.name}-`));
    const tokens = testTokens();
    const adapters = createApiAdapters(opened.pool, opened.runtime.adapters.cipher, await loadRegions());
    const app = createApp({
      readiness: [],
      metrics: new Registry(),
      logger: benchLogger,
      development: false,
      api: {
        auth: createAuth(tokens.jwtSettings),
        ...adapters,
        store: opened.runtime.store,
        documents: opened.runtime.documents,
        storage: createFsStorage(storageDirectory),
        maxUploadBytes: MAX_UPLOAD_BYTES,
        maxPixels: 50_000_000,
        reviews: reviewDecisions(connected),
        ...(buli2 ? { buli2: buli2Callbacks(config, connected.records) } : {}),
      },
    });
    server = createHttpServer(app, HTTP_TIMEOUTS);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The image links in the forwards point at this API, whose port is known only now.
    config.imageLinks.publicUrl = url;
    worker = startReviewWorker(config, {
      documents: opened.runtime.documents,
      records: connected.records,
      logger: benchLogger,
      ...(buli2
        ? {
            buli2: connectBuli2(config, { queries: adapters.queries, records: connected.records, logger: benchLogger }),
          }
        : {}),
    });
    await opened.runtime.start();
    await worker.started;
    return {
      config,
      engine: opened,
      reviews: connected,
      worker,
      url,
      authorization: (sub, role) => `Bearer ${tokens.tokenFor(sub, role)}`,
      close,
    };
  } catch (error) {
    await close().catch((closeError: unknown) => {
      throw new AggregateError([error, closeError], 'the review stack failed to start, then to close');
    });
    throw error;
  }
}
