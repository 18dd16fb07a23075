import { Redis } from 'ioredis';

/**
 * What a connection is for decides how long its callers may wait on it:
 * - `commands`: the runtime's short commands (stream writes, acks, locks, sweeper markers). Each
 *   waits at most COMMAND_TIMEOUT_MS, also while Redis is unreachable and the command sits in the
 *   offline queue: a caller gets an error it can act on (the outbox retries, the worker backs off)
 *   instead of hanging through ioredis' reconnection attempts.
 * - `requests`: commands on an HTTP request path (the rate limits). They wait at most
 *   REQUEST_COMMAND_TIMEOUT_MS, and auto-pipelining sends the commands of the requests read in one
 *   event-loop turn in one write.
 * - `blocking`: XREADGROUP BLOCK. A read is given up BLOCKING_GRACE_MS after its own block time,
 *   so a connection that died silently cannot hold a worker's read loop forever.
 */
export type RedisUse = 'commands' | 'requests' | 'blocking';

export const COMMAND_TIMEOUT_MS = 2000;
export const REQUEST_COMMAND_TIMEOUT_MS = 200;
const BLOCKING_GRACE_MS = 1000;

/**
 * `url` is `config.redisUrl`: REDIS_URL with REDIS_PASSWORD, when set, as its password, so every
 * connection authenticates the same way (`AUTH password`, or `AUTH user password` with a user name in
 * the URL). `rediss://` connects over TLS and checks the server's certificate against Node's CAs
 * (NODE_EXTRA_CA_CERTS adds a private one). A wrong or missing password fails each command with
 * Redis' own `WRONGPASS`/`NOAUTH` error, which `onError` reports as well
 * (test/integration/adapters/redisPassword.test.ts).
 */
export function createRedis(
  url: string,
  options: { name: string; use?: RedisUse; onError: (error: Error) => void },
): Redis {
  const use = options.use ?? 'commands';
  const redis = new Redis(url, {
    connectionName: options.name,
    // RESP2 reply shapes: the stream replies are parsed positionally.
    protocol: 2,
    enableAutoPipelining: use === 'requests',
    // Commands issued while (re)connecting wait in the offline queue, bounded by the timeouts
    // below; Postgres-driven recovery (outbox relay, sweeper) covers what they lose.
    enableOfflineQueue: true,
    maxRetriesPerRequest: 3,
    ...(use === 'blocking'
      ? { blockingTimeout: BLOCKING_GRACE_MS, blockingTimeoutGrace: BLOCKING_GRACE_MS }
      : { commandTimeout: use === 'requests' ? REQUEST_COMMAND_TIMEOUT_MS : COMMAND_TIMEOUT_MS }),
    lazyConnect: false,
  });
  // Without a listener ioredis prints to stderr; every connection reports through the caller's log.
  redis.on('error', options.onError);
  return redis;
}
