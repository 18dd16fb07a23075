import { createServer, type RequestListener, type Server } from 'node:http';

/**
 * The HTTP server's own time limits, which a client that sends slowly must not outlast. The
 * largest request is a 2 MB upload: REQUEST_TIMEOUT_MS lets it arrive at about 140 kbit/s (a poor
 * mobile link), and a connection that sends nothing at all for IDLE_TIMEOUT_MS is closed whatever
 * it is doing (an open event stream sends a heartbeat every 10 s, so it stays). Headers, a few
 * hundred bytes, must be in within HEADERS_TIMEOUT_MS. Node checks the header and request limits
 * every CHECK_INTERVAL_MS, so they are enforced to within that. Once a request is in, answering
 * it is not limited here: an event stream may run for its full length.
 */
export const HTTP_TIMEOUTS = {
  headersMs: 10_000,
  requestMs: 120_000,
  idleMs: 30_000,
  keepAliveMs: 5_000,
  checkIntervalMs: 1_000,
} as const;

export type HttpTimeouts = { [key in keyof typeof HTTP_TIMEOUTS]: number };

export function createHttpServer(app: RequestListener, timeouts: HttpTimeouts = HTTP_TIMEOUTS): Server {
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    },
    app,
  );
  // An idle socket is destroyed; Node has no answer to send on it by then.
  server.setTimeout(timeouts.idleMs, (socket) => socket.destroy());
  return server;
}
