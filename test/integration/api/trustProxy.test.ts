import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { loadRegions } from '../../../adapters/regions/loadRegions.ts';
import { createFsStorage } from '../../../adapters/storage/fsStorage.ts';
import { createApiAdapters } from '../../../composition/api.ts';
import type { ComposedRuntime } from '../../../composition/runtime.ts';
import { loadConfig } from '../../../config/index.ts';
import { createApp } from '../../../server/app.ts';
import { createAuth } from '../../../server/http/auth.ts';
import { createRateLimit } from '../../../server/http/rateLimits.ts';
import { testTokens } from '../../support/api.ts';
import { createWorld, testLogger, type World } from '../../support/harness.ts';
import { uniquePrefix } from '../../support/redis.ts';

/**
 * TRUST_PROXY (express's `trust proxy`) and the per-IP rate limits. Behind a gateway every request
 * comes from the gateway's address: without TRUST_PROXY all clients share one per-IP bucket, and a
 * client's own X-Forwarded-For changes nothing; with it, each client's address (as the gateway
 * appends it) has a bucket of its own. Each request below comes from another user, so that only the
 * per-IP limit can refuse it.
 */

const POINTS = 2;

describe('TRUST_PROXY and the per-IP rate limits', () => {
  let world: World;
  let runtime: ComposedRuntime;
  let storageDirectory: string;
  const tokens = testTokens();
  const servers: Server[] = [];

  /** The app as main.ts builds it, with `/verification/*` limited to POINTS per minute per IP and per user. */
  const serve = async (trustProxy: number | string[] | false) => {
    const app = createApp({
      readiness: [],
      metrics: new Registry(),
      logger: testLogger,
      development: false,
      trustProxy,
      api: {
        auth: createAuth(tokens.jwtSettings),
        ...createApiAdapters(world.pool, runtime.adapters.cipher, await loadRegions()),
        store: runtime.store,
        documents: runtime.documents,
        storage: createFsStorage(storageDirectory),
        maxUploadBytes: 1024,
        maxPixels: 1_000_000,
        verificationLimit: createRateLimit({
          redis: world.redis,
          prefix: uniquePrefix(),
          name: 'verification',
          points: POINTS,
          windowSeconds: 60,
        }),
      },
    });
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A document nobody has: 404 when the limits let the request through, 429 when they do not.
    return (forwardedFor?: string) =>
      fetch(`${base}/verification/${randomUUID()}`, {
        headers: {
          authorization: `Bearer ${tokens.tokenFor(`user-${randomUUID()}`)}`,
          ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
        },
      }).then((response) => response.status);
  };

  before(async () => {
    world = await createWorld({ reviews: false });
    runtime = await world.runtime(undefined, { start: false });
    storageDirectory = await mkdtemp(join(tmpdir(), 'filot-trust-proxy-'));
  });
  after(async () => {
    for (const server of servers) server.close();
    await world?.close();
    if (storageDirectory) await rm(storageDirectory, { recursive: true, force: true });
  });

  it('should give each forwarded client a bucket of its own with TRUST_PROXY', async () => {
    const request = await serve(loadConfig({ TRUST_PROXY: '1' }).http.trustProxy);
    for (let i = 0; i < POINTS; i += 1) assert.equal(await request('203.0.113.7'), 404);
    assert.equal(await request('203.0.113.7'), 429);
    // Another client behind the same gateway is not held back by the first one's limit.
    for (let i = 0; i < POINTS; i += 1) assert.equal(await request('198.51.100.20'), 404);
    assert.equal(await request('198.51.100.20'), 429);
    // A client that forges its own X-Forwarded-For: the gateway appends the address it saw, and only
    // that one hop is trusted, so the forged part picks no new bucket.
    assert.equal(await request('192.0.2.99, 203.0.113.7'), 429);
    assert.equal(await request('192.0.2.100, 203.0.113.7'), 429);
  });

  it('should trust the hops by address too (loopback here, the gateway subnet in production)', async () => {
    const request = await serve(loadConfig({ TRUST_PROXY: 'loopback' }).http.trustProxy);
    for (let i = 0; i < POINTS; i += 1) assert.equal(await request('203.0.113.8'), 404);
    assert.equal(await request('203.0.113.8'), 429);
    assert.equal(await request('198.51.100.21'), 404);
  });

  it('should ignore X-Forwarded-For without TRUST_PROXY: every client is the socket address', async () => {
    const request = await serve(loadConfig({}).http.trustProxy);
    assert.equal(await request('203.0.113.9'), 404);
    assert.equal(await request('198.51.100.22'), 404);
    // The third user from the same address is limited, whatever X-Forwarded-For it claims.
    assert.equal(await request('192.0.2.1'), 429);
    assert.equal(await request(), 429);
  });

  it('should refuse TRUST_PROXY=true and malformed lists', () => {
    for (const value of ['true', 'yes', '10.0.0.0/33', '10.0.0.1,', 'gateway.internal'])
      assert.throws(() => loadConfig({ TRUST_PROXY: value }), /TRUST_PROXY/, value);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback' }).http.trustProxy, ['10.0.0.0/8', 'loopback']);
    assert.equal(loadConfig({ TRUST_PROXY: 'false' }).http.trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy, 2);
  });
});
