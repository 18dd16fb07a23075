import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import busboy from 'busboy';
import express from 'express';
import jwt from 'jsonwebtoken';
import { Registry } from 'prom-client';
import sharp from 'sharp';
import { createDocumentQueries, createReviewQueue } from '../adapters/postgres/documentQueries.ts';
import { createIdempotencyKeys } from '../adapters/postgres/idempotencyKeys.ts';
import { createPiiCipher } from '../adapters/postgres/piiCipher.ts';
import { createFsStorage } from '../adapters/storage/fsStorage.ts';
import { createApp } from '../server/app.ts';
import { createAuth } from '../server/auth.ts';
import { createRateLimit } from '../server/rateLimits.ts';
import { createWorld } from '../test/support/harness.ts';
import { benchLogger } from './support.ts';

/**
 * `POST /documents/upload` under autocannon (50 connections, a small valid JPEG, a bearer token),
 * through everything the real route does: auth, validation, rate limiting (set high), storage on
 * disk, the document row and its outbox row, and the XADD. Beside it, in the same run, a bare
 * express handler that only streams the same multipart body to disk: the floor.
 */
export async function uploadThroughput(options: { connections: number; seconds: number }) {
  const world = await createWorld({ overrides: { JWT_SECRET: 'bench-jwt-secret-0123456789abcdef0123456789' } });
  const storageDirectory = await mkdtemp(join(tmpdir(), 'filot-bench-upload-'));
  const bareDirectory = await mkdtemp(join(tmpdir(), 'filot-bench-bare-'));
  const servers: Server[] = [];
  try {
    const runtime = await world.runtime(undefined, { start: false });
    const storage = createFsStorage(storageDirectory);
    const limit = (name: string) =>
      createRateLimit({ redis: world.redis, prefix: world.prefix, name, points: 1_000_000, windowSeconds: 60 });
    const app = createApp({
      readiness: [],
      metrics: new Registry(),
      logger: benchLogger,
      development: false,
      api: {
        auth: createAuth(world.config.jwt),
        queries: createDocumentQueries(world.pool, createPiiCipher(world.config.pii)),
        store: runtime.store,
        reviewQueue: createReviewQueue(world.pool),
        documents: runtime.documents,
        storage,
        idempotency: createIdempotencyKeys(world.pool),
        maxUploadBytes: 2 * 1024 * 1024,
        maxPixels: 50_000_000,
        uploadLimit: limit('upload'),
        verificationLimit: limit('verification'),
      },
    });
    const bare = express();
    let written = 0;
    bare.post('/upload', (request, response) => {
      const parser = busboy({ headers: request.headers });
      parser.on('file', (_name, stream) => {
        stream.pipe(createWriteStream(join(bareDirectory, `f${written++}`)));
      });
      parser.on('close', () => response.status(202).json({ ok: true }));
      request.pipe(parser);
    });

    const image = await sharp({ create: { width: 640, height: 400, channels: 3, background: '#9cc9e8' } })
      .jpeg({ quality: 80 })
      .toBuffer();
    const boundary = '----filotbench';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nKTP\r\n`),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="card.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      image,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const token = jwt.sign({ role: 'user' }, world.config.jwt.verificationKey, {
      subject: 'bench-user',
      issuer: world.config.jwt.issuer,
      audience: world.config.jwt.audience,
      expiresIn: '1h',
    });
    const headers = { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${token}` };
    const listen = async (handler: express.Express) => {
      const server = handler.listen(0);
      servers.push(server);
      await new Promise((resolve) => server.once('listening', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    const run = async (url: string) => {
      const cpuBefore = process.cpuUsage();
      const result = await autocannon({
        url,
        method: 'POST',
        headers,
        body,
        connections: options.connections,
        duration: options.seconds,
      });
      const cpu = process.cpuUsage(cpuBefore);
      if (result.non2xx > 0) throw new Error(`${result.non2xx} responses were not 2xx at ${url}`);
      // CPU time of this process (server and load generator) per request: steadier than the rate on
      // a shared machine, where neighbours change how much CPU a second of wall time buys.
      const cpuMsPerRequest = (cpu.user + cpu.system) / 1000 / Math.max(1, result.requests.total);
      return { rps: result.requests.average, p99: result.latency.p99, cpuMsPerRequest };
    };
    const bareUrl = `${await listen(bare)}/upload`;
    const fullUrl = `${await listen(app)}/documents/upload`;
    await run(bareUrl);
    const floor = await run(bareUrl);
    const full = await run(fullUrl);
    return {
      uploadRps: full.rps,
      uploadP99Ms: full.p99,
      bareRps: floor.rps,
      bareP99Ms: floor.p99,
      uploadCpuMsPerRequest: full.cpuMsPerRequest,
      bareCpuMsPerRequest: floor.cpuMsPerRequest,
      overheadRatio: floor.rps / full.rps,
    };
  } finally {
    for (const server of servers) server.close();
    await world.close();
    await rm(storageDirectory, { recursive: true, force: true });
    await rm(bareDirectory, { recursive: true, force: true });
  }
}
