import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { spawnTied, stopChild, waitForStart } from './processes.ts';

const MAIN = fileURLToPath(new URL('../../../main.ts', import.meta.url));

/**
 * One instance of the real service (`node main.ts`, real OCR engine), on a fixed port so a restart
 * comes back where the clients look for it. Its JSON log lines go to `<root>/<name>.log`; the
 * count of each event name is kept for the report.
 */
export type ServiceInstance = {
  name: string;
  port: number;
  baseUrl: string;
  /** The WORKER_ID of the process now running (a restart gets a new one, as `<host>-<pid>` would). */
  workerId: string;
  /** False from the moment it is killed until its replacement listens: clients skip it meanwhile. */
  up: boolean;
  /** When it was last killed (ms since epoch), to tell requests lost with it from resets. */
  killedAt: number | undefined;
  /** How many times each log event was seen, over every process of this instance. */
  events: Map<string, number>;
  /** The last log lines, for a failure message. */
  tail(): string[];
  /** Exits nobody asked for (a crash), with when and how. */
  crashes: string[];
  kill(): Promise<void>;
  restart(workerId: string): Promise<{ startMs: number }>;
  stop(): Promise<void>;
};

const START_TIMEOUT_MS = 90_000;
const TAIL_LINES = 40;

export async function startServiceInstance(settings: {
  root: string;
  name: string;
  port: number;
  workerId: string;
  env: Record<string, string>;
}): Promise<ServiceInstance> {
  const logFile = createWriteStream(join(settings.root, `${settings.name}.log`), { flags: 'a' });
  const lines: string[] = [];
  let child: ChildProcess | undefined;
  let exitExpected = false;

  const launch = async (workerId: string) => {
    const started = Date.now();
    let listening = false;
    // Reviewers' decisions need a review worker polling: the instance counts as started with one.
    let reviewing = false;
    exitExpected = false;
    child = spawnTied(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', ...settings.env, PORT: String(settings.port), WORKER_ID: workerId },
    });
    child.once('exit', (code, signal) => {
      if (exitExpected) return;
      instance.up = false;
      instance.crashes.push(
        `${workerId} exited on its own (code ${code}, signal ${signal}) at ${new Date().toISOString()}`,
      );
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      logFile.write(chunk);
      lines.push(...chunk.toString().trimEnd().split('\n'));
      lines.splice(0, Math.max(0, lines.length - TAIL_LINES));
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      logFile.write(`${line}\n`);
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
      if (!line.startsWith('{')) return;
      try {
        const message = (JSON.parse(line) as { message?: unknown }).message;
        if (typeof message !== 'string') return;
        instance.events.set(message, (instance.events.get(message) ?? 0) + 1);
        if (message === 'server.listening') listening = true;
        if (message === 'review.worker_started') reviewing = true;
      } catch {
        // A line that only looks like JSON: kept in the file and the tail.
      }
    });
    await waitForStart(child, async () => listening && reviewing, settings.name, START_TIMEOUT_MS).catch(
      (error: Error) => {
        throw new Error(`${error.message}:\n${lines.join('\n')}`);
      },
    );
    instance.workerId = workerId;
    instance.up = true;
    return { startMs: Date.now() - started };
  };

  const instance: ServiceInstance = {
    name: settings.name,
    port: settings.port,
    baseUrl: `http://127.0.0.1:${settings.port}`,
    workerId: settings.workerId,
    up: false,
    killedAt: undefined,
    events: new Map(),
    tail: () => [...lines],
    crashes: [],
    async kill() {
      exitExpected = true;
      instance.up = false;
      instance.killedAt = Date.now();
      if (child) await stopChild(child, 'SIGKILL');
    },
    restart: (workerId) => launch(workerId),
    async stop() {
      exitExpected = true;
      instance.up = false;
      if (child) await stopChild(child, 'SIGKILL');
      await new Promise((resolve) => logFile.end(resolve));
    },
  };
  await launch(settings.workerId);
  return instance;
}
