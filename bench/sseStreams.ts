import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import pg from 'pg';
import { createDocumentChangeNotifier } from '../adapters/postgres/documentChangeNotifier.ts';
import { createDocumentChanges } from '../adapters/postgres/documentChanges.ts';
import { createDocumentQueries } from '../adapters/postgres/documentQueries.ts';
import { createPiiCipher } from '../adapters/postgres/piiCipher.ts';
import { createDatabasePool } from '../adapters/postgres/pool.ts';
import { createAuth } from '../server/http/auth.ts';
import { createHttpServer } from '../server/http/httpServer.ts';
import { verificationRoutes } from '../server/routes/client/verificationRoutes.ts';
import { testTokens } from '../test/support/api.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { testConfig } from '../test/support/harness.ts';
import { uniquePrefix } from '../test/support/redis.ts';
import { benchDatabases, benchLogger, cpuMeter, percentile, sleep } from './support.ts';

/**
 * `BENCH_ONLY=sse`: `streams` open event streams (GET /verification/:id/events) on one API process,
 * one document each, five per user, first pushed by LISTEN/NOTIFY (`push`), then, for comparison,
 * polled every 500 ms as before (`poll`). This process serves them: the real route, auth and HTTP
 * server over a database of its own, and nothing else. The clients, and the writer that updates
 * documents, run in a child process (this file, forked), so this process's CPU is the server's.
 *
 * Per mode: the CPU this process used over `windowMs` with every stream open and nothing changing
 * (heartbeats only), then over `windowMs` with `updatesPerS` documents changed per second (each one
 * committed UPDATE, round robin, told to the notifier once committed, as the runtime's observer tells
 * a transition); its memory with the streams open; and, with updates flowing, the latency from the
 * start of each UPDATE, and from its commit, to its event arriving at the client.
 */

export type SseFigures = {
  mode: 'push' | 'poll';
  streams: number;
  opened: number;
  idle: { cores: number; postgresCores: number | null };
  flowing: { cores: number; postgresCores: number | null; updates: number; delivered: number; clientCores: number };
  /** From the start of each UPDATE (the writer's queue and the commit included) to its event at the client. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** From the UPDATE's commit acknowledged to its event at the client; 0 when the event came first. */
  afterCommitP50Ms: number;
  afterCommitP99Ms: number;
  /** This process with every stream open (after a GC when run with --expose-gc): resident, and heap used. */
  rssMb: number;
  heapUsedMb: number;
  /** Heap used with the streams open, less before they opened: what the streams hold. */
  heapGrowthMb: number;
};

type ToChild =
  | { type: 'open'; url: string; documents: string[]; tokens: string[] }
  | { type: 'flow'; updatesPerS: number; ms: number; databaseUrl: string }
  | { type: 'close' };
type FromChild =
  | { type: 'opened'; opened: number }
  | { type: 'flowed'; latencies: number[]; afterCommit: number[]; updates: number; clientCores: number }
  | { type: 'closed' };

export async function sseStreams(options: {
  streams: number;
  windowMs: number;
  updatesPerS: number;
  poolSize: number;
}): Promise<SseFigures[]> {
  const database = await createTestDatabase();
  benchDatabases.add(database.name);
  const config = testConfig(database, uniquePrefix());
  const pool = await createDatabasePool({ databaseUrl: database.url, poolSize: options.poolSize });
  const writer = new pg.Client({ connectionString: database.url });
  await writer.connect();
  const figures: SseFigures[] = [];
  try {
    // Documents as uploaded, without fields: a stream's re-read decrypts nothing.
    const documents = (
      await writer.query<{ id: string }>(
        `INSERT INTO documents (id, owner_id, type, status, machine_version, snapshot, version, storage_key, sha256,
                                mime, size_bytes, correlation_id)
         SELECT gen_random_uuid(), 'bench-user-' || (n / 5), 'KTP', 'uploaded', 1, '{}', 1, 'documents/x',
                decode(repeat('ab', 32), 'hex'), 'image/jpeg', 1, 'bench'
         FROM generate_series(0, $1 - 1) AS n ORDER BY n RETURNING id`,
        [options.streams],
      )
    ).rows.map((row) => row.id);
    const tokens = testTokens();
    const auth = createAuth(tokens.jwtSettings);
    const queries = createDocumentQueries(pool, createPiiCipher(config.pii));
    const bounds = { perUser: 5, perProcess: options.streams };
    for (const mode of ['push', 'poll'] as const) {
      const changes =
        mode === 'push' ? createDocumentChanges({ databaseUrl: database.url, logger: benchLogger }) : undefined;
      changes?.start();
      while (changes && !changes.live) await sleep(20);
      const app = express().use(
        verificationRoutes({
          auth,
          queries,
          streams: bounds,
          logger: benchLogger,
          ...(changes ? { changes } : { pollMs: 500 }),
        }),
      );
      const server = createHttpServer(app);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, BENCH_SSE_CLIENT: '1' } });
      try {
        global.gc?.();
        const before = process.memoryUsage();
        const opened = await ask(child, {
          type: 'open',
          url,
          documents,
          tokens: documents.map((_, index) => tokens.tokenFor(`bench-user-${Math.floor(index / 5)}`, 'user')),
        });
        if (opened.type !== 'opened') throw new Error('the clients did not open their streams');
        await sleep(1000);
        const idleMeter = cpuMeter();
        await sleep(options.windowMs);
        const idle = idleMeter();
        global.gc?.();
        const open = process.memoryUsage();
        const flowMeter = cpuMeter();
        const flowed = await ask(child, {
          type: 'flow',
          updatesPerS: options.updatesPerS,
          ms: options.windowMs,
          databaseUrl: database.url,
        });
        const flowing = flowMeter();
        if (flowed.type !== 'flowed') throw new Error('the writer did not report');
        figures.push({
          mode,
          streams: options.streams,
          opened: opened.opened,
          idle: { cores: idle.processCores, postgresCores: idle.serverCores },
          flowing: {
            cores: flowing.processCores,
            postgresCores: flowing.serverCores,
            updates: flowed.updates,
            delivered: flowed.latencies.length,
            clientCores: flowed.clientCores,
          },
          latencyP50Ms: percentile(flowed.latencies, 50),
          latencyP99Ms: percentile(flowed.latencies, 99),
          afterCommitP50Ms: percentile(flowed.afterCommit, 50),
          afterCommitP99Ms: percentile(flowed.afterCommit, 99),
          rssMb: open.rss / 2 ** 20,
          heapUsedMb: open.heapUsed / 2 ** 20,
          heapGrowthMb: (open.heapUsed - before.heapUsed) / 2 ** 20,
        });
        await ask(child, { type: 'close' });
      } finally {
        child.kill();
        server.closeAllConnections();
        server.close();
        await changes?.close();
      }
    }
  } finally {
    await writer.end();
    await pool.end();
    await database.drop();
  }
  return figures;
}

function ask(child: ChildProcess, message: ToChild): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: FromChild) => {
      child.off('exit', onExit);
      resolve(reply);
    };
    const onExit = (code: number | null) => {
      child.off('message', onMessage);
      reject(new Error(`the client process exited with ${code}`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
    child.send(message);
  });
}

/** The child: opens the streams, then changes documents at the rate asked and times each event. */
async function runClients() {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const requests: http.ClientRequest[] = [];
  /** Each UPDATE: when it started, was acknowledged and its event came (performance.now()). */
  type Update = { started: number; committed?: number; delivered?: number };
  const updatesOf = new Map<string, Update[]>();
  let documents: string[] = [];
  const reply = (message: FromChild) => process.send?.(message);

  const open = (url: string, documentId: string, token: string) =>
    new Promise<boolean>((resolve) => {
      const request = http.get(
        `${url}/verification/${documentId}/events`,
        { agent, headers: { authorization: `Bearer ${token}` } },
        (response) => {
          if (response.statusCode !== 200) {
            response.resume();
            return resolve(false);
          }
          let buffered = '';
          let first = true;
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            buffered += chunk;
            for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
              const block = buffered.slice(0, end);
              buffered = buffered.slice(end + 2);
              if (!block.includes('event: verdict')) continue;
              if (first) {
                first = false;
                resolve(true);
                continue;
              }
              const update = updatesOf.get(documentId)?.find((each) => each.delivered === undefined);
              if (update) update.delivered = performance.now();
            }
          });
          response.on('error', () => {});
        },
      );
      request.on('error', () => resolve(false));
      requests.push(request);
    });

  process.on('message', async (message: ToChild) => {
    if (message.type === 'open') {
      documents = message.documents;
      const results: boolean[] = [];
      // In batches, as clients arrive: a thousand connects in one turn would overflow the listen backlog.
      for (let index = 0; index < documents.length; index += 100) {
        const batch = documents.slice(index, index + 100);
        results.push(
          ...(await Promise.all(
            batch.map((id, offset) => open(message.url, id, message.tokens[index + offset] as string)),
          )),
        );
      }
      reply({ type: 'opened', opened: results.filter(Boolean).length });
    } else if (message.type === 'flow') {
      const writers = new pg.Pool({ connectionString: message.databaseUrl, max: 8 });
      writers.on('error', () => {});
      const notifier = createDocumentChangeNotifier({ databaseUrl: message.databaseUrl, logger: benchLogger });
      const cpu0 = process.cpuUsage();
      const started = performance.now();
      let updates = 0;
      const inFlight: Promise<unknown>[] = [];
      // One UPDATE every 1000/rate ms, on schedule (an UPDATE that is slow does not delay the next).
      while (performance.now() - started < message.ms) {
        const documentId = documents[updates % documents.length] as string;
        const due = started + (updates * 1000) / message.updatesPerS;
        await sleep(Math.max(0, due - performance.now()));
        const update: Update = { started: performance.now() };
        updatesOf.set(documentId, [...(updatesOf.get(documentId) ?? []), update]);
        inFlight.push(
          writers.query('UPDATE documents SET updated_at = clock_timestamp() WHERE id = $1', [documentId]).then(() => {
            update.committed = performance.now();
            notifier.notify(documentId);
          }),
        );
        updates++;
      }
      await Promise.all(inFlight);
      // The last events of the window.
      await sleep(600);
      const cpu = process.cpuUsage(cpu0);
      const delivered = [...updatesOf.values()].flat().filter((update) => update.delivered !== undefined);
      await writers.end();
      await notifier.close();
      reply({
        type: 'flowed',
        latencies: delivered.map((update) => (update.delivered as number) - update.started),
        afterCommit: delivered.map((update) =>
          Math.max(0, (update.delivered as number) - (update.committed as number)),
        ),
        updates,
        clientCores: (cpu.user + cpu.system) / 1e6 / ((performance.now() - started) / 1000),
      });
    } else {
      for (const request of requests) request.destroy();
      reply({ type: 'closed' });
      process.exit(0);
    }
  });
}

if (process.env.BENCH_SSE_CLIENT === '1' && process.argv[1] === fileURLToPath(import.meta.url)) await runClients();

export type NotifyCostFigures = { writers: number; none: number[]; notifier: number[]; trigger: number[] };

/**
 * What telling the streams of each change costs the writers: `writers` connections each update their
 * own document in a loop (autocommit), in `sliceMs` slices alternated `rounds` times between no
 * notification, the notifier (documentChangeNotifier.ts: a NOTIFY statement of its own after each
 * commit) and a NOTIFY trigger on `documents` (inside the writing transaction; the design not taken).
 * Figures: updates per second, one per slice. A listener hears every notification meanwhile.
 */
export async function notifyCost(options: { writers: number; sliceMs: number; rounds: number }) {
  const database = await createTestDatabase();
  benchDatabases.add(database.name);
  const pool = new pg.Pool({ connectionString: database.url, max: options.writers });
  // An idle connection ended from outside (another test run's clean-up) must not end the run.
  pool.on('error', () => {});
  const listener = new pg.Client({ connectionString: database.url });
  const notifier = createDocumentChangeNotifier({ databaseUrl: database.url, logger: benchLogger });
  try {
    await pool.query(`CREATE FUNCTION bench_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('document_changed', NEW.id::text); RETURN NULL; END; $$`);
    await pool.query(`CREATE TRIGGER bench_notify_changed AFTER UPDATE ON documents FOR EACH ROW
      EXECUTE FUNCTION bench_notify_changed()`);
    await listener.connect();
    await listener.query('LISTEN document_changed');
    const ids = (
      await pool.query<{ id: string }>(
        `INSERT INTO documents (id, owner_id, type, status, machine_version, snapshot, version, storage_key, sha256,
                                mime, size_bytes, correlation_id)
         SELECT gen_random_uuid(), 'bench', 'KTP', 'uploaded', 1, '{}', 1, 'documents/x', decode(repeat('ab', 32), 'hex'),
                'image/jpeg', 1, 'bench'
         FROM generate_series(1, $1) RETURNING id`,
        [options.writers],
      )
    ).rows.map((row) => row.id);
    const slice = async (afterCommit: (id: string) => void) => {
      let count = 0;
      const end = performance.now() + options.sliceMs;
      await Promise.all(
        ids.map(async (id) => {
          while (performance.now() < end) {
            await pool.query('UPDATE documents SET version = version + 1, updated_at = now() WHERE id = $1', [id]);
            afterCommit(id);
            count++;
          }
        }),
      );
      return Math.round(count / (options.sliceMs / 1000));
    };
    const figures: NotifyCostFigures = { writers: options.writers, none: [], notifier: [], trigger: [] };
    for (let round = 0; round < options.rounds; round++) {
      await pool.query('ALTER TABLE documents DISABLE TRIGGER bench_notify_changed');
      figures.none.push(await slice(() => {}));
      figures.notifier.push(await slice((id) => notifier.notify(id)));
      await pool.query('ALTER TABLE documents ENABLE TRIGGER bench_notify_changed');
      figures.trigger.push(await slice(() => {}));
    }
    return figures;
  } finally {
    await notifier.close();
    await listener.end();
    await pool.end();
    await database.drop();
  }
}
