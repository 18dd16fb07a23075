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
import { createRedis } from '../adapters/redis/client.ts';
import { loadRegions } from '../adapters/regions/loadRegions.ts';
import { createFsStorage } from '../adapters/storage/fsStorage.ts';
import { createApiAdapters } from '../composition/api.ts';
import { MAX_UPLOAD_BYTES } from '../domain/uploadLimits.ts';
import { createApp } from '../server/app.ts';
import { createAuth } from '../server/http/auth.ts';
import { createRateLimit } from '../server/http/rateLimits.ts';
import { createWorld } from '../test/support/harness.ts';
import { benchDatabases, benchLogger, cpuMeter, phase } from './support.ts';

/**
 * `POST /documents/upload` under autocannon (50 connections, a small valid JPEG, a bearer token),
 * through everything the real route does: auth, validation, rate limiting (set high), storage on
 * disk, the document row and its outbox row, and the XADD. Beside it, in the same run, a bare
 * express handler that only streams the same multipart body to a file and answers once the file
 * is written: the floor.
 *
 * A third side runs the real route with no-op storage, documents and rate limit: the HTTP stack
 * alone, the lowest overhead the full route could reach.
 *
 * The sides alternate in short slices (bare, full, stack, bare, …) and each side's slices are added
 * up. This machine's disk slows down for a minute or more after a burst of writes, so whichever
 * side ran last in one long run was measured on a slower disk than the first.
 */
export async function uploadThroughput(options: { connections: number; seconds: number; rounds: number }) {
  const world = await createWorld({ overrides: { JWT_SECRET: 'bench-jwt-secret-0123456789abcdef0123456789' } });
  const storageDirectory = await mkdtemp(join(tmpdir(), 'filot-bench-upload-'));
  const bareDirectory = await mkdtemp(join(tmpdir(), 'filot-bench-bare-'));
  const servers: Server[] = [];
  // As main.ts wires it: the rate limits on an auto-pipelined connection of their own.
  const rateLimitRedis = createRedis(world.config.redisUrl, {
    name: 'filot-bench-ratelimit',
    use: 'requests',
    onError: () => {},
  });
  benchDatabases.add(world.database.name);
  try {
    const runtime = await world.runtime(undefined, { start: false });
    const storage = createFsStorage(storageDirectory);
    const limit = (name: string) =>
      createRateLimit({ redis: rateLimitRedis, prefix: world.prefix, name, points: 1_000_000, windowSeconds: 60 });
    const api = {
      auth: createAuth(world.config.jwt),
      ...createApiAdapters(world.pool, runtime.adapters.cipher, await loadRegions()),
      store: runtime.store,
      documents: runtime.documents,
      storage,
      maxUploadBytes: MAX_UPLOAD_BYTES,
      maxPixels: 50_000_000,
      uploadLimit: limit('upload'),
      verificationLimit: limit('verification'),
    };
    const appFor = (routes: Parameters<typeof createApp>[0]['api']) =>
      createApp({ readiness: [], metrics: new Registry(), logger: benchLogger, development: false, api: routes });
    const app = appFor(api);
    // The same route with no storage, no database and no Redis behind it: what the HTTP stack alone
    // (helmet, CORS, correlation id, request log, JWT, multipart, sniffing, header check, hash, JSON)
    // costs next to the bare handler. The full route cannot get closer to the floor than this.
    const { uploadLimit: _noLimit, ...withoutLimit } = api;
    const stackOnly = appFor({
      ...withoutLimit,
      storage: { put: async () => {}, get: storage.get, delete: async () => {} },
      documents: {
        ...runtime.documents,
        create: async (document) => ({ documentId: document.id, status: 'uploaded', version: 1 }),
      },
    });
    const bare = express();
    let written = 0;
    bare.post('/upload', (request, response) => {
      const parser = busboy({ headers: request.headers });
      let stored: Promise<void> = Promise.resolve();
      parser.on('file', (_name, stream) => {
        const file = createWriteStream(join(bareDirectory, `f${written++}`));
        stored = new Promise((resolve, reject) => file.on('close', resolve).on('error', reject));
        stream.pipe(file);
      });
      parser.on('close', () => {
        void stored.then(
          () => response.status(202).json({ ok: true }),
          () => response.status(500).end(),
        );
      });
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
    const token = jwt.sign({ role: 'user' }, world.config.jwt.signingKey as string, {
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
    type Slice = {
      requests: number;
      seconds: number;
      p99: number;
      cpuMs: number;
      serverCpuMs: number | null;
      machineCpuMs: number | null;
    };
    const run = async (url: string, seconds: number): Promise<Slice> => {
      const cpuBefore = process.cpuUsage();
      const meter = cpuMeter();
      const started = performance.now();
      const result = await autocannon({
        url,
        method: 'POST',
        headers,
        body,
        connections: options.connections,
        duration: seconds,
      });
      const cpu = process.cpuUsage(cpuBefore);
      const use = meter();
      const elapsedMs = performance.now() - started;
      if (result.non2xx > 0) throw new Error(`${result.non2xx} responses were not 2xx at ${url}`);
      const coreMs = (cores: number | null) => (cores === null ? null : cores * elapsedMs);
      return {
        requests: result.requests.total,
        seconds: result.duration,
        p99: result.latency.p99,
        cpuMs: (cpu.user + cpu.system) / 1000,
        serverCpuMs: coreMs(use.serverCores),
        machineCpuMs: coreMs(use.machineCores),
      };
    };
    const sum = (slices: Slice[]) => {
      const requests = slices.reduce((total, slice) => total + slice.requests, 0);
      const perRequest = (pick: (slice: Slice) => number | null) => {
        let total = 0;
        for (const slice of slices) {
          const value = pick(slice);
          if (value === null) return null;
          total += value;
        }
        return total / Math.max(1, requests);
      };
      return {
        rps: requests / slices.reduce((total, slice) => total + slice.seconds, 0),
        // autocannon reports percentiles, not its histogram, so the slices' worst p99 stands for the run.
        p99: Math.max(...slices.map((slice) => slice.p99)),
        // CPU time of this process (server and load generator) per request: steadier than the rate on
        // a shared machine, where neighbours change how much CPU a second of wall time buys.
        cpuMsPerRequest: perRequest((slice) => slice.cpuMs) as number,
        serverCpuMsPerRequest: perRequest((slice) => slice.serverCpuMs),
        machineCpuMsPerRequest: perRequest((slice) => slice.machineCpuMs),
      };
    };
    const sides = {
      bare: `${await listen(bare)}/upload`,
      full: `${await listen(app)}/documents/upload`,
      stack: `${await listen(stackOnly)}/documents/upload`,
    };
    const slices: Record<keyof typeof sides, Slice[]> = { bare: [], full: [], stack: [] };
    const sliceSeconds = Math.max(1, Math.round(options.seconds / options.rounds));
    for (const [side, url] of Object.entries(sides)) {
      phase(`upload.${side}.warmup`);
      await run(url, 1);
    }
    for (let round = 0; round < options.rounds; round++) {
      for (const [side, url] of Object.entries(sides) as [keyof typeof sides, string][]) {
        phase(`upload.${side}.round${round + 1}`);
        slices[side].push(await run(url, sliceSeconds));
      }
    }
    const floor = sum(slices.bare);
    const full = sum(slices.full);
    const stack = sum(slices.stack);
    return {
      uploadRps: full.rps,
      uploadP99Ms: full.p99,
      bareRps: floor.rps,
      bareP99Ms: floor.p99,
      uploadCpuMsPerRequest: full.cpuMsPerRequest,
      bareCpuMsPerRequest: floor.cpuMsPerRequest,
      uploadServerCpuMsPerRequest: full.serverCpuMsPerRequest,
      uploadMachineCpuMsPerRequest: full.machineCpuMsPerRequest,
      bareMachineCpuMsPerRequest: floor.machineCpuMsPerRequest,
      overheadRatio: floor.rps / full.rps,
      stackOnlyRps: stack.rps,
      stackOverheadRatio: floor.rps / stack.rps,
      stackMachineCpuMsPerRequest: stack.machineCpuMsPerRequest,
    };
  } finally {
    for (const server of servers) server.close();
    rateLimitRedis.disconnect();
    await world.close();
    await rm(storageDirectory, { recursive: true, force: true });
    await rm(bareDirectory, { recursive: true, force: true });
  }
}
