import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { createRedis } from '../../../adapters/redis/client.ts';
import { ConfigError, loadConfig } from '../../../config/index.ts';
import { freePort } from '../../support/freePort.ts';

/**
 * REDIS_PASSWORD and rediss:// against real password-protected redis-servers this test starts: one
 * plain, one TLS only (Debian's redis-server is built with TLS; the certificate is made here with
 * openssl). The app's own path: loadConfig, then createRedis with config.redisUrl, as every
 * connection of the engine is opened (composition/runtime.ts).
 */

/** A password with every character a URL would mangle unencoded. */
const PASSWORD = 'p@ss:w/rd %41?#&+é';

type Server = { port: number; stop(): Promise<void> };

/** redis-server on a free port of 127.0.0.1, without persistence, once it says it accepts connections. */
async function startRedisServer(args: (port: number) => string[]): Promise<Server> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD, ...args(port)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${output}`));
    });
  });
  await ready;
  return {
    port,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

/** The engine's connection for an environment, with every error it reports. */
function connect(env: Record<string, string>): { redis: Redis; errors: string[] } {
  const errors: string[] = [];
  const redis = createRedis(loadConfig(env).redisUrl, {
    name: 'filot-test-auth',
    onError: (e) => errors.push(e.message),
  });
  return { redis, errors };
}

describe('Redis with a password (REDIS_PASSWORD)', () => {
  let server: Server;
  const opened: Redis[] = [];
  before(async () => {
    server = await startRedisServer((port) => ['--port', String(port)]);
  });
  after(async () => {
    for (const redis of opened) redis.disconnect();
    await server?.stop();
  });
  const open = (env: Record<string, string>) => {
    const connection = connect(env);
    opened.push(connection.redis);
    return connection;
  };
  const url = () => `redis://127.0.0.1:${server.port}`;

  it('connects and works with REDIS_PASSWORD, whatever characters it holds', async () => {
    const { redis, errors } = open({ REDIS_URL: url(), REDIS_PASSWORD: PASSWORD });
    assert.equal(await redis.ping(), 'PONG');
    await redis.set('filot-test:auth', 'ok');
    assert.equal(await redis.get('filot-test:auth'), 'ok');
    assert.deepEqual(errors, []);
  });

  it('fails clearly without it: every command, and the error reported, say NOAUTH', async () => {
    const { redis, errors } = open({ REDIS_URL: url() });
    await assert.rejects(redis.ping(), /NOAUTH Authentication required/);
    assert.ok(
      errors.some((message) => /NOAUTH/.test(message)),
      errors.join('\n'),
    );
  });

  it('fails clearly with a wrong one: WRONGPASS, and the password is in no message', async () => {
    const { redis, errors } = open({ REDIS_URL: url(), REDIS_PASSWORD: 'not-the-password' });
    await assert.rejects(
      redis.ping(),
      (error: Error) => /WRONGPASS/.test(error.message) && !error.message.includes('not-the-password'),
    );
    assert.ok(
      errors.some((message) => /WRONGPASS/.test(message)),
      errors.join('\n'),
    );
  });

  it('connects with the password in REDIS_URL instead, with or without the default user', async () => {
    const encoded = encodeURIComponent(PASSWORD);
    for (const auth of [`:${encoded}`, `default:${encoded}`]) {
      const { redis } = open({ REDIS_URL: `redis://${auth}@127.0.0.1:${server.port}` });
      assert.equal(await redis.ping(), 'PONG', auth.split(':')[0] || '(no user)');
    }
  });

  it('refuses a password in both places, naming the variable and neither value', () => {
    assert.throws(
      () => loadConfig({ REDIS_URL: `redis://:other@127.0.0.1:${server.port}`, REDIS_PASSWORD: PASSWORD }),
      (error: Error) =>
        error instanceof ConfigError &&
        /REDIS_PASSWORD: REDIS_URL carries a password already/.test(error.message) &&
        !error.message.includes(PASSWORD) &&
        !error.message.includes('other'),
    );
  });
});

describe('Redis over TLS (rediss://)', () => {
  let server: Server;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'filot-redis-tls-'));
    // A self-signed certificate for 127.0.0.1 and localhost, its own CA.
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=filot-test-redis',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    // TLS only: the plain port is off.
    server = await startRedisServer((port) => [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--tls-cert-file',
      join(dir, 'cert.pem'),
      '--tls-key-file',
      join(dir, 'key.pem'),
      '--tls-auth-clients',
      'no',
    ]);
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /**
   * Pings through the engine's connection in a process of its own: the CA it trusts is
   * NODE_EXTRA_CA_CERTS, which Node reads only at start-up, as a deployment would set it.
   */
  async function pingInChild(
    env: Record<string, string>,
    extraCa: boolean,
  ): Promise<{ reply?: string; error?: string; errors: string[] }> {
    const script = `
      import { loadConfig } from ${JSON.stringify(new URL('../../../config/index.ts', import.meta.url).href)};
      import { createRedis } from ${JSON.stringify(new URL('../../../adapters/redis/client.ts', import.meta.url).href)};
      const errors = [];
      const redis = createRedis(loadConfig(JSON.parse(process.env.FILOT_TEST_ENV)).redisUrl, {
        name: 'filot-test-tls', onError: (error) => errors.push(error.message),
      });
      const result = await redis.ping().then((reply) => ({ reply }), (error) => ({ error: error.message }));
      redis.disconnect();
      console.log(JSON.stringify({ ...result, errors }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH,
        FILOT_TEST_ENV: JSON.stringify(env),
        ...(extraCa ? { NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') } : {}),
      },
      timeout: 30_000,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1) as string);
  }

  it('connects over TLS with REDIS_PASSWORD, checking the server certificate against the CA it is given', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const result = await pingInChild(
        { REDIS_URL: `rediss://${host}:${server.port}`, REDIS_PASSWORD: PASSWORD },
        true,
      );
      assert.equal(result.reply, 'PONG', `${host}: ${JSON.stringify(result)}`);
    }
  });

  it('refuses a server certificate it cannot verify', async () => {
    const result = await pingInChild(
      { REDIS_URL: `rediss://127.0.0.1:${server.port}`, REDIS_PASSWORD: PASSWORD },
      false,
    );
    assert.equal(result.reply, undefined);
    assert.ok(
      result.errors.some((message) => /self[- ]signed certificate/i.test(message)),
      JSON.stringify(result),
    );
  });

  it('does not speak plain redis:// to a TLS port', async () => {
    const result = await pingInChild({ REDIS_URL: `redis://127.0.0.1:${server.port}`, REDIS_PASSWORD: PASSWORD }, true);
    assert.equal(result.reply, undefined, JSON.stringify(result));
  });
});
