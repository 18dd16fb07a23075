import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { loadConfig } from '../../../config/index.ts';
import { createAuth } from '../../../server/http/auth.ts';
import { requestId } from '../../../server/http/requestId.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';

/**
 * Tokens from an identity provider, verified against its JWKS URL (server/http/auth.ts), with a
 * local key-set server that rotates its keys, goes down, hangs and comes back.
 */

const IDP_ISSUER = 'https://idp.test';
/** The cache age the tests run with: a removed key is refused once it has passed. */
const CACHE_MS = 1000;
const TIMEOUT_MS = 300;

type Mode = 'up' | 'hang';

/** A JWKS endpoint on a fixed port that can be stopped and started again on the same port. */
async function startKeySetServer() {
  let keys: JWK[] = [];
  let mode: Mode = 'up';
  let fetches = 0;
  const hanging = new Set<ServerResponse>();
  let server: Server | null = null;
  let port = 0;
  const listen = async () => {
    server = createServer((_request, response) => {
      fetches += 1;
      if (mode === 'hang') {
        hanging.add(response);
        return;
      }
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys }));
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  };
  await listen();
  return {
    url: () => `http://127.0.0.1:${port}/.well-known/jwks.json`,
    publish: (next: JWK[]) => {
      keys = next;
    },
    setMode: (next: Mode) => {
      mode = next;
      if (next === 'up') for (const response of hanging) response.destroy();
      if (next === 'up') hanging.clear();
    },
    fetches: () => fetches,
    stop: async () => {
      for (const response of hanging) response.destroy();
      hanging.clear();
      const closing = server;
      server = null;
      if (!closing) return;
      closing.closeAllConnections();
      await new Promise((resolve) => closing.close(resolve));
    },
    start: listen,
  };
}

async function signingKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, jwk };
}

describe('bearer tokens verified against a JWKS URL', () => {
  const secret = randomBytes(32).toString('base64');
  const { logger, entries } = recordingLogger();
  let keySet: Awaited<ReturnType<typeof startKeySetServer>>;
  let key1: Awaited<ReturnType<typeof signingKey>>;
  let key2: Awaited<ReturnType<typeof signingKey>>;
  let audience: string;
  let staticIssuer: string;
  let server: Server;
  let url: string;

  const idpToken = (key: Awaited<ReturnType<typeof signingKey>>, claims: Record<string, unknown> = {}) =>
    new SignJWT({ role: 'user', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setSubject('idp-user-1')
      .setIssuer(IDP_ISSUER)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);
  const staticToken = () =>
    new SignJWT({ role: 'reviewer' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('service-1')
      .setIssuer(staticIssuer)
      .setAudience(audience)
      .setExpirationTime('5m')
      .sign(Buffer.from(secret, 'utf8'));
  const call = async (token: string) => {
    const started = performance.now();
    const response = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });
    return { response, body: (await response.json()) as Record<string, unknown>, ms: performance.now() - started };
  };

  before(async () => {
    keySet = await startKeySetServer();
    key1 = await signingKey('key-1');
    key2 = await signingKey('key-2');
    keySet.publish([key1.jwk]);
    const settings = loadConfig({
      JWT_SECRET: secret,
      JWT_JWKS_URL: keySet.url(),
      JWT_JWKS_ISSUER: IDP_ISSUER,
      JWT_JWKS_CACHE_MAX_AGE_MS: String(CACHE_MS),
      JWT_JWKS_COOLDOWN_MS: '0',
      JWT_JWKS_TIMEOUT_MS: String(TIMEOUT_MS),
    }).jwt;
    audience = settings.audience;
    staticIssuer = settings.issuer;
    const app = express();
    app.use(requestId);
    app.get('/me', createAuth(settings, { logger }).authenticate, (_request, response) => {
      response.json(response.locals.principal);
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.close();
    await keySet?.stop();
  });

  it('should accept a token signed with the published key, and fetch the set once for many requests', async () => {
    const token = await idpToken(key1);
    for (let i = 0; i < 5; i += 1) {
      const { response, body } = await call(token);
      assert.equal(response.status, 200);
      assert.deepEqual(body, { id: 'idp-user-1', role: 'user' });
    }
    assert.equal(keySet.fetches(), 1);
  });

  it('should refuse IdP tokens that are not right, as 401 problems', async () => {
    const stranger = await signingKey('key-1');
    const cases: [string, string][] = [
      ['right kid, another key', await idpToken(stranger)],
      ['unknown kid', await idpToken(await signingKey('key-unknown'))],
      [
        'wrong issuer',
        await new SignJWT({ role: 'user' })
          .setProtectedHeader({ alg: 'RS256', kid: key1.kid })
          .setSubject('u')
          .setIssuer('https://someone-else.test')
          .setAudience(audience)
          .setExpirationTime('5m')
          .sign(key1.privateKey),
      ],
      [
        'expired',
        await new SignJWT({ role: 'user' })
          .setProtectedHeader({ alg: 'RS256', kid: key1.kid })
          .setSubject('u')
          .setIssuer(IDP_ISSUER)
          .setAudience(audience)
          .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
          .sign(key1.privateKey),
      ],
      [
        'no exp',
        await new SignJWT({ role: 'user' })
          .setProtectedHeader({ alg: 'RS256', kid: key1.kid })
          .setSubject('u')
          .setIssuer(IDP_ISSUER)
          .setAudience(audience)
          .sign(key1.privateKey),
      ],
      ['unknown role', await idpToken(key1, { role: 'root' })],
      // Algorithm confusion: the published key's text used as an HMAC secret, under its kid.
      [
        'HS256 with the public key',
        await new SignJWT({ role: 'admin' })
          .setProtectedHeader({ alg: 'HS256', kid: key1.kid })
          .setSubject('u')
          .setIssuer(IDP_ISSUER)
          .setAudience(audience)
          .setExpirationTime('5m')
          .sign(Buffer.from(JSON.stringify(key1.jwk))),
      ],
    ];
    for (const [name, token] of cases) {
      const { response, body } = await call(token);
      assert.equal(response.status, 401, name);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer', name);
      assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json', name);
      assert.equal(body.status, 401, name);
    }
  });

  it('should take a rotated key up without a restart, and refuse the old one once it is removed', async () => {
    keySet.publish([key1.jwk, key2.jwk]);
    assert.equal((await call(await idpToken(key2))).response.status, 200);
    assert.equal((await call(await idpToken(key1))).response.status, 200);
    keySet.publish([key2.jwk]);
    // The removed key is accepted until the cached set is older than JWT_JWKS_CACHE_MAX_AGE_MS.
    await sleep(CACHE_MS + 100);
    assert.equal((await call(await idpToken(key1))).response.status, 401);
    assert.equal((await call(await idpToken(key2))).response.status, 200);
  });

  it('should keep static-key tokens (no kid) working beside the key set', async () => {
    const { response, body } = await call(await staticToken());
    assert.equal(response.status, 200);
    assert.deepEqual(body, { id: 'service-1', role: 'reviewer' });
    // Static tokens need an expiry too.
    const forever = await new SignJWT({ role: 'reviewer' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('service-1')
      .setIssuer(staticIssuer)
      .setAudience(audience)
      .sign(Buffer.from(secret, 'utf8'));
    assert.equal((await call(forever)).response.status, 401);
    // The rule is by kid: an IdP-signed token without one goes to the static key, which refuses it.
    const noKid = await new SignJWT({ role: 'user' })
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('u')
      .setIssuer(IDP_ISSUER)
      .setAudience(audience)
      .setExpirationTime('5m')
      .sign(key2.privateKey);
    assert.equal((await call(noKid)).response.status, 401);
  });

  it('should answer 503 promptly while the key set is down, keep static tokens working, and recover by itself', async () => {
    await keySet.stop();
    // Within the cache age the cached keys still verify.
    assert.equal((await call(await idpToken(key2))).response.status, 200);
    await sleep(CACHE_MS + 100);
    for (let i = 0; i < 3; i += 1) {
      const { response, body, ms } = await call(await idpToken(key2));
      assert.equal(response.status, 503);
      assert.ok(Number(response.headers.get('retry-after')) > 0);
      assert.equal(body.code, 'service_unavailable');
      assert.ok(ms < 2000, `answered in ${Math.round(ms)} ms`);
    }
    assert.equal((await call(await staticToken())).response.status, 200);
    assert.equal(entries.filter((entry) => entry.message === 'auth.jwks_unavailable').length, 1);

    await keySet.start();
    assert.equal((await call(await idpToken(key2))).response.status, 200);
    assert.equal(entries.filter((entry) => entry.message === 'auth.jwks_recovered').length, 1);
  });

  it('should answer 503 within the timeout while the key set hangs, and recover when it answers', async () => {
    keySet.setMode('hang');
    await sleep(CACHE_MS + 100);
    const { response, ms } = await call(await idpToken(key2));
    assert.equal(response.status, 503);
    assert.ok(ms >= TIMEOUT_MS - 50 && ms < TIMEOUT_MS + 1500, `answered in ${Math.round(ms)} ms`);
    keySet.setMode('up');
    assert.equal((await call(await idpToken(key2))).response.status, 200);
  });
});

describe('a JWKS-only set-up', () => {
  it('should refetch at most once per cooldown for unknown kids, and refuse tokens without a kid', async () => {
    const keySet = await startKeySetServer();
    const key = await signingKey('only');
    keySet.publish([key.jwk]);
    const settings = loadConfig({
      NODE_ENV: 'test',
      JWT_JWKS_URL: keySet.url(),
      JWT_JWKS_ISSUER: IDP_ISSUER,
    }).jwt;
    const app = express();
    app.get('/me', createAuth(settings).authenticate, (_request, response) => {
      response.json(response.locals.principal);
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const sign = (kid: string | undefined) =>
        new SignJWT({ role: 'user' })
          .setProtectedHeader(kid ? { alg: 'RS256', kid } : { alg: 'RS256' })
          .setSubject('u')
          .setIssuer(IDP_ISSUER)
          .setAudience(settings.audience)
          .setExpirationTime('5m')
          .sign(key.privateKey);
      const status = async (token: string) =>
        (await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } })).status;
      assert.equal(await status(await sign('only')), 200);
      for (let i = 0; i < 5; i += 1) assert.equal(await status(await sign(`made-up-${i}`)), 401);
      // One fetch for the set, and no more than one more for all the made-up kids (the default 30 s cooldown).
      assert.ok(keySet.fetches() <= 2, `${keySet.fetches()} fetches`);
      assert.equal(await status(await sign(undefined)), 401);
    } finally {
      server.close();
      await keySet.stop();
    }
  });

  it('should need no static key in production when JWT_JWKS_URL is set, and refuse an http one there', () => {
    const production = {
      NODE_ENV: 'production',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      BULI2_URL: 'https://buli2.internal/api',
      PUBLIC_URL: 'https://kyc.internal',
      PII_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      NIK_HASH_KEY: randomBytes(32).toString('base64'),
      BULI2_API_KEY: randomBytes(32).toString('base64'),
      BULI2_WEBHOOK_SECRETS: randomBytes(32).toString('base64'),
      IMAGE_LINK_SECRET: randomBytes(32).toString('base64'),
      METRICS_TOKEN: randomBytes(32).toString('base64'),
    };
    const jwt = loadConfig({ ...production, JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json' }).jwt;
    assert.equal(jwt.verificationKey, undefined);
    assert.equal(jwt.signingKey, undefined);
    assert.equal(jwt.jwks?.url, 'https://idp.example/.well-known/jwks.json');
    assert.throws(
      () => loadConfig({ ...production, JWT_JWKS_URL: 'http://idp.example/jwks.json' }),
      /JWT_JWKS_URL: must be https in production/,
    );
  });
});
