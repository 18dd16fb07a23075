import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { temporalCli } from '../../composition/temporalDevServer.ts';

/**
 * A real Temporal dev server for tests. Under `npm test` the global setup (globalSetup.ts) has started
 * one for the whole run and put its address in TEMPORAL_ADDRESS; each test file then only connects,
 * and keeps apart from the others with task queues and workflow ids of its own. A file run alone with
 * `node --test <file>` starts its own server, headless and in memory, which `teardown()` stops.
 */

let quiet = false;

/** The SDK's own logs at WARN and above: its INFO lines (webpack's bundle report) drown the test output. */
export function quietTemporalLogs(): void {
  if (quiet) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  quiet = true;
}

export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  quietTemporalLogs();
  const shared = process.env.TEMPORAL_ADDRESS;
  if (shared) return TestWorkflowEnvironment.createFromExistingServer({ address: shared });
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
