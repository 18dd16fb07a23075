import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'slonik';
import { createLogger } from './adapters/logging/logger.ts';
import { createDatabasePool } from './adapters/postgres/pool.ts';
import { createRedis } from './adapters/redis/client.ts';
import { ConfigError, loadConfig } from './config/index.ts';
import { ensureDatabase, migrate } from './db/migrate.ts';
import { createRuntime } from './runtime/index.ts';
import { createApp } from './server/app.ts';

/**
 * `npm start`: create the database if needed, migrate, start the runtime and the HTTP server in one
 * process, and shut all of it down in order on SIGTERM or SIGINT.
 */
async function main() {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });

  if (await ensureDatabase(config.databaseUrl)) logger.info('database.created');
  const migrations = await migrate(config.databaseUrl);
  logger.info('database.migrated', { applied: migrations.applied, alreadyApplied: migrations.alreadyApplied });

  const pool = await createDatabasePool({ databaseUrl: config.databaseUrl, poolSize: config.databasePoolSize });
  const redis = createRedis(config.redisUrl, `filot-${config.worker.id}`);
  redis.on('error', (error: Error) => logger.warn('redis.error', { error: error.message }));

  // The onnxruntime OCR engine is wired here when it lands (adapters/ocr); until then this process
  // serves the API and runs the relay, reaper and sweeper, and OCR workers run nowhere.
  const runtime = createRuntime({ config, pool, redis, logger });
  await runtime.start();

  // Flipped at the start of shutdown so load balancers stop sending traffic before the port closes.
  let stopping = false;
  const app = createApp({
    readiness: [
      { name: 'process', check: async () => !stopping },
      { name: 'postgres', check: async () => (await pool.oneFirst(sql.unsafe`SELECT 1 AS ok`)) === 1 },
      { name: 'redis', check: async () => (await redis.ping()) === 'PONG' },
    ],
  });
  const server: Server = app.listen(config.port);
  await once(server, 'listening');
  logger.info('server.listening', { port: (server.address() as AddressInfo).port, workerId: config.worker.id });

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutdown.started', { signal });
    const forced = setTimeout(() => {
      logger.error('shutdown.forced', { timeoutMs: config.worker.shutdownTimeoutMs * 2 });
      process.exit(1);
    }, config.worker.shutdownTimeoutMs * 2).unref();
    server.close();
    server.closeIdleConnections();
    await runtime.stop();
    await pool.end();
    redis.disconnect();
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
