import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Child processes of the fault suite. Every long-lived one (Postgres, Redis, the service instances)
 * runs under `setpriv --pdeathsig KILL`: the kernel kills it when this process dies, even by
 * SIGKILL or an OOM kill, so an interrupted run cannot leave a Postgres or an engine running.
 * Postgres refuses to run as root; when we are root, setpriv also switches to the `postgres` user
 * (a plain exec, unlike runuser/su, so the parent-death signal stays on the server itself).
 */

export type RunAs = { user: string; group: string } | undefined;

/** The `postgres` OS user when we are root, else nobody in particular (run as ourselves). */
export function postgresUser(): RunAs {
  return process.getuid?.() === 0 ? { user: 'postgres', group: 'postgres' } : undefined;
}

function setprivArgs(runAs: RunAs, tied: boolean): string[] {
  return [
    ...(runAs ? [`--reuid=${runAs.user}`, `--regid=${runAs.group}`, '--clear-groups'] : []),
    ...(tied ? ['--pdeathsig', 'KILL'] : []),
    '--',
  ];
}

/** A long-lived child that dies with this process; its output goes to `logFd`, or to pipes. */
export function spawnTied(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; runAs?: RunAs; logFd?: number } = {},
): ChildProcess {
  return spawn('setpriv', [...setprivArgs(options.runAs, true), command, ...args], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: options.logFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', options.logFd, options.logFd],
  });
}

/** Runs a command to completion; rejects with the tail of its output when it fails. */
export async function runToEnd(
  command: string,
  args: readonly string[],
  options: { runAs?: RunAs; cwd?: string } = {},
): Promise<string> {
  const child = spawn('setpriv', [...setprivArgs(options.runAs, false), command, ...args], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`${command} exited with ${code}: ${output.slice(-1000)}`);
  return output;
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Sends `signal` and waits for the exit, escalating to SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

export { freePort } from '../../support/freePort.ts';

/**
 * Polls `ready` until it is true. Fails at once if the child exits first, and after `timeoutMs`;
 * either way the child is killed, so a failed start leaves nothing running.
 */
export async function waitForStart(
  child: ChildProcess,
  ready: () => Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited during start-up`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${what} did not start within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls `check` every `everyMs` until it is truthy; rejects after `timeoutMs` naming `what`. */
export async function poll<T>(
  check: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
