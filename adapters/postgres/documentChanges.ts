import pg from 'pg';
import { backoffDelay } from '../../runtime/backoff.ts';
import { coerceError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/ports.ts';
import type { DocumentChanges } from '../../server/ports.ts';

/**
 * Committed changes of documents, as the processes that commit them notify them
 * (documentChangeNotifier.ts), heard on one listening connection per process. It uses `pg` directly:
 * slonik has no LISTEN, and a pooled connection would lose its LISTEN when given back.
 *
 * The connection is checked with a query now and then, so one that died without a word (a dropped
 * NAT entry, a failover) is found. When it is lost the listener connects again with backoff, on its
 * own, until closed; meanwhile `live` is false and subscribers are told, so they poll, and once it
 * is back they are told again, to re-read what they may have missed.
 */

/** The channel changes are notified on, with the document's id as payload (no PII). */
export const DOCUMENT_CHANGED_CHANNEL = 'document_changed';

export type DocumentChangeListener = DocumentChanges & {
  /** Starts connecting; returns at once (subscribers poll until the first connection is up). */
  start(): void;
  /** Stops listening and reconnecting; bounded by the time limit. */
  close(): Promise<void>;
};

export function createDocumentChanges(options: {
  databaseUrl: string;
  logger: Logger;
  applicationName?: string;
  /** Backoff between connection attempts (default 250 ms doubling up to 10 s, with jitter). */
  reconnect?: { minMs: number; maxMs: number };
  /** How often the connection is checked with a query (default 30 s). */
  checkMs?: number;
  /** Longest a connection attempt, a LISTEN, a check or the close may take (default 5 s). */
  timeoutMs?: number;
}): DocumentChangeListener {
  const { logger } = options;
  const reconnect = options.reconnect ?? { minMs: 250, maxMs: 10_000 };
  const checkMs = options.checkMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const subscribers = new Map<string, Set<() => void>>();
  let client: pg.Client | null = null;
  let live = false;
  let started = false;
  let closed = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;
  let check: NodeJS.Timeout | undefined;

  const signalAll = () => {
    for (const callbacks of subscribers.values()) for (const onSignal of callbacks) onSignal();
  };

  /** Ends a connection that is no longer wanted; whatever it reports from now on is dropped. */
  const discard = (connection: pg.Client) => {
    connection.removeAllListeners();
    connection.on('error', () => {});
    return Promise.race([
      connection.end().catch(() => {}),
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  };

  const scheduleConnect = () => {
    if (closed) return;
    failures++;
    retry = setTimeout(connect, backoffDelay(failures, reconnect.minMs, reconnect.maxMs));
    retry.unref();
  };

  const lost = (connection: pg.Client, error: unknown) => {
    if (connection !== client) return;
    client = null;
    live = false;
    clearInterval(check);
    void discard(connection);
    if (closed) return;
    logger.warn('document_changes.lost', { errorClass: error ? coerceError(error).name : 'ConnectionEnded' });
    // To polling, until the connection is back.
    signalAll();
    scheduleConnect();
  };

  async function connect() {
    if (closed) return;
    const connection = new pg.Client({
      connectionString: options.databaseUrl,
      application_name: options.applicationName ?? 'filot-document-changes',
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      keepAlive: true,
    });
    connection.on('error', (error) => lost(connection, error));
    connection.on('end', () => lost(connection, null));
    connection.on('notification', (message) => {
      if (message.channel !== DOCUMENT_CHANGED_CHANNEL || !message.payload) return;
      const callbacks = subscribers.get(message.payload);
      if (callbacks) for (const onSignal of callbacks) onSignal();
    });
    try {
      await connection.connect();
      await connection.query(`LISTEN ${DOCUMENT_CHANGED_CHANNEL}`);
    } catch (error) {
      void discard(connection);
      if (closed) return;
      logger.warn('document_changes.connect_failed', { errorClass: coerceError(error).name, failures: failures + 1 });
      scheduleConnect();
      return;
    }
    if (closed) {
      await discard(connection);
      return;
    }
    client = connection;
    live = true;
    logger.info('document_changes.listening', { reconnected: failures > 0 });
    failures = 0;
    // Changes made while nobody listened were not told: every subscriber re-reads once.
    signalAll();
    // One check at a time: a slow answer (up to timeoutMs) must not pile queries up behind it.
    let checking = false;
    check = setInterval(() => {
      if (checking) return;
      checking = true;
      connection.query('SELECT 1').then(
        () => {
          checking = false;
        },
        (error: unknown) => lost(connection, error),
      );
    }, checkMs);
    check.unref();
  }

  return {
    get live() {
      return live;
    },
    subscribe(documentId, onSignal) {
      let callbacks = subscribers.get(documentId);
      if (!callbacks) {
        callbacks = new Set();
        subscribers.set(documentId, callbacks);
      }
      // A wrapper of its own: the same callback subscribed twice is two subscriptions.
      const subscription = () => onSignal();
      callbacks.add(subscription);
      return () => {
        const current = subscribers.get(documentId);
        if (!current?.delete(subscription)) return;
        if (current.size === 0) subscribers.delete(documentId);
      };
    },
    start() {
      if (started || closed) return;
      started = true;
      void connect();
    },
    async close() {
      closed = true;
      live = false;
      clearTimeout(retry);
      clearInterval(check);
      const connection = client;
      client = null;
      if (connection) await discard(connection);
    },
  };
}
