import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, postgresUser, runToEnd, spawnTied, stopChild, waitForStart } from './processes.ts';

/**
 * A private Postgres cluster for one fault run: initdb into the run's temp dir, trust auth, a
 * random port on 127.0.0.1 and its unix socket inside the temp dir, so it can never meet the
 * machine's shared server. The postmaster runs in the foreground as our child; `restart()` is what
 * `pg_ctl restart -m fast` does (SIGINT: fast shutdown, then start again on the same port and data).
 */
export type PostgresCluster = {
  port: number;
  /** A connection URL for `database` (the `postgres` role, no password). */
  url(database: string): string;
  /** Fast shutdown and start again; resolves once it accepts connections, with how long it was down. */
  restart(): Promise<{ downMs: number }>;
  stop(): Promise<void>;
};

/** PG_BIN, else the newest /usr/lib/postgresql/N/bin (Debian), else whatever PATH finds. */
function postgresBinary(name: string): string {
  if (process.env.PG_BIN) return join(process.env.PG_BIN, name);
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((entry) => /^\d+$/.test(entry) && existsSync(join(root, entry, 'bin', name)))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions[0] ? join(root, versions[0], 'bin', name) : name;
}

export async function startPostgresCluster(root: string): Promise<PostgresCluster> {
  const runAs = postgresUser();
  const home = join(root, 'postgres');
  const data = join(home, 'data');
  await mkdir(home, { recursive: true });
  if (runAs) {
    // The server user must reach its directory: the run's root is root's own 0700 temp dir.
    await chmod(root, 0o711);
    const { uid, gid } = await userIds(runAs.user);
    await chown(home, uid, gid);
  }
  await runToEnd(
    postgresBinary('initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { runAs, cwd: home },
  );
  const port = await freePort();
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${home}`,
  ];
  const log = await open(join(root, 'postgres.log'), 'a');

  let server: ChildProcess;
  const start = async () => {
    server = spawnTied(postgresBinary('postgres'), args, { runAs, cwd: home, logFd: log.fd });
    await waitForStart(server, () => accepts(port), 'postgres', 30_000).catch((error: Error) => {
      throw new Error(`${error.message}; see ${join(root, 'postgres.log')}`);
    });
  };
  await start();

  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async restart() {
      const began = Date.now();
      await stopChild(server, 'SIGINT');
      await start();
      return { downMs: Date.now() - began };
    },
    async stop() {
      await stopChild(server, 'SIGINT');
      await log.close();
    },
  };
}

async function accepts(port: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}

async function userIds(user: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([runToEnd('id', ['-u', user]), runToEnd('id', ['-g', user])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}
