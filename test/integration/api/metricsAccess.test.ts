import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { Express } from 'express';
import { Registry } from 'prom-client';
import { ConfigError, loadConfig } from '../../../config/index.ts';
import { createApp, createMetricsApp } from '../../../server/app.ts';
import { metricsExposure } from '../../../server/routes/metrics.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';

/**
 * /metrics in production: behind METRICS_TOKEN, or on a listener of its own (METRICS_PORT), and
 * refused on the public port with a start-up warning when it would otherwise be open.
 */

const token = randomBytes(32).toString('base64');

describe('/metrics access', () => {
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) server.close();
  });
  const listen = async (app: Express) => {
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const publicApp = (options: { production: boolean; metricsToken?: string; metricsListenerHost?: string }) => {
    const { logger, entries } = recordingLogger();
    const app = createApp({ readiness: [], metrics: new Registry(), logger, development: false, ...options });
    return { app, warnings: () => entries.filter((entry) => entry.message === 'metrics.unprotected') };
  };
  const get = (url: string, bearer?: string) =>
    fetch(`${url}/metrics`, bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {});

  it('should refuse /metrics on the public port in production without a token or a listener, and warn', async () => {
    const { app, warnings } = publicApp({ production: true });
    const url = await listen(app);
    const response = await get(url);
    assert.equal(response.status, 403);
    assert.match(((await response.json()) as { detail: string }).detail, /METRICS_TOKEN/);
    assert.deepEqual(
      warnings().map((entry) => entry.fields),
      [{ reason: 'no_token_no_listener' }],
    );
  });

  it('should serve /metrics to the token holder in production, without a warning', async () => {
    const { app, warnings } = publicApp({ production: true, metricsToken: token });
    const url = await listen(app);
    assert.equal((await get(url)).status, 401);
    assert.equal((await get(url, 'wrong')).status, 401);
    assert.equal((await get(url, token)).status, 200);
    assert.deepEqual(warnings(), []);
  });

  it('should serve /metrics only on its own listener when METRICS_PORT is set', async () => {
    const { app, warnings } = publicApp({ production: true, metricsListenerHost: '127.0.0.1' });
    const publicUrl = await listen(app);
    assert.equal((await get(publicUrl)).status, 404);
    const { logger } = recordingLogger();
    const metricsUrl = await listen(createMetricsApp({ metrics: new Registry(), logger }));
    const response = await get(metricsUrl);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    // Nothing else is reachable there.
    for (const path of ['/health', '/documents', '/docs'])
      assert.equal((await fetch(`${metricsUrl}${path}`)).status, 404);
    assert.deepEqual(warnings(), []);
    // With a token as well, the own listener asks for it.
    const guardedUrl = await listen(createMetricsApp({ metrics: new Registry(), logger, metricsToken: token }));
    assert.equal((await get(guardedUrl)).status, 401);
    assert.equal((await get(guardedUrl, token)).status, 200);
  });

  it('should warn when its own listener is on a network address without a token', () => {
    const { warnings } = publicApp({ production: true, metricsListenerHost: '0.0.0.0' });
    assert.deepEqual(
      warnings().map((entry) => entry.fields),
      [{ reason: 'own_listener_without_token' }],
    );
    assert.deepEqual(
      publicApp({ production: true, metricsListenerHost: '0.0.0.0', metricsToken: token }).warnings(),
      [],
    );
  });

  it('should leave /metrics open outside production, as before', async () => {
    const { app, warnings } = publicApp({ production: false });
    assert.equal((await get(await listen(app))).status, 200);
    assert.deepEqual(warnings(), []);
    assert.deepEqual(metricsExposure({ production: false, token: false, ownListenerHost: null }), {
      publicPort: 'served',
      unprotected: null,
    });
  });

  it('should read METRICS_PORT and METRICS_HOST, and refuse them where they make no sense', () => {
    assert.equal(loadConfig({}).http.metricsListen, null);
    assert.deepEqual(loadConfig({ METRICS_PORT: '9464' }).http.metricsListen, { port: 9464, host: '127.0.0.1' });
    assert.deepEqual(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).http.metricsListen, {
      port: 9464,
      host: '0.0.0.0',
    });
    for (const [env, name] of [
      [{ METRICS_HOST: '0.0.0.0' }, 'METRICS_HOST'],
      [{ METRICS_PORT: '3000', PORT: '3000' }, 'METRICS_PORT'],
      [{ METRICS_PORT: '70000' }, 'METRICS_PORT'],
      [{ METRICS_PORT: '9464', METRICS_HOST: 'not a host' }, 'METRICS_HOST'],
    ] as const)
      assert.throws(
        () => loadConfig(env),
        (error: unknown) => error instanceof ConfigError && error.message.includes(`${name}:`),
      );
  });
});
