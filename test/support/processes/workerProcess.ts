/**
 * An engine process for crash tests: runs a runtime with OCR workers and a scripted engine, as a
 * separate OS process that a test can SIGKILL. Settings arrive in FILOT_TEST_WORKER as JSON:
 * { env: {...config variables}, step: EngineStep }. Prints "ready" once consuming, and each log
 * line as JSON on stdout.
 */
import { createLogger } from '../../../adapters/logging/logger.ts';
import { createDatabasePool } from '../../../adapters/postgres/pool.ts';
import { createRedis } from '../../../adapters/redis/client.ts';
import { loadConfig } from '../../../config/index.ts';
import { createRuntime } from '../../../runtime/index.ts';
import { createScriptedEngine, createScriptedEvaluator, type EngineStep } from '../scriptedEngine.ts';

const settings = JSON.parse(process.env.FILOT_TEST_WORKER ?? '{}') as { env: Record<string, string>; step: EngineStep };
const config = loadConfig(settings.env);
const logger = createLogger({ level: 'debug' });
const pool = await createDatabasePool({ databaseUrl: config.databaseUrl, poolSize: 4 });
const onError = (error: Error) => logger.warn('redis.error', { error: error.message });
const redis = createRedis(config.redisUrl, { name: 'filot-test-worker', onError });
const blockingRedis = createRedis(config.redisUrl, { name: 'filot-test-worker-blocking', use: 'blocking', onError });
const runtime = createRuntime({
  config,
  pool,
  redis,
  logger,
  ocr: { engine: createScriptedEngine(() => settings.step), evaluator: createScriptedEvaluator(), blockingRedis },
});
await runtime.start();
console.log('ready');

process.once('SIGTERM', async () => {
  await runtime.stop();
  await pool.end();
  redis.disconnect();
  console.log('stopped');
  process.exit(0);
});
