import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import {
  createDocumentChangeNotifier,
  type DocumentChangeNotifier,
} from '../../../adapters/postgres/documentChangeNotifier.ts';
import { createDocumentChanges, type DocumentChangeListener } from '../../../adapters/postgres/documentChanges.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { waitFor } from '../../support/harness.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';
import { createTcpProxy } from '../../support/tcpProxy.ts';

/**
 * What pushes the event streams, against a real Postgres: the notifier (documentChangeNotifier.ts)
 * and the listener (documentChanges.ts), each through a TCP proxy that can drop or silence its
 * connection. (The API's tests cover commit, rollback and the streams: api/verificationEvents.test.ts.)
 */
describe('document changes (LISTEN/NOTIFY)', () => {
  let database: TestDatabase;
  let writer: pg.Client;
  let notifier: DocumentChangeNotifier;
  const listeners: DocumentChangeListener[] = [];

  /** A document row as the upload leaves it; its id. */
  const insertDocument = async () => {
    const id = randomUUID();
    await writer.query(
      `INSERT INTO documents (id, owner_id, type, status, machine_version, snapshot, version, storage_key, sha256, mime,
                              size_bytes, correlation_id)
       VALUES ($1, 'owner', 'KTP', 'uploaded', 1, '{}', 1, 'documents/x', decode(repeat('ab', 32), 'hex'), 'image/jpeg', 1, 'c')`,
      [id],
    );
    return id;
  };
  /** A committed change, told as the runtime's observer tells it. */
  const touch = async (id: string) => {
    await writer.query(`UPDATE documents SET updated_at = updated_at + interval '1 millisecond' WHERE id = $1`, [id]);
    notifier.notify(id);
  };
  /** A proxy in front of the test's Postgres, and the database's URL through it. */
  const proxied = async () => {
    const target = new URL(database.url);
    const proxy = await createTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const url = new URL(database.url);
    url.port = String(proxy.port);
    return { proxy, url: url.toString() };
  };

  const listen = (databaseUrl: string, settings: Partial<Parameters<typeof createDocumentChanges>[0]> = {}) => {
    const recording = recordingLogger();
    const listener = createDocumentChanges({
      databaseUrl,
      logger: recording.logger,
      reconnect: { minMs: 50, maxMs: 200 },
      ...settings,
    });
    listeners.push(listener);
    listener.start();
    return { listener, events: () => recording.entries.map((entry) => entry.message) };
  };

  /** Counts the signals a subscription gets. */
  const counter = (listener: DocumentChangeListener, id: string) => {
    const counted = { signals: 0, unsubscribe: () => {} };
    counted.unsubscribe = listener.subscribe(id, () => counted.signals++);
    return counted;
  };

  before(async () => {
    database = await createTestDatabase();
    writer = new pg.Client({ connectionString: database.url });
    await writer.connect();
    notifier = createDocumentChangeNotifier({ databaseUrl: database.url, logger: recordingLogger().logger });
  });
  after(async () => {
    for (const listener of listeners) await listener.close();
    await notifier.close();
    await writer.end();
    await database.drop();
  });

  it("should signal a document's subscribers after each change told, and no one else", async () => {
    const { listener } = listen(database.url);
    await waitFor(async () => listener.live, 5000, 'the listener to connect');
    const [one, other] = [await insertDocument(), await insertDocument()];
    const first = counter(listener, one);
    const second = counter(listener, one);
    const elsewhere = counter(listener, other);
    await touch(one);
    await waitFor(async () => first.signals === 1 && second.signals === 1, 2000, 'both subscribers');
    second.unsubscribe();
    second.unsubscribe();
    await touch(one);
    await waitFor(async () => first.signals === 2, 2000, 'the remaining subscriber');
    // Many changes in one turn go out in one statement, each document once.
    for (let index = 0; index < 50; index++) notifier.notify(one);
    await waitFor(async () => first.signals === 3, 2000, 'one signal for the batch');
    await sleep(300);
    assert.deepEqual([first.signals, second.signals, elsewhere.signals], [3, 1, 0]);
  });

  it('should tell changes made while its connection is down once Postgres answers again', async () => {
    const { listener } = listen(database.url);
    await waitFor(async () => listener.live, 5000, 'the listener to connect');
    const { proxy, url } = await proxied();
    const recording = recordingLogger();
    const away = createDocumentChangeNotifier({
      databaseUrl: url,
      logger: recording.logger,
      timeoutMs: 500,
      retry: { minMs: 50, maxMs: 200 },
    });
    try {
      const id = await insertDocument();
      const subscription = counter(listener, id);
      proxy.cut();
      away.notify(id);
      await waitFor(
        async () => recording.entries.some((entry) => entry.message === 'document_changes.notify_failed'),
        3000,
        'a failed NOTIFY',
      );
      assert.equal(subscription.signals, 0);
      proxy.restore();
      await waitFor(async () => subscription.signals === 1, 5000, 'the change told after all');
    } finally {
      await away.close();
      await proxy.close();
    }
  });

  it('should reconnect with backoff after its connection is dropped, signalling subscribers on the loss and on the return', async () => {
    const { proxy, url } = await proxied();
    try {
      const { listener, events } = listen(url);
      await waitFor(async () => listener.live, 5000, 'the listener to connect');
      const id = await insertDocument();
      const subscription = counter(listener, id);
      proxy.cut();
      await waitFor(async () => !listener.live, 2000, 'the loss to be noticed');
      assert.equal(subscription.signals, 1, 'told of the loss, to poll');
      await waitFor(async () => events().includes('document_changes.connect_failed'), 3000, 'a failed attempt');
      await touch(id);
      proxy.restore();
      await waitFor(async () => listener.live, 5000, 'the listener to reconnect');
      assert.equal(subscription.signals, 2, 'told of the return, to re-read what it missed');
      await touch(id);
      await waitFor(async () => subscription.signals === 3, 2000, 'changes pushed again');
      assert.ok(events().includes('document_changes.lost'), events().join(' '));
    } finally {
      await proxy.close();
    }
  });

  it('should find a connection that went silent with its check, and reconnect once the network answers', async () => {
    const { proxy, url } = await proxied();
    try {
      const { listener, events } = listen(url, { checkMs: 200, timeoutMs: 500 });
      await waitFor(async () => listener.live, 5000, 'the listener to connect');
      proxy.freeze();
      await waitFor(async () => !listener.live, 3000, 'the check to time out');
      proxy.restore();
      await waitFor(async () => listener.live, 5000, 'the listener to reconnect');
      const id = await insertDocument();
      const subscription = counter(listener, id);
      await touch(id);
      await waitFor(async () => subscription.signals === 1, 2000, 'changes pushed again');
      assert.ok(events().includes('document_changes.lost'), events().join(' '));
    } finally {
      await proxy.close();
    }
  });

  it('should stop trying once closed, and never throw while the database is away', async () => {
    const nowhere = new URL(database.url);
    // A port nothing listens on: every attempt fails at once.
    const proxy = await createTcpProxy({ host: '127.0.0.1', port: 1 });
    nowhere.port = String(proxy.port);
    try {
      const { listener, events } = listen(nowhere.toString());
      await waitFor(
        async () => events().filter((event) => event === 'document_changes.connect_failed').length >= 2,
        3000,
        'attempts with backoff',
      );
      assert.equal(listener.live, false);
      await listener.close();
      const attempts = events().length;
      await sleep(500);
      assert.equal(events().length, attempts, 'no attempt after close');
    } finally {
      await proxy.close();
    }
  });
});
