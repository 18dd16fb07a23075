/**
 * `npm run inspect`: the local relay for the Stately inspector (`@statelyai/inspect/server`). The
 * engine, started with INSPECT_WS_URL pointing here, sends every document it moves to the relay;
 * the relay passes the events on to the browser page it serves, and keeps the last 200 for a page
 * opened later. The page embeds the inspector UI, which Stately hosts at https://stately.ai/inspect:
 * the browser needs internet access, the relay does not. INSPECT_PORT picks the port (8080).
 */
import { createInspectorServer } from '@statelyai/inspect/server';

const DEFAULT_PORT = 8080;
const STATELY_UI = 'https://stately.ai/inspect';

function portFromEnvironment(): number | null {
  const raw = process.env.INSPECT_PORT;
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const port = Number(raw);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
}

/** Resolves once the relay answers HTTP on `port`; false if it did not within `timeoutMs`. */
async function answers(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) });
      await response.body?.cancel();
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

async function main(): Promise<number | null> {
  const port = portFromEnvironment();
  if (port === null) {
    console.error(`INSPECT_PORT must be a port number (1-65535), not ${JSON.stringify(process.env.INSPECT_PORT)}`);
    return 2;
  }
  // The relay's HTTP server reports a port in use as an error nobody listens to.
  process.on('uncaughtException', (error: NodeJS.ErrnoException) => {
    console.error(
      error.code === 'EADDRINUSE'
        ? `Port ${port} is in use: set INSPECT_PORT to another port (and INSPECT_WS_URL to match).`
        : `The inspector relay failed: ${error.message}`,
    );
    process.exit(1);
  });
  const server = createInspectorServer({ port, url: STATELY_UI, autoOpen: false });
  if (!(await answers(port, 5000))) {
    console.error(`The inspector relay did not start on port ${port}.`);
    server.stop();
    return 1;
  }
  const stop = (signal: string) => {
    server.stop();
    console.log(`Inspector relay stopped (${signal}).`);
    // Open WebSocket clients (the engine, a browser page) would otherwise keep the process alive.
    process.exit(0);
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  console.log(
    [
      `Stately inspector relay listening on port ${port}.`,
      `  Engine:  start it with INSPECT_WS_URL=ws://localhost:${port}`,
      `  Browser: open http://localhost:${port}`,
      `The inspector UI is hosted by Stately (${STATELY_UI}): the page opened above embeds it, so the`,
      'browser needs internet access and shows the events there; the relay itself is local.',
      'Ctrl-C stops the relay.',
    ].join('\n'),
  );
  return null;
}

const exitCode = await main();
if (exitCode !== null) process.exit(exitCode);
