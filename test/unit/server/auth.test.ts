import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import express from 'express';
import jwt from 'jsonwebtoken';
import { loadConfig } from '../../../config/index.ts';
import { createAuth } from '../../../server/http/auth.ts';
import { requestId } from '../../../server/http/requestId.ts';

const secret = randomBytes(32).toString('base64');
const config = loadConfig({ JWT_SECRET: secret });
const { issuer, audience } = config.jwt;
const sign = (payload: object, options: jwt.SignOptions = {}, key: jwt.Secret = secret) =>
  jwt.sign(payload, key, { algorithm: 'HS256', issuer, audience, expiresIn: '5m', ...options });
const unsigned = (payload: object) =>
  `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
    JSON.stringify({ iss: issuer, aud: audience, exp: Math.floor(Date.now() / 1000) + 300, ...payload }),
  ).toString('base64url')}.`;

describe('bearer-token authentication', () => {
  let url: string;
  let server: Server;
  before(async () => {
    const { authenticate, requireRole } = createAuth(config.jwt);
    const app = express();
    app.use(requestId);
    app.get('/me', authenticate, (_request, response) => {
      response.json(response.locals.principal);
    });
    app.get('/internal', authenticate, requireRole('reviewer', 'admin'), (_request, response) => {
      response.json({ ok: true });
    });
    server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
  });
  const get = (path: string, token?: string) =>
    fetch(`${url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('should accept a valid token and expose its subject and role', async () => {
    const response = await get('/me', sign({ role: 'user' }, { subject: 'user-7' }));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { id: 'user-7', role: 'user' });
  });

  it('should answer 401 for every kind of bad token', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const cases: [string, string | undefined][] = [
      ['no token', undefined],
      ['garbage', 'not.a.token'],
      ['alg none', unsigned({ sub: 'user-7', role: 'admin' })],
      [
        'expired',
        jwt.sign(
          { role: 'user', sub: 'u', iss: issuer, aud: audience, exp: Math.floor(Date.now() / 1000) - 60 },
          secret,
        ),
      ],
      ['wrong issuer', sign({ role: 'user' }, { subject: 'u', issuer: 'someone-else' })],
      ['wrong audience', sign({ role: 'user' }, { subject: 'u', audience: 'another-api' })],
      ['wrong signature', sign({ role: 'user' }, { subject: 'u' }, randomBytes(32).toString('base64'))],
      ['RS256 not allowed', sign({ role: 'user' }, { subject: 'u', algorithm: 'RS256' }, privateKey)],
      ['missing sub', sign({ role: 'user' })],
      ['missing role', sign({}, { subject: 'u' })],
      ['unknown role', sign({ role: 'root' }, { subject: 'u' })],
    ];
    for (const [name, token] of cases) {
      const response = await get('/me', token);
      assert.equal(response.status, 401, name);
      assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json', name);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer', name);
    }
  });

  it('should answer 403 when the role is not allowed', async () => {
    assert.equal((await get('/internal', sign({ role: 'user' }, { subject: 'u' }))).status, 403);
    assert.equal((await get('/internal', sign({ role: 'reviewer' }, { subject: 'r' }))).status, 200);
    assert.equal((await get('/internal', sign({ role: 'admin' }, { subject: 'a' }))).status, 200);
  });
});

describe('bearer-token authentication with a public key', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keyed = loadConfig({ JWT_PUBLIC_KEY: publicPem });
  let url: string;
  let server: Server;
  before(async () => {
    const app = express();
    app.get('/me', createAuth(keyed.jwt).authenticate, (_request, response) => {
      response.json(response.locals.principal);
    });
    server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
  });
  const status = async (token: string) =>
    (await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } })).status;
  const claims = { role: 'user' };
  const options = { subject: 'user-9', issuer: keyed.jwt.issuer, audience: keyed.jwt.audience, expiresIn: 300 };

  it('should accept an ES256 token signed by the matching private key', async () => {
    assert.equal(await status(jwt.sign(claims, privateKey, { ...options, algorithm: 'ES256' })), 200);
  });

  it('should refuse another key and an HS256 token that uses the public key as its secret', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    assert.equal(await status(jwt.sign(claims, other, { ...options, algorithm: 'ES256' })), 401);
    // Algorithm confusion: the published key used as an HMAC secret.
    const forged = jwt.sign(claims, Buffer.from(publicPem), { ...options, algorithm: 'HS256' });
    assert.equal(await status(forged), 401);
  });
});

describe('npm run token', () => {
  const script = fileURLToPath(new URL('../../../scripts/token.ts', import.meta.url));
  const run = promisify(execFile);
  const env = { PATH: process.env.PATH ?? '', JWT_SECRET: secret };

  it('should print a token the API accepts, with the given subject, role and lifetime', async () => {
    const { stdout } = await run(
      process.execPath,
      [script, '--sub', 'reviewer-3', '--role', 'reviewer', '--ttl', '10m'],
      {
        env,
      },
    );
    const claims = jwt.verify(stdout.trim(), secret, { algorithms: ['HS256'], issuer, audience }) as jwt.JwtPayload;
    assert.equal(claims.sub, 'reviewer-3');
    assert.equal(claims.role, 'reviewer');
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 600);
  });

  it('should refuse in production and on bad arguments', async () => {
    await assert.rejects(
      run(process.execPath, [script, '--sub', 'x', '--role', 'admin'], {
        env: {
          ...env,
          NODE_ENV: 'production',
          TEMPORAL_ADDRESS: '127.0.0.1:7233',
          BULI2_URL: 'https://buli2.internal',
          PUBLIC_URL: 'https://kyc.internal',
          BULI2_API_KEY: randomBytes(32).toString('base64'),
          BULI2_WEBHOOK_SECRETS: randomBytes(32).toString('base64'),
          IMAGE_LINK_SECRET: randomBytes(32).toString('base64'),
          NIK_HASH_KEY: secret,
          PII_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        },
      }),
      /refuses to mint tokens/,
    );
    await assert.rejects(run(process.execPath, [script, '--sub', 'x', '--role', 'root'], { env }), /usage/);
  });
});
