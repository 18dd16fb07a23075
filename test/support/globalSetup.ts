import { startTemporalDevServer, type TemporalDevServer } from '../../composition/temporalDevServer.ts';

/**
 * `node --test --test-global-setup=test/support/globalSetup.ts` (npm test): one in-memory Temporal dev
 * server for the whole run instead of one per test file. The runner calls these two in its own
 * process, before it starts the test files' processes and after they have all ended (also after a
 * failure, SIGINT or SIGTERM); the test processes inherit its environment, so TEMPORAL_ADDRESS reaches
 * them. A TEMPORAL_ADDRESS already set is used as it is and nothing is started.
 */

let server: TemporalDevServer | undefined;

export async function globalSetup(): Promise<void> {
  if (process.env.TEMPORAL_ADDRESS) return;
  server = await startTemporalDevServer();
  process.env.TEMPORAL_ADDRESS = server.address;
}

export async function globalTeardown(): Promise<void> {
  await server?.stop();
}
