import type { Redis } from 'ioredis';
import type { Coordination } from '../../runtime/ports.ts';

/** The runtime's markers and interval locks as `SET NX` keys under the deployment's prefix. */
export function createCoordination(redis: Redis, prefix: string): Coordination {
  return {
    async claim(name, ttlMs) {
      const key = `${prefix}${name}`;
      const reply =
        ttlMs === undefined
          ? await redis.set(key, String(Date.now()), 'NX')
          : await redis.set(key, '1', 'PX', Math.max(1, Math.round(ttlMs)), 'NX');
      return reply === 'OK';
    },
    async isSet(name) {
      return (await redis.exists(`${prefix}${name}`)) === 1;
    },
    async release(name) {
      await redis.del(`${prefix}${name}`);
    },
  };
}
