import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../../config/index.ts';
import type { EngineStep } from '../scriptedEngine.ts';

const WORKER_SCRIPT = fileURLToPath(new URL('./workerProcess.ts', import.meta.url));

export type WorkerProcess = {
  child: ChildProcess;
  /** Every JSON log line the process printed so far. */
  logs: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/** Starts test/support/processes/workerProcess.ts as its own OS process and resolves once it consumes jobs. */
export async function startWorkerProcess(
  config: Config,
  env: Record<string, string>,
  step: EngineStep,
): Promise<WorkerProcess> {
  const settings = {
    env: {
      NODE_ENV: 'test',
      DATABASE_URL: config.databaseUrl,
      REDIS_URL: config.redisUrl,
      REDIS_KEY_PREFIX: config.redisKeyPrefix,
      ...env,
    },
    step,
  };
  const child = spawn(process.execPath, [WORKER_SCRIPT], {
    env: { ...process.env, FILOT_TEST_WORKER: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker process exited early with code ${code}`)));
    lines.on('line', (line) => {
      if (line === 'ready') resolve();
      else if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
    });
  });
  return { child, logs, exited };
}

const REVIEW_WORKER_SCRIPT = fileURLToPath(new URL('./reviewWorkerProcess.ts', import.meta.url));

/** Starts test/support/processes/reviewWorkerProcess.ts over `config` and resolves once it polls its task queue. */
export async function startReviewWorkerProcess(config: Config): Promise<ChildProcess> {
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    REDIS_KEY_PREFIX: config.redisKeyPrefix,
    TEMPORAL_ADDRESS: config.temporal.address ?? '',
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
  };
  const child = spawn(process.execPath, [REVIEW_WORKER_SCRIPT], {
    env: { ...process.env, FILOT_TEST_REVIEW_WORKER: JSON.stringify(env) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the review worker process did not start in 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`the review worker process exited with ${code}`)));
    lines.on('line', (line) => {
      if (line !== 'ready') return;
      clearTimeout(timer);
      resolve();
    });
  });
  return child;
}
