import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { createRedis } from '../../adapters/redis/client.ts';
import { loadConfig } from '../../config/index.ts';
import { createAuth } from '../../server/http/auth.ts';
import { createRateLimit } from '../../server/http/rateLimits.ts';
import { requestId } from '../../server/http/requestId.ts';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../support/redis.ts';

const secret = randomBytes(32).toString('base64');
const settings = loadConfig({ JWT_SECRET: secret }).jwt;
const tokenFor = (sub: string) =>
  jwt.sign({ role: 'user' }, secret, {
    subject: sub,
    issuer: settings.issuer,
    audience: settings.audience,
    expiresIn: '5m',
  });

describe('rate limits', () => {
  const prefix = uniquePrefix();
  let redis: Redis;
  let unreachable: Redis;
  let pipelined: Redis;
  let server: Server;
  let url: string;
  const storeErrors: Error[] = [];
  before(async () => {
    redis = createRedis(TEST_REDIS_URL, 'filot-test');
    // A Redis nobody listens on: the limiter must let requests through, not fail them.
    unreachable = new Redis('redis://127.0.0.1:1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
    });
    unreachable.on('error', () => {});
    // As main.ts gives the limits their connection: commands of one event-loop turn in one write.
    pipelined = createRedis(TEST_REDIS_URL, 'filot-test-ratelimit', { autoPipelining: true });
    const { authenticate } = createAuth(settings);
    const app = express();
    app.use(requestId);
    app.get(
      '/limited',
      authenticate,
      createRateLimit({ redis, prefix, name: 'test', points: 3, windowSeconds: 60 }),
      (_q, r) => {
        r.json({ ok: true });
      },
    );
    app.get(
      '/pipelined',
      authenticate,
      createRateLimit({ redis: pipelined, prefix, name: 'pipelined', points: 5, windowSeconds: 60 }),
      (_q, r) => {
        r.json({ ok: true });
      },
    );
    app.get(
      '/store-down',
      authenticate,
      createRateLimit({
        redis: unreachable,
        prefix,
        name: 'down',
        points: 1,
        windowSeconds: 60,
        onStoreError: (error) => storeErrors.push(error),
      }),
      (_q, r) => {
        r.json({ ok: true });
      },
    );
    server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
    unreachable.disconnect();
    pipelined.disconnect();
  });
  const get = (path: string, sub: string) =>
    fetch(`${url}${path}`, { headers: { authorization: `Bearer ${tokenFor(sub)}` } });

  it('should answer 429 with Retry-After and RateLimit headers once the points are spent', async () => {
    const statuses = [];
    for (let index = 0; index < 3; index++) {
      const response = await get('/limited', 'user-a');
      statuses.push(response.status);
      assert.equal(response.headers.get('ratelimit-limit'), '3');
      assert.equal(response.headers.get('ratelimit-remaining'), String(2 - index));
    }
    const refused = await get('/limited', 'user-a');
    assert.deepEqual([...statuses, refused.status], [200, 200, 200, 429]);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal(refused.headers.get('ratelimit-remaining'), '0');
    assert.equal(refused.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    // The per-IP limit is shared: another user from the same address is limited too.
    assert.equal((await get('/limited', 'user-b')).status, 429);
  });

  it('should count every one of many parallel requests on an auto-pipelined connection', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => get('/pipelined', 'user-p')));
    const statuses = responses.map((response) => response.status).sort();
    assert.deepEqual(statuses, [...Array(5).fill(200), ...Array(15).fill(429)]);
    const remaining = responses
      .filter((response) => response.status === 200)
      .map((response) => response.headers.get('ratelimit-remaining'))
      .sort();
    assert.deepEqual(remaining, ['0', '1', '2', '3', '4']);
  });

  it('should let requests through when the counters cannot be reached', async () => {
    assert.equal((await get('/store-down', 'user-c')).status, 200);
    assert.equal((await get('/store-down', 'user-c')).status, 200);
    assert.ok(storeErrors.length > 0);
  });
});
