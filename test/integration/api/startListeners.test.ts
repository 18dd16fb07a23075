import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createRedis } from '../../../adapters/redis/client.ts';
import { TEST_SERVER_URL } from '../../support/database.ts';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../../support/redis.ts';

/**
 * main.ts's listeners: the start-up line names the URL and /docs with the port it really bound, and
 * METRICS_PORT gives /metrics a listener of its own while the public port stops serving it.
 */

const MAIN = fileURLToPath(new URL('../../../main.ts', import.meta.url));

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('main.ts --dotenv', () => {
  it('should read the file before the configuration (exported variables win)', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'filot-env-file-'));
    try {
      const file = join(directory, '.env');
      await writeFile(file, 'PORT=not-a-port\nLOG_LEVEL=loud\n');
      const result = spawnSync(process.execPath, [MAIN, `--dotenv=${file}`], {
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(result.status, 1);
      assert.match(result.stderr, /PORT:/);
      assert.doesNotMatch(result.stderr, /LOG_LEVEL/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('npm start: listeners', () => {
  const databaseName = `filot_listeners_${randomBytes(5).toString('hex')}`;
  const prefix = uniquePrefix();
  let child: ReturnType<typeof spawn> | null = null;
  after(async () => {
    child?.kill('SIGKILL');
    const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await admin.end();
    const redis = createRedis(TEST_REDIS_URL, { name: 'filot-test', onError: () => {} });
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it('should log the URL and /docs with the bound port, and serve /metrics on METRICS_PORT only', async () => {
    const url = new URL(TEST_SERVER_URL);
    url.pathname = `/${databaseName}`;
    const metricsPort = await freePort();
    // As npm start runs it, with a .env path that does not exist: an info line, nothing on stderr.
    const missingEnvFile = join(tmpdir(), `filot-no-env-${randomBytes(4).toString('hex')}`, '.env');
    child = spawn(process.execPath, [MAIN, `--dotenv=${missingEnvFile}`], {
      env: {
        PATH: process.env.PATH ?? '',
        ...(process.env.TEMPORAL_ADDRESS ? { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS } : {}),
        DATABASE_URL: url.toString(),
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        PROCESS_ROLES: 'api',
        PORT: '0',
        METRICS_PORT: String(metricsPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: Record<string, unknown>[] = [];
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
    });
    const exited = once(child, 'exit');
    const deadline = Date.now() + 60_000;
    while (!logs.some((line) => line.message === 'metrics.listening')) {
      assert.ok(Date.now() < deadline, `no metrics.listening; logs: ${JSON.stringify(logs)} ${stderr}`);
      assert.equal(child.exitCode, null, `exited; logs: ${JSON.stringify(logs)} ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const listening = logs.find((line) => line.message === 'server.listening') as Record<string, unknown>;
    const port = listening.port as number;
    assert.ok(port > 0);
    assert.equal(listening.url, `http://localhost:${port}`);
    assert.equal(listening.docs, `http://localhost:${port}/docs`);
    assert.deepEqual(
      logs.filter((line) => line.message === 'metrics.listening').map(({ host, port }) => ({ host, port })),
      [{ host: '127.0.0.1', port: metricsPort }],
    );

    assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /filot_/);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/health`)).status, 404);
    assert.deepEqual(
      logs
        .filter((line) => line.message === 'config.env_file')
        .map(({ level, path, found }) => ({ level, path, found })),
      [{ level: 'info', path: missingEnvFile, found: false }],
    );
    assert.doesNotMatch(stderr, /not found/);
    // Not production: nothing to warn about.
    assert.equal(
      logs.some((line) => line.message === 'metrics.unprotected'),
      false,
    );

    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, stderr);
  });
});
