import type { ChildProcess } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, spawnTied, stopChild, waitForStart } from './processes.ts';

/**
 * A private redis-server for one fault run, on a random port, without persistence (`--save ""
 * --appendonly no`): like a cache node whose restart loses everything, which is what the engine
 * promises to survive. `down()` kills it (SIGKILL: connections drop as in a crash or a network
 * cut); `up()` starts an empty one on the same port.
 */
export type RedisServer = {
  url: string;
  port: number;
  flushAll(): Promise<void>;
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
};

export async function startRedisServer(root: string): Promise<RedisServer> {
  const port = await freePort();
  const dir = join(root, 'redis');
  await mkdir(dir, { recursive: true });
  const log = await open(join(root, 'redis.log'), 'a');
  const binary = process.env.REDIS_SERVER ?? 'redis-server';
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];

  let server: ChildProcess | undefined;
  const up = async () => {
    const child = spawnTied(binary, args, { logFd: log.fd });
    server = child;
    await waitForStart(child, async () => (await command(port, 'PING')) === '+PONG', 'redis-server', 10_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}; see ${join(root, 'redis.log')}`);
      },
    );
  };
  await up();

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async flushAll() {
      const reply = await command(port, 'FLUSHALL');
      if (reply !== '+OK') throw new Error(`FLUSHALL answered ${reply}`);
    },
    async down() {
      if (server) await stopChild(server, 'SIGKILL');
    },
    up,
    async stop() {
      if (server) await stopChild(server, 'SIGKILL');
      await log.close();
    },
  };
}

/** One inline command on a fresh connection; its first reply line. */
function command(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(2000, () => socket.destroy(new Error(`redis ${text} timed out`)));
    socket.once('connect', () => socket.write(`${text}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.end();
        resolve(reply.split('\r\n')[0] ?? '');
      }
    });
    socket.once('error', reject);
  });
}
