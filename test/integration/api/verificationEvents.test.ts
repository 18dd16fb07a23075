import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Registry } from 'prom-client';
import { sql } from 'slonik';
import {
  createDocumentChangeNotifier,
  type DocumentChangeNotifier,
} from '../../../adapters/postgres/documentChangeNotifier.ts';
import { createDocumentChanges, type DocumentChangeListener } from '../../../adapters/postgres/documentChanges.ts';
import { loadRegions } from '../../../adapters/regions/loadRegions.ts';
import { createFsStorage } from '../../../adapters/storage/fsStorage.ts';
import { createApiAdapters } from '../../../composition/api.ts';
import type { ComposedRuntime } from '../../../composition/runtime.ts';
import { createApp } from '../../../server/app.ts';
import { createAuth } from '../../../server/http/auth.ts';
import { testTokens } from '../../support/api.ts';
import { TEST_SERVER_URL } from '../../support/database.ts';
import {
  completeOcr,
  createWorld,
  evaluateAndDecide,
  newDocument,
  SYSTEM,
  testLogger,
  type World,
  waitFor,
} from '../../support/harness.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';

/**
 * GET /verification/:id/events pushed by Postgres LISTEN/NOTIFY: the runtime's committed transitions
 * are notified (adapters/postgres/documentChangeNotifier.ts) and heard on the listener's connection
 * (adapters/postgres/documentChanges.ts). The streams here poll once a minute at most, so an event
 * that comes within a second can only have been pushed.
 */

const { jwtSettings, tokenFor } = testTokens();
const NO_POLLING_MS = 60_000;

type SseEvent = {
  id: string | null;
  event: string | null;
  data: { verdict: string; status: string; updatedAt: string };
};

/** An open event stream, read block by block; `next` gives the next event, or null when the stream ended. */
async function openStream(url: string, documentId: string, user: string, headers: Record<string, string> = {}) {
  const stop = new AbortController();
  const response = await fetch(`${url}/verification/${documentId}/events`, {
    headers: { authorization: `Bearer ${tokenFor(user, 'user')}`, ...headers },
    signal: stop.signal,
  });
  const reader = response.status === 200 ? (response.body as ReadableStream<Uint8Array>).getReader() : null;
  if (!reader) await response.body?.cancel();
  const decoder = new TextDecoder();
  let buffered = '';
  let ended = false;
  let reading: ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']> | null = null;
  const comments: string[] = [];
  return {
    response,
    comments,
    /** The next event within `timeoutMs`: 'timeout' when none came, null once the stream ended. */
    async next(timeoutMs = 2000): Promise<SseEvent | 'timeout' | null> {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const end = buffered.indexOf('\n\n');
        if (end >= 0) {
          const lines = buffered.slice(0, end).split('\n');
          buffered = buffered.slice(end + 2);
          for (const line of lines) if (line.startsWith(':')) comments.push(line);
          const field = (name: string) =>
            lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? null;
          const data = field('data');
          if (data) return { id: field('id'), event: field('event'), data: JSON.parse(data) };
          continue;
        }
        if (ended || !reader) return null;
        reading ??= reader.read();
        const left = deadline - performance.now();
        if (left <= 0) return 'timeout';
        const result = await Promise.race([reading, sleep(left).then(() => 'timeout' as const)]);
        if (result === 'timeout') return 'timeout';
        reading = null;
        if (result.done) {
          ended = true;
          return null;
        }
        buffered += decoder.decode(result.value, { stream: true });
      }
    },
    close() {
      stop.abort();
    },
  };
}

const asEvent = (value: SseEvent | 'timeout' | null, what: string): SseEvent => {
  assert.ok(value && value !== 'timeout', `${what}: got ${String(value)}`);
  return value;
};

describe('event streams pushed by LISTEN/NOTIFY', () => {
  let world: World;
  let runtime: ComposedRuntime;
  let storageDirectory: string;
  let listener: DocumentChangeListener;
  let notifier: DocumentChangeNotifier;
  const servers: Server[] = [];

  /** The API on its own port, its streams woken by `changes`. */
  const listen = async (
    changes: DocumentChangeListener,
    settings: { pollMs?: number; streams?: { perUser: number; perProcess: number } } = {},
  ) => {
    const app = createApp({
      readiness: [],
      metrics: new Registry(),
      logger: testLogger,
      development: false,
      api: {
        auth: createAuth(jwtSettings),
        ...createApiAdapters(world.pool, runtime.adapters.cipher, await loadRegions()),
        store: runtime.store,
        documents: runtime.documents,
        storage: createFsStorage(storageDirectory),
        maxUploadBytes: 1024 * 1024,
        maxPixels: 50_000_000,
        changes,
        pollMs: settings.pollMs ?? NO_POLLING_MS,
        heartbeatMs: 200,
        ...(settings.streams ? { streams: settings.streams } : {}),
      },
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  /** A new document of `owner`, uploaded (pending). */
  const uploaded = async (owner: string) => {
    const document = newDocument({ ownerId: owner });
    await runtime.documents.create(document, { type: 'user', id: owner });
    return document.id;
  };

  /** A committed change that a verdict shows (its time) by a writer that is not the runtime, told to the notifier. */
  const touch = async (documentId: string) => {
    await world.pool.query(
      sql.unsafe`UPDATE documents SET updated_at = updated_at + interval '1 millisecond' WHERE id = ${documentId}`,
    );
    notifier.notify(documentId);
  };

  before(async () => {
    world = await createWorld({ reviews: false });
    notifier = createDocumentChangeNotifier({ databaseUrl: world.database.url, logger: testLogger });
    // As main.ts composes it: every committed transition is notified.
    runtime = await world.runtime(undefined, { start: false, observers: [notifier.observer] });
    storageDirectory = await mkdtemp(join(tmpdir(), 'filot-sse-'));
    listener = createDocumentChanges({ databaseUrl: world.database.url, logger: testLogger });
    listener.start();
    await waitFor(async () => listener.live, 5000, 'the listener to connect');
  });
  after(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    await listener.close();
    await world.close();
    await notifier.close();
    await rm(storageDirectory, { recursive: true, force: true });
  });

  it('should push a committed change to the stream at once, without polling, each event with an id', async () => {
    const url = await listen(listener);
    const id = await uploaded('owner-push');
    const stream = await openStream(url, id, 'owner-push');
    try {
      assert.equal(stream.response.headers.get('content-type'), 'text/event-stream');
      const first = asEvent(await stream.next(), 'the current verdict');
      assert.equal(first.event, 'verdict');
      assert.equal(first.data.status, 'uploaded');
      assert.equal(first.id, first.data.updatedAt, 'the id is the verdict version');
      const latencies: number[] = [];
      const leaseToken = randomUUID();
      let started = performance.now();
      await runtime.documents.send(
        id,
        { type: 'PROCESSING_STARTED', workerId: 'w', attempt: 1, leaseToken, device: 'cpu' },
        SYSTEM,
      );
      const processing = asEvent(await stream.next(1000), 'the pushed change');
      latencies.push(performance.now() - started);
      assert.equal(processing.data.status, 'processing');
      assert.notEqual(processing.id, first.id);
      started = performance.now();
      await touch(id);
      const touched = asEvent(await stream.next(1000), 'a change without a transition');
      latencies.push(performance.now() - started);
      assert.equal(touched.data.status, 'processing');
      assert.notEqual(touched.id, processing.id);
      assert.ok(
        latencies.every((ms) => ms < 1000),
        `pushed within a second, with polling once a minute: ${latencies.map(Math.round)}`,
      );
    } finally {
      stream.close();
    }
  });

  it('should send nothing for a transition until it commits, and nothing for one refused or rolled back', async () => {
    const url = await listen(listener);
    const id = await uploaded('owner-tx');
    const stream = await openStream(url, id, 'owner-tx');
    const locker = new pg.Client({ connectionString: world.database.url });
    await locker.connect();
    try {
      asEvent(await stream.next(), 'the current verdict');
      // Another transaction holds the document's row: the transition's write waits behind it, uncommitted.
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM documents WHERE id = $1 FOR UPDATE', [id]);
      const sending = runtime.documents.send(
        id,
        { type: 'PROCESSING_STARTED', workerId: 'w', attempt: 1, leaseToken: randomUUID(), device: 'cpu' },
        SYSTEM,
      );
      assert.equal(await stream.next(600), 'timeout', 'nothing while the transition is not committed');
      await locker.query('COMMIT');
      await sending;
      const committed = asEvent(await stream.next(1000), 'the transition, once committed');
      assert.equal(committed.data.status, 'processing');
      // A change rolled back, and a transition the machine refuses: nothing committed, nothing sent.
      await locker.query('BEGIN');
      await locker.query(`UPDATE documents SET updated_at = updated_at + interval '1 hour' WHERE id = $1`, [id]);
      await locker.query('ROLLBACK');
      await assert.rejects(runtime.documents.send(id, { type: 'DECIDE' }, SYSTEM));
      assert.equal(await stream.next(800), 'timeout', 'nothing for a rolled-back or refused change');
    } finally {
      await locker.end();
      stream.close();
    }
  });

  it('should resume from Last-Event-ID: nothing again for the current version, the current verdict for an older one, 204 once final', async () => {
    const url = await listen(listener);
    const id = await uploaded('owner-resume');
    const first = await openStream(url, id, 'owner-resume');
    const seen = asEvent(await first.next(), 'the current verdict');
    first.close();

    const resumed = await openStream(url, id, 'owner-resume', { 'last-event-id': seen.id ?? '' });
    try {
      assert.equal(resumed.response.status, 200);
      assert.equal(await resumed.next(600), 'timeout', 'the same version is not sent again');
      await touch(id);
      const changed = asEvent(await resumed.next(1000), 'the next change');
      assert.notEqual(changed.id, seen.id);
    } finally {
      resumed.close();
    }

    const behind = await openStream(url, id, 'owner-resume', { 'last-event-id': seen.id ?? '' });
    try {
      const current = asEvent(await behind.next(500), 'the current verdict, for a client behind');
      assert.notEqual(current.id, seen.id);
    } finally {
      behind.close();
    }

    // To a final verdict: the stream sends it and ends; resuming with its id is answered 204.
    const toFinal = await openStream(url, id, 'owner-resume');
    asEvent(await toFinal.next(), 'the current verdict');
    await completeOcr(runtime.documents, id);
    await evaluateAndDecide(runtime.documents, id);
    let last: SseEvent | undefined;
    for (let event = await toFinal.next(3000); event; event = await toFinal.next(3000)) {
      assert.notEqual(event, 'timeout', 'the stream ends after the final verdict');
      if (event !== 'timeout') last = event;
    }
    assert.equal(last?.data.verdict, 'approved');
    const done = await openStream(url, id, 'owner-resume', { 'last-event-id': last?.id ?? '' });
    assert.equal(done.response.status, 204);
    const again = await openStream(url, id, 'owner-resume', { 'last-event-id': 'an older one' });
    try {
      assert.equal(again.response.status, 200);
      assert.equal(asEvent(await again.next(), 'the final verdict').data.verdict, 'approved');
      assert.equal(await again.next(), null, 'and the stream ends');
    } finally {
      again.close();
    }
  });

  it('should poll while its listener is away (killed by pg_terminate_backend), and be pushed again once it reconnects', async () => {
    const recording = recordingLogger();
    const applicationName = `filot-test-changes-${randomUUID().slice(0, 8)}`;
    const own = createDocumentChanges({
      databaseUrl: world.database.url,
      logger: recording.logger,
      applicationName,
      // Away long enough for a change to be made meanwhile.
      reconnect: { minMs: 2500, maxMs: 2500 },
    });
    own.start();
    try {
      await waitFor(async () => own.live, 5000, 'the listener to connect');
      const url = await listen(own, { pollMs: 300 });
      const id = await uploaded('owner-kill');
      const stream = await openStream(url, id, 'owner-kill');
      try {
        asEvent(await stream.next(), 'the current verdict');
        const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
        await admin.connect();
        try {
          const killed = await admin.query(
            'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
            [applicationName],
          );
          assert.equal(killed.rowCount, 1, 'one listening connection per process');
        } finally {
          await admin.end();
        }
        await waitFor(async () => !own.live, 2000, 'the listener to notice');
        await touch(id);
        const polled = asEvent(await stream.next(1500), 'the change, found by polling');
        assert.equal(own.live, false, 'found while the listener was away');
        await waitFor(async () => own.live, 8000, 'the listener to reconnect');
        await touch(id);
        const pushed = asEvent(await stream.next(1000), 'the change, pushed again');
        assert.notEqual(pushed.id, polled.id);
      } finally {
        stream.close();
      }
      const events = recording.entries.map((entry) => entry.message);
      assert.ok(events.includes('document_changes.lost'), events.join(' '));
      assert.equal(events.filter((event) => event === 'document_changes.listening').length, 2, events.join(' '));
    } finally {
      await own.close();
    }
  });

  it('should refuse streams beyond the bounds per user and per process with 429 and Retry-After', async () => {
    const url = await listen(listener, { streams: { perUser: 2, perProcess: 3 } });
    const a = await uploaded('owner-bound-a');
    const b = await uploaded('owner-bound-b');
    const open = [await openStream(url, a, 'owner-bound-a'), await openStream(url, a, 'owner-bound-a')];
    try {
      assert.deepEqual(
        open.map((stream) => stream.response.status),
        [200, 200],
      );
      const overUser = await openStream(url, a, 'owner-bound-a');
      assert.equal(overUser.response.status, 429, 'per user');
      assert.equal(overUser.response.headers.get('retry-after'), '5');
      open.push(await openStream(url, b, 'owner-bound-b'));
      assert.equal(open[2]?.response.status, 200);
      const overProcess = await openStream(url, b, 'owner-bound-b');
      assert.equal(overProcess.response.status, 429, 'per process');
      assert.equal(overProcess.response.headers.get('retry-after'), '5');
    } finally {
      for (const stream of open) stream.close();
    }
    await waitFor(
      async () => {
        const probe = await openStream(url, b, 'owner-bound-b');
        probe.close();
        return probe.response.status === 200;
      },
      3000,
      'closed streams to give their slots back',
    );
  });
});
