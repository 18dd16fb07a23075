import { Redis } from 'ioredis';

/**
 * `autoPipelining` batches the commands issued in one turn of the event loop into one socket write
 * (ioredis' enableAutoPipelining). Give it only to a connection that serves many concurrent short
 * commands, such as the HTTP rate limits: never to one that runs blocking reads.
 */
export function createRedis(url: string, name: string, options: { autoPipelining?: boolean } = {}): Redis {
  return new Redis(url, {
    enableAutoPipelining: options.autoPipelining ?? false,
    connectionName: name,
    // RESP2 reply shapes: the stream replies below are parsed positionally.
    protocol: 2,
    maxRetriesPerRequest: 3,
    // Commands issued while reconnecting wait in the offline queue and fail after
    // maxRetriesPerRequest reconnection attempts; Postgres-driven recovery covers what they lose.
    enableOfflineQueue: true,
    lazyConnect: false,
  });
}
