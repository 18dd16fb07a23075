import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { createRedis } from '../../../adapters/redis/client.ts';
import { todayIn } from '../../../domain/dates.ts';
import { generateCard } from '../../../synthetic/generate.ts';
import { TEST_SERVER_URL } from '../../support/database.ts';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../../support/redis.ts';

const MAIN = fileURLToPath(new URL('../../../main.ts', import.meta.url));

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  const exited = new Promise<{ code: number | null }>((resolve) => child.once('exit', (code) => resolve({ code })));
  return { child, logs, exited, stderr: () => stderr, output: () => stdout + stderr };
}

async function listeningPort(logs: Record<string, unknown>[], exited: Promise<unknown>): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const line = logs.find((entry) => entry.message === 'server.listening');
    if (line) return line.port as number;
    if (Date.now() > deadline) throw new Error(`no server.listening line; logs: ${JSON.stringify(logs)}`);
    const done = await Promise.race([
      exited.then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 50)),
    ]);
    if (done) throw new Error(`the process exited; logs: ${JSON.stringify(logs)}`);
  }
}

describe('npm start', () => {
  const databaseName = `filot_start_${randomBytes(5).toString('hex')}`;
  const prefix = uniquePrefix();
  const children: ChildProcess[] = [];
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await admin.end();
    const redis = createRedis(TEST_REDIS_URL, { name: 'filot-test', onError: () => {} });
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it('should create the database, migrate, serve /health and /ready, and stop cleanly on SIGTERM', async () => {
    const url = new URL(TEST_SERVER_URL);
    url.pathname = `/${databaseName}`;
    const service = start({
      DATABASE_URL: url.toString(),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      PORT: '0',
    });
    children.push(service.child);
    const port = await listeningPort(service.logs, service.exited);
    assert.ok(service.logs.some((line) => line.message === 'database.created'));
    assert.ok(service.logs.some((line) => line.message === 'database.migrated'));

    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    assert.equal(body.status, 'ready');
    assert.equal(body.checks.postgres?.ok, true);
    assert.equal(body.checks.redis?.ok, true);
    // No GPU here: the OCR engine asked for CUDA, fell back to the CPU and said so.
    assert.ok(service.logs.some((line) => line.message === 'ocr.fallback'));
    assert.ok(service.logs.some((line) => line.message === 'ocr.ready' && line.device === 'cpu'));
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /filot_ocr_fallbacks_total\{reason="cuda_unavailable"\} 1/);
    const missing = await fetch(`http://127.0.0.1:${port}/nowhere`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('content-type')?.startsWith('application/problem+json'), true);

    service.child.kill('SIGTERM');
    assert.equal((await service.exited).code, 0);
    assert.ok(service.logs.some((line) => line.message === 'shutdown.done'));
  });

  it('should stay up while Redis is unreachable: not ready, uploads committed and answered at once', async () => {
    const url = new URL(TEST_SERVER_URL);
    url.pathname = `/${databaseName}`;
    const jwtSecret = randomBytes(32).toString('base64');
    const storage = await mkdtemp(join(tmpdir(), 'filot-start-storage-'));
    const service = start({
      DATABASE_URL: url.toString(),
      REDIS_URL: 'redis://127.0.0.1:1',
      REDIS_KEY_PREFIX: prefix,
      PORT: '0',
      JWT_SECRET: jwtSecret,
      STORAGE_DIR: storage,
    });
    children.push(service.child);
    try {
      const port = await listeningPort(service.logs, service.exited);
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      assert.equal(ready.status, 503);
      const body = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
      assert.equal(body.checks.postgres?.ok, true);
      assert.equal(body.checks.redis?.ok, false);

      const token = jwt.sign({ role: 'user' }, jwtSecret, {
        subject: 'owner-no-redis',
        issuer: 'filot-kyc',
        audience: 'filot-kyc-api',
        expiresIn: '5m',
      });
      const card = await generateCard(12, { type: 'KTP', today: todayIn(new Date()), difficulty: 'mild' });
      const form = new FormData();
      form.append('type', 'KTP');
      form.append('file', new Blob([card.image]), 'card.jpg');
      // Bounds, not performance targets: the rate limit and the enqueue used to wait through
      // ioredis' reconnection attempts for up to 27 s.
      let started = performance.now();
      const uploaded = await fetch(`http://127.0.0.1:${port}/documents/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      });
      assert.equal(uploaded.status, 202);
      assert.ok(performance.now() - started < 2000, `upload answered in ${performance.now() - started} ms`);
      const { id } = (await uploaded.json()) as { id: string };
      started = performance.now();
      const verdict = await fetch(`http://127.0.0.1:${port}/verification/${id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(verdict.status, 200);
      assert.ok(performance.now() - started < 2000, `verification answered in ${performance.now() - started} ms`);

      // The process used to die about 8 s after start on an unhandled MaxRetriesPerRequestError.
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      assert.equal(service.child.exitCode, null, `still running; stderr: ${service.stderr()}`);
      assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
      service.child.kill('SIGTERM');
      assert.equal((await service.exited).code, 0);
      assert.equal(
        service.logs.some((line) => line.message === 'process.crashed'),
        false,
      );
    } finally {
      await rm(storage, { recursive: true, force: true });
    }
  });

  it('should refuse to start with one message naming every bad variable', async () => {
    const service = start({ DATABASE_URL: 'mysql://localhost/x', REDIS_URL: 'http://localhost', PORT: 'eighty' });
    const { code } = await service.exited;
    assert.equal(code, 1);
    const message = service.stderr();
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'PORT'])
      assert.ok(message.includes(name), `${name} in: ${message}`);
    assert.equal(message.trim().split('\n')[0]?.startsWith('Invalid configuration (3 problem(s))'), true, message);
  });

  it('should refuse to start in production without secrets', async () => {
    const service = start({ NODE_ENV: 'production' });
    const { code } = await service.exited;
    assert.equal(code, 1);
    assert.ok(service.stderr().includes('PII_ENCRYPTION_KEYS'));
    assert.ok(service.stderr().includes('NIK_HASH_KEY'));
  });

  it('should keep every identifier and secret out of the logs through a whole upload-to-decision flow', async () => {
    const url = new URL(TEST_SERVER_URL);
    url.pathname = `/${databaseName}`;
    const jwtSecret = randomBytes(32).toString('base64');
    const storage = await mkdtemp(join(tmpdir(), 'filot-start-storage-'));
    const service = start({
      DATABASE_URL: url.toString(),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      PORT: '0',
      LOG_LEVEL: 'debug',
      JWT_SECRET: jwtSecret,
      STORAGE_DIR: storage,
    });
    children.push(service.child);
    try {
      const port = await listeningPort(service.logs, service.exited);
      const card = await generateCard(11, { type: 'KTP', today: todayIn(new Date()), difficulty: 'mild' });
      const token = jwt.sign({ role: 'user' }, jwtSecret, {
        subject: 'owner-logs',
        issuer: 'filot-kyc',
        audience: 'filot-kyc-api',
        expiresIn: '5m',
      });
      const form = new FormData();
      form.append('type', 'KTP');
      form.append('file', new Blob([card.image]), 'card.jpg');
      const uploaded = await fetch(`http://127.0.0.1:${port}/documents/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      });
      assert.equal(uploaded.status, 202);
      const { id } = (await uploaded.json()) as { id: string };
      let verdict = 'pending';
      for (let waited = 0; verdict === 'pending' && waited < 60_000; waited += 200) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const response = await fetch(`http://127.0.0.1:${port}/verification/${id}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        verdict = ((await response.json()) as { verdict: string }).verdict;
      }
      assert.equal(verdict, 'approved');
      // A malformed request that quotes the NIK must not bring it into the logs either.
      await fetch(`http://127.0.0.1:${port}/documents/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: `{"nik": "${card.label.fields.nik}"`,
      });
      service.child.kill('SIGTERM');
      await service.exited;

      const output = service.output();
      assert.ok(output.includes(id), 'the logs do name the document');
      assert.ok(
        service.logs.some(
          (line) => line.message === 'http.request' && line.path === '/documents/upload' && line.status === 202,
        ),
      );
      const secrets: [string, string][] = [
        ['NIK', card.label.fields.nik as string],
        ['name', card.label.fields.nama as string],
        ['address', card.label.fields.alamat as string],
        ['bearer token', token],
        ['JWT secret', jwtSecret],
      ];
      for (const [what, value] of secrets) assert.equal(output.includes(value), false, `${what} appears in the logs`);
    } finally {
      await rm(storage, { recursive: true, force: true });
    }
  });
});
