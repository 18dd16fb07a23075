import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTemporalDevServer, type TemporalDevServer } from '../../../composition/temporalDevServer.ts';
import { type PostgresCluster, startPostgresCluster } from './postgresCluster.ts';
import { freePort } from './processes.ts';
import { type RedisServer, startRedisServer } from './redisServer.ts';
import { type ServiceInstance, startServiceInstance } from './serviceInstance.ts';

/**
 * The system under test for one fault run: a private Postgres cluster, a private redis-server and
 * two instances of the real service sharing them and one storage directory, all under one temp dir.
 * `close()` stops everything and removes the dir. An interrupted run (SIGINT, SIGTERM) does the
 * same synchronously; a run killed outright takes its processes with it (they run under
 * `--pdeathsig`) and its dir is removed by the next run.
 */
export type Stack = {
  root: string;
  postgres: PostgresCluster;
  redis: RedisServer;
  databaseUrl: string;
  jwtSecret: string;
  instances: ServiceInstance[];
  /** Stops everything; copies the logs to `logsTo` first when given. */
  close(options?: { logsTo?: string }): Promise<void>;
};

const DIR_PREFIX = 'filot-chaos-';
const DATABASE = 'filot_chaos';

/**
 * What every instance runs with, besides its connections, port and worker id. Everything not named
 * here is the production default (STREAM_CLAIM_IDLE_MS, SWEEPER_STALE_MS, OUTBOX_POLL_MS, the
 * Redis and Postgres timeouts), so the recovery paths measured are the ones production has.
 */
export const INSTANCE_ENV: Readonly<Record<string, string>> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  // Two instances share 2 cores with Postgres, Redis and the load generator: one OCR thread each,
  // one onnxruntime thread, one recognition lane. No CUDA probe on a machine without a GPU.
  OCR_DEVICE: 'cpu',
  OCR_ENGINE_THREADS: '1',
  OCR_THREADS: '1',
  OCR_RECOGNITION_LANES: '1',
  // All load comes from one IP and a few users; a 429 would be counted as the fault's doing.
  RATE_LIMIT_UPLOADS_PER_MINUTE: '1000000',
  RATE_LIMIT_VERIFICATION_PER_MINUTE: '1000000',
  // Shortened so a SIGKILLed worker's documents come back within a run instead of after 30–36 s:
  // lease 10 s (heartbeat every 3.3 s), reaper every second.
  OCR_LEASE_MS: '10000',
  REAPER_INTERVAL_MS: '1000',
  // Shortened so lost Redis data is noticed within ~3 s instead of ~16 s: a sweep every 3 s.
  SWEEPER_INTERVAL_MS: '3000',
  // The end of the run stops the instances outright; no graceful stop is measured.
  SHUTDOWN_TIMEOUT_MS: '5000',
  // A decision waits on Temporal for at most this: within the 1 s budget of an answer during an
  // outage (budgets.ts), after which a decision the review took is answered 202.
  TEMPORAL_CALL_TIMEOUT_MS: '800',
};

export async function startStack(options: { instances?: number } = {}): Promise<Stack> {
  removeAbandonedRuns();
  const root = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  writeFileSync(join(root, 'owner.pid'), String(process.pid));
  const instances: ServiceInstance[] = [];
  let postgres: PostgresCluster | undefined;
  let redis: RedisServer | undefined;
  let temporal: TemporalDevServer | undefined;

  // Interrupted: the children die with us (pdeathsig); only the directory needs removing.
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(root, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  const onExit = () => rmSync(root, { recursive: true, force: true });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);

  const close = async (closeOptions: { logsTo?: string } = {}) => {
    await Promise.allSettled(instances.map((instance) => instance.stop()));
    await Promise.allSettled([redis?.stop(), postgres?.stop(), temporal?.stop()]);
    if (closeOptions.logsTo) await copyLogs(root, closeOptions.logsTo).catch(() => {});
    rmSync(root, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  };

  try {
    // One after the other, so that a failure leaves only started servers for close() to stop.
    postgres = await startPostgresCluster(root);
    redis = await startRedisServer(root);
    // The test run's Temporal server (test/support/globalSetup.ts), or one of the run's own.
    if (!process.env.TEMPORAL_ADDRESS) temporal = await startTemporalDevServer();
    const temporalAddress = process.env.TEMPORAL_ADDRESS ?? (temporal as TemporalDevServer).address;
    const storage = join(root, 'storage');
    await mkdir(storage);
    const jwtSecret = randomBytes(32).toString('base64');
    const databaseUrl = postgres.url(DATABASE);
    const env = {
      ...INSTANCE_ENV,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      STORAGE_DIR: storage,
      JWT_SECRET: jwtSecret,
      TEMPORAL_ADDRESS: temporalAddress,
      // The run's reviews on a queue of their own: other test files share the server.
      TEMPORAL_TASK_QUEUE: `chaos-${root.replace(/\W/g, '').slice(-24)}`,
      // Whatever the engine's libraries leave in the temp dir (onnxruntime: mat-debug-<pid>.log)
      // goes with the run's directory.
      TMPDIR: root,
    };
    const count = options.instances ?? 2;
    const names = Array.from({ length: count }, (_, index) => String.fromCharCode(97 + index));
    const ports = await Promise.all(names.map(() => freePort()));
    // Started together: both create the database and migrate at once, which must be harmless.
    const started = await Promise.allSettled(
      names.map((name, index) =>
        startServiceInstance({ root, name, port: ports[index] as number, workerId: `chaos-${name}`, env }),
      ),
    );
    for (const result of started) if (result.status === 'fulfilled') instances.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return { root, postgres, redis, databaseUrl, jwtSecret, instances, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Temp dirs of earlier runs whose process is gone (killed outright: no handler ran). */
function removeAbandonedRuns(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    const ownerFile = join(dir, 'owner.pid');
    // No owner file yet: a run that is starting right now.
    if (!existsSync(ownerFile)) continue;
    const owner = Number(readFileSync(ownerFile, 'utf8'));
    if (Number.isInteger(owner) && isAlive(owner)) continue;
    rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function copyLogs(root: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const file of await readdir(root))
    if (file.endsWith('.log')) await copyFile(join(root, file), join(target, file));
}
