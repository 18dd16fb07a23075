/**
 * An engine process for crash tests: runs a runtime with OCR workers and a scripted engine, as a
 * separate OS process that a test can SIGKILL. Settings arrive in FILOT_TEST_WORKER as JSON:
 * { env: {...config variables}, step: EngineStep }. Prints "ready" once consuming, and each log
 * line as JSON on stdout.
 */
import { createLogger } from '../../../adapters/logging/logger.ts';
import { openEngine } from '../../../composition/runtime.ts';
import { loadConfig } from '../../../config/index.ts';
import { createScriptedEngine, createScriptedEvaluator, type EngineStep } from '../scriptedEngine.ts';

const settings = JSON.parse(process.env.FILOT_TEST_WORKER ?? '{}') as { env: Record<string, string>; step: EngineStep };
const config = loadConfig(settings.env);
const logger = createLogger({ level: 'debug' });
const engine = await openEngine(config, {
  logger,
  name: 'filot-test-worker',
  poolSize: 4,
  ocr: { engine: createScriptedEngine(() => settings.step), evaluator: createScriptedEvaluator() },
});
await engine.runtime.start();
console.log('ready');

process.once('SIGTERM', async () => {
  await engine.runtime.stop();
  await engine.close();
  console.log('stopped');
  process.exit(0);
});
