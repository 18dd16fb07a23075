import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { sql } from 'slonik';
import { createInspectionObserver } from './adapters/inspector/inspector.ts';
import { createLogger, defaultLogFormat } from './adapters/logging/logger.ts';
import { installCollectors } from './adapters/metrics/collectors.ts';
import { createEmfWriter } from './adapters/metrics/emf.ts';
import { createMetrics, httpMetrics, runtimeMetrics } from './adapters/metrics/registry.ts';
import { transitionMetrics } from './adapters/metrics/transitionMetrics.ts';
import { createThreadedOcrEngine, inspectPdf, resolvePrecision } from './adapters/ocr/index.ts';
import { createDocumentChangeNotifier } from './adapters/postgres/documentChangeNotifier.ts';
import { createDocumentChanges } from './adapters/postgres/documentChanges.ts';
import { createDocumentQueries } from './adapters/postgres/documentQueries.ts';
import { isDatabaseUnavailable } from './adapters/postgres/unavailable.ts';
import { loadRegions } from './adapters/regions/loadRegions.ts';
import { createStorage } from './adapters/storage/index.ts';
import { createApiAdapters } from './composition/api.ts';
import { buli2Callbacks, connectBuli2 } from './composition/buli2.ts';
import { startDevServices } from './composition/devServices.ts';
import { devSignIn } from './composition/devSignIn.ts';
import {
  connectReviews,
  installTemporalRuntime,
  type Reviews,
  reviewDecisions,
  startReviewWorker,
} from './composition/reviews.ts';
import { openEngine, openRedis } from './composition/runtime.ts';
import { startTemporalDevServer } from './composition/temporalDevServer.ts';
import { dotenvArgument, loadEnvFile } from './config/envFile.ts';
import { ConfigError, loadConfig } from './config/index.ts';
import { ensureDatabase, migrate } from './db/migrate.ts';
import { MAX_UPLOAD_BYTES } from './domain/uploadLimits.ts';
import { createDocumentMachine } from './machines/document.machine.ts';
import { createTransitionLog } from './runtime/documents/transitionLog.ts';
import { createPolicyEvaluator } from './runtime/evaluator.ts';
import { installLastResort } from './runtime/lastResort.ts';
import { createApp, createAuth, createHttpServer, createMetricsApp, createRateLimit } from './server/index.ts';
import { createBuli2Simulator } from './simulators/buli2/simulator.ts';

/**
 * `npm start`: create the database if needed, migrate, start the runtime, the review worker and the
 * HTTP server in one process (PROCESS_ROLES picks some of them), and shut all of it down in order on
 * SIGTERM or SIGINT. Without TEMPORAL_ADDRESS (development only) it starts a Temporal dev server too.
 */
/** How long start-up waits for the review worker before serving anyway (see below). */
const REVIEW_WORKER_START_WAIT_MS = 15_000;

async function main() {
  // `npm start` passes --dotenv=.env (package.json); a test or a tool that runs main.ts reads none.
  const envFile = dotenvArgument(process.argv.slice(2));
  const envFileFound = envFile === null ? null : loadEnvFile(envFile);
  let config = loadConfig();
  const logger = createLogger({
    level: config.logLevel,
    format:
      config.logFormat ?? defaultLogFormat({ nodeEnv: config.nodeEnv, stdoutIsTty: process.stdout.isTTY === true }),
  });
  if (envFile !== null) logger.info('config.env_file', { path: envFile, found: envFileFound });
  // Until the full shutdown exists, a crash during start-up only logs and exits.
  let shutdown = async (_reason: string) => {};
  installLastResort({ logger, shutdown: (reason) => shutdown(reason), graceMs: config.worker.shutdownTimeoutMs });

  // Development without a Postgres or Redis at the default URLs: an embedded Postgres and a
  // redis-server of its own (composition/devServices.ts), or one message saying what is missing.
  const devServices = await startDevServices(config, { logger, dataDir: '.data' });
  config = devServices.config;

  if (await ensureDatabase(config.databaseUrl)) logger.info('database.created');
  const migrations = await migrate(config.databaseUrl);
  logger.info('database.migrated', { applied: migrations.applied, alreadyApplied: migrations.alreadyApplied });

  // The rate limits' own connection: every request runs two short scripts on it, and auto-pipelining
  // sends the scripts of the requests read in one turn of the event loop in one write.
  const rateLimitRedis = openRedis(config, logger, `filot-${config.worker.id}-ratelimit`, 'requests');

  // Production refuses to load without an address (config/schema.ts); development gets a server of its own.
  const temporalDevServer = config.temporal.address
    ? null
    : await startTemporalDevServer({ dataDir: '.data/temporal', logger });
  if (temporalDevServer) config = { ...config, temporal: { ...config.temporal, address: temporalDevServer.address } };
  // Likewise BULI2: production requires its URL; development without one forwards to the simulator,
  // which decides when told to (POST <its url>/sim/reviews/<reviewId>/decide).
  const buli2Simulator = config.buli2.url
    ? null
    : await createBuli2Simulator({ apiKey: config.buli2.apiKey, webhookSecrets: config.buli2.webhookSecrets });
  if (buli2Simulator) {
    config = { ...config, buli2: { ...config.buli2, url: buli2Simulator.url } };
    logger.info('buli2.simulator_started', { url: buli2Simulator.url });
  }

  const metrics = createMetrics();
  // Developers' Stately inspector (INSPECT_WS_URL); off, nothing is built and the hot path pays nothing.
  const inspection = createInspectionObserver({
    url: config.observability.inspectWsUrl,
    machine: createDocumentMachine(config.machine),
    logger,
  });
  const storage = createStorage(config.storage);
  const [regions, engine] = await Promise.all([
    loadRegions(),
    config.roles.ocr
      ? createThreadedOcrEngine({
          device: config.ocr.device,
          threads: config.ocr.threads,
          engineThreads: config.ocr.engineThreads,
          recognitionLanes: config.ocr.recognitionLanes,
          precision: config.ocr.precision,
          maxPixels: config.ocr.maxPixels,
          readImage: (storageKey) => storage.get(storageKey),
          logger,
          onFallback: (reason) => metrics.ocrFallbacks.inc({ reason: reason.split(':')[0] ?? 'unknown' }),
        })
      : null,
  ]);
  if (engine)
    logger.info('ocr.ready', { device: engine.device, cpuPrecision: await resolvePrecision(config.ocr.precision) });
  // Tells the event streams of every API process of each committed transition (a NOTIFY after the commit).
  const changeNotifier = createDocumentChangeNotifier({
    databaseUrl: config.databaseUrl,
    logger,
    applicationName: `filot-${config.worker.id}-notifier`,
  });
  let reviews: Reviews | undefined;
  const { runtime, pool, redis, cipher, ...engineProcess } = await openEngine(config, {
    logger,
    name: `filot-${config.worker.id}`,
    metrics: runtimeMetrics(metrics),
    // Every committed step: counted, logged (document.transition), and sent to a Stately inspector when one is set.
    observers: [
      transitionMetrics(metrics),
      createTransitionLog(logger),
      changeNotifier.observer,
      ...(inspection ? [inspection.observer] : []),
    ],
    ...(engine ? { ocr: { engine, evaluator: (store) => createPolicyEvaluator({ regions, store }) } } : {}),
    reviews: (enginePool) => {
      reviews = connectReviews(config, enginePool);
      return reviews.workflows;
    },
  });
  if (!reviews) throw new Error('the review workflows were not connected');
  // Gauges read from Postgres and Redis when scraped (or flushed as EMF): the same from every instance.
  const collectors = installCollectors(metrics, { pool, redis, stream: runtime.adapters.queue, logger });
  const emf = config.observability.emf
    ? createEmfWriter({
        registry: metrics.registry,
        logGroup: config.observability.emf.logGroup,
        flushMs: config.observability.emf.flushMs,
        logger,
      })
    : null;
  emf?.start();
  const connectedReviews: Reviews = reviews;
  await runtime.start();
  if (config.roles.review) installTemporalRuntime();
  const reviewWorker = config.roles.review
    ? startReviewWorker(config, {
        documents: runtime.documents,
        records: connectedReviews.records,
        logger,
        slaBreached: (kind) => metrics.reviewSlaBreaches.inc({ kind }),
        buli2: connectBuli2(config, {
          queries: createDocumentQueries(pool, cipher),
          records: connectedReviews.records,
          logger,
          metrics,
        }),
      })
    : null;
  // The API answers reviewers' decisions only with a worker to apply them; a Temporal that is away
  // delays the start by at most this, then the worker keeps trying in the background.
  if (reviewWorker)
    await Promise.race([
      reviewWorker.started,
      new Promise((resolve) => setTimeout(resolve, REVIEW_WORKER_START_WAIT_MS).unref()),
    ]);

  // The console's "sign in as reviewer": development only (null in any other mode).
  const developmentSignIn = devSignIn(config);
  // Event streams are woken by committed changes, heard on one connection of the process's own; until
  // it is up (and whenever it is away) they poll.
  const documentChanges = config.roles.api
    ? createDocumentChanges({
        databaseUrl: config.databaseUrl,
        logger,
        applicationName: `filot-${config.worker.id}-changes`,
      })
    : null;
  documentChanges?.start();
  // Flipped at the start of shutdown so load balancers stop sending traffic before the port closes.
  let stopping = false;
  const app = createApp({
    logger,
    development: config.nodeEnv === 'development',
    ...(developmentSignIn ? { devSignIn: developmentSignIn } : {}),
    isUnavailable: isDatabaseUnavailable,
    corsOrigins: config.http.corsOrigins,
    trustProxy: config.http.trustProxy,
    production: config.nodeEnv === 'production',
    ...(config.http.metricsToken ? { metricsToken: config.http.metricsToken } : {}),
    ...(config.http.metricsListen ? { metricsListenerHost: config.http.metricsListen.host } : {}),
    ...(config.roles.api
      ? {
          api: {
            auth: createAuth(config.jwt, { logger }),
            ...createApiAdapters(pool, cipher, regions),
            store: runtime.store,
            documents: runtime.documents,
            storage,
            maxUploadBytes: MAX_UPLOAD_BYTES,
            maxPixels: config.ocr.maxPixels,
            inspectPdf,
            reviewClaimMs: config.review.claimMs,
            uploadLimit: createRateLimit({
              redis: rateLimitRedis,
              prefix: config.redisKeyPrefix,
              name: 'upload',
              points: config.http.uploadsPerMinute,
              windowSeconds: 60,
            }),
            // An applicant precedes its uploads: created at the uploads' rate at most.
            applicantLimit: createRateLimit({
              redis: rateLimitRedis,
              prefix: config.redisKeyPrefix,
              name: 'applicant',
              points: config.http.uploadsPerMinute,
              windowSeconds: 60,
            }),
            verificationLimit: createRateLimit({
              redis: rateLimitRedis,
              prefix: config.redisKeyPrefix,
              name: 'verification',
              points: config.http.verificationPerMinute,
              windowSeconds: 60,
            }),
            streams: config.http.streams,
            ...(documentChanges ? { changes: documentChanges } : {}),
            reviews: reviewDecisions(connectedReviews),
            buli2: buli2Callbacks(config, connectedReviews.records),
            logger,
          },
        }
      : {}),
    metrics: metrics.registry,
    httpMetrics: httpMetrics(metrics),
    readiness: [
      { name: 'process', check: async () => !stopping },
      { name: 'postgres', check: async () => (await pool.oneFirst(sql.unsafe`SELECT 1 AS ok`)) === 1 },
      { name: 'redis', check: async () => (await redis.ping()) === 'PONG' },
      // Backing off: a job failed on the database and the workers pull nothing until it answers.
      { name: 'workers', check: async () => runtime.workerState !== 'backing_off' },
      // Reviewers' decisions wait on a review worker: this process's, when it runs one.
      ...(reviewWorker ? [{ name: 'reviews', check: async () => reviewWorker.running }] : []),
    ],
  });
  const server = createHttpServer(app);
  server.on('error', (error: Error) => logger.error('server.error', { errorClass: error.name, error: error.message }));
  server.listen(config.port);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const localUrl = `http://localhost:${port}`;
  logger.info('server.listening', { port, url: localUrl, docs: `${localUrl}/docs`, workerId: config.worker.id });
  // /metrics on a listener of its own (METRICS_PORT), which the public port then does not serve.
  const metricsServer = config.http.metricsListen
    ? createHttpServer(
        createMetricsApp({
          metrics: metrics.registry,
          logger,
          ...(config.http.metricsToken ? { metricsToken: config.http.metricsToken } : {}),
        }),
      )
    : null;
  if (metricsServer && config.http.metricsListen) {
    metricsServer.on('error', (error: Error) =>
      logger.error('server.error', { errorClass: error.name, error: error.message, listener: 'metrics' }),
    );
    metricsServer.listen(config.http.metricsListen.port, config.http.metricsListen.host);
    await once(metricsServer, 'listening');
    logger.info('metrics.listening', { host: config.http.metricsListen.host, port: config.http.metricsListen.port });
  }
  buli2Simulator?.setCallbackUrl(`http://127.0.0.1:${port}/internal/buli2/callback`);

  shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutdown.started', { signal });
    const forced = setTimeout(() => {
      logger.error('shutdown.forced', { timeoutMs: config.worker.shutdownTimeoutMs * 2 });
      process.exit(1);
    }, config.worker.shutdownTimeoutMs * 2).unref();
    server.close();
    server.closeIdleConnections();
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    await runtime.stop();
    await reviewWorker?.stop();
    // Event streams (/verification/:id/events) would keep the server open; clients reconnect.
    server.closeAllConnections();
    await documentChanges?.close();
    await engine?.close();
    await emf?.stop();
    collectors.stop();
    await inspection?.stop();
    storage.close();
    await connectedReviews.close();
    await engineProcess.close();
    await changeNotifier.close();
    rateLimitRedis.disconnect();
    await buli2Simulator?.close();
    // Last: the review worker above had to drain against it.
    await temporalDevServer?.stop();
    // The embedded Postgres and redis-server, after everything that used them.
    await devServices.stop();
    clearTimeout(forced);
    logger.info('shutdown.done');
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error('Start-up failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
