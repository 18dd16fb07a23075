import { Redis } from 'ioredis';

export function createRedis(url: string, name: string): Redis {
  return new Redis(url, {
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
