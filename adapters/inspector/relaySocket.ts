/**
 * The connection to a Stately inspector relay (`npm run inspect`, or any `createInspectorServer`):
 * one WebSocket per process, over Node's own WebSocket client.
 *
 * `@statelyai/inspect`'s `createWebSocketInspector` is not used for the transport: its socket
 * reconnects every 5 s after an error even after `stop()` (a process with the relay down never
 * exits), sends its whole backlog again on every reconnect, and does not reconnect after the relay
 * closed the connection cleanly. This one keeps its behaviour (up to 200 events kept while
 * disconnected, the oldest dropped first; a new try every 5 s) without those, and:
 *  - never throws and never waits: `send()` queues or drops, errors are swallowed;
 *  - drops events when the relay reads too slowly (more than `maxQueuedBytes` unsent on the socket);
 *  - holds the process only through an open or opening socket: the retry timer is unref'd, and
 *    `stop()` closes the socket and cancels the retry for good.
 */

export type RelaySocketOptions = {
  url: string;
  /** Events kept while the relay is unreachable, sent when it answers; the oldest go first. */
  maxBuffered?: number;
  /** The wait before connecting again after a failed or closed connection. */
  retryMs?: number;
  /** Bytes waiting on an open socket beyond which new events are dropped instead of queued. */
  maxQueuedBytes?: number;
};

export type RelaySocket = {
  start(): void;
  /** Sends one serialized event, or keeps it for when the relay answers. Never throws. */
  send(message: string): void;
  /** Closes the socket and stops reconnecting; resolves once it is closed (at most `closeWaitMs`). */
  stop(closeWaitMs?: number): Promise<void>;
  /** For tests and diagnostics. */
  state(): { connected: boolean; buffered: number; dropped: number };
};

export function createRelaySocket(options: RelaySocketOptions): RelaySocket {
  const maxBuffered = options.maxBuffered ?? 200;
  const retryMs = options.retryMs ?? 5000;
  const maxQueuedBytes = options.maxQueuedBytes ?? 1024 * 1024;
  let socket: WebSocket | null = null;
  let connected = false;
  let started = false;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;
  const buffer: string[] = [];
  let dropped = 0;

  const keep = (message: string) => {
    buffer.push(message);
    if (buffer.length > maxBuffered) {
      buffer.shift();
      dropped++;
    }
  };

  const write = (ws: WebSocket, message: string): boolean => {
    if (ws.bufferedAmount > maxQueuedBytes) {
      dropped++;
      return true;
    }
    try {
      ws.send(message);
      return true;
    } catch {
      return false;
    }
  };

  const scheduleRetry = () => {
    if (stopped || retry) return;
    retry = setTimeout(connect, retryMs);
    retry.unref();
  };

  function connect() {
    retry = null;
    if (stopped) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(options.url);
    } catch {
      // A URL the client refuses will not get better by retrying (config checks it is ws:// or wss://).
      stopped = true;
      buffer.length = 0;
      return;
    }
    socket = ws;
    ws.addEventListener('open', () => {
      if (socket !== ws) return;
      connected = true;
      // The relay broadcasts every client's events to the others, ours included: nothing to read.
      while (buffer.length > 0) {
        const message = buffer.shift() as string;
        if (!write(ws, message)) {
          buffer.unshift(message);
          break;
        }
      }
    });
    // A 'close' always follows an 'error'; the listener only keeps the error from being reported.
    ws.addEventListener('error', () => {});
    ws.addEventListener('close', () => {
      if (socket !== ws) return;
      socket = null;
      connected = false;
      scheduleRetry();
    });
  }

  return {
    start() {
      if (started || stopped) return;
      started = true;
      connect();
    },
    send(message) {
      if (stopped) return;
      const ws = socket;
      if (connected && ws && ws.readyState === WebSocket.OPEN && write(ws, message)) return;
      keep(message);
    },
    async stop(closeWaitMs = 1000) {
      stopped = true;
      buffer.length = 0;
      if (retry) clearTimeout(retry);
      retry = null;
      const ws = socket;
      socket = null;
      connected = false;
      if (!ws || ws.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, closeWaitMs);
        timer.unref();
        ws.addEventListener(
          'close',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
        try {
          ws.close();
        } catch {
          clearTimeout(timer);
          resolve();
        }
      });
    },
    state: () => ({ connected, buffered: buffer.length, dropped }),
  };
}
