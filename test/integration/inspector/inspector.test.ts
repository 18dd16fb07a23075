import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { createWebSocketReceiver } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { initialTransition } from 'xstate';
import {
  createInspectionObserver,
  INSPECTED_CONTEXT_KEYS,
  type InspectionObserver,
  inspectedSnapshot,
  sanitizeContext,
  sessionIdOf,
} from '../../../adapters/inspector/inspector.ts';
import { createDocumentMachine, DOCUMENT_STATUSES, type DocumentStatus } from '../../../machines/document.machine.ts';
import type { CommittedTransition } from '../../../runtime/ports.ts';
import { freePort } from '../../support/freePort.ts';
import { createWorld, newDocument, testLogger, USER, type World, waitFor } from '../../support/harness.ts';
import { CLEAN_EVALUATION, createScriptedEngine, createScriptedEvaluator } from '../../support/scriptedEngine.ts';
import { createTcpProxy } from '../../support/tcpProxy.ts';

/**
 * The Stately inspector (adapters/inspector): a real relay (`createInspectorServer`), a receiver
 * (`createWebSocketReceiver`, as a browser page would be) and a real runtime whose observer sends
 * every committed step of its documents.
 */

const machine = createDocumentMachine();

/** An event as the relay passes it on (JSON): `@xstate.actor`, `@xstate.event` or `@xstate.snapshot`. */
type Received = {
  type: '@xstate.actor' | '@xstate.event' | '@xstate.snapshot';
  sessionId: string;
  rootId?: string;
  parentId?: string;
  definition?: string;
  event?: { type: string } & Record<string, unknown>;
  snapshot?: { status: string; value: unknown; context?: Record<string, unknown> };
};

/** Resolves once the relay answers HTTP on `port`. */
const relayAnswers = (port: number) =>
  waitFor(
    async () => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/`);
        await response.body?.cancel();
        return response.ok;
      } catch {
        return false;
      }
    },
    5000,
    'the relay',
  );

/**
 * A relay on `port` with a receiver collecting what it broadcasts. The relay never closes its
 * clients (ws 8's `close()` leaves them open, and the receiver has no close of its own), so the
 * receiver goes through a TCP proxy that `close()` cuts, and this file's process can exit.
 */
async function startRelay(port?: number) {
  const relayPort = port ?? (await freePort());
  const server = createInspectorServer({ port: relayPort, autoOpen: false });
  await relayAnswers(relayPort);
  const proxy = await createTcpProxy({ host: '127.0.0.1', port: relayPort });
  const received: Received[] = [];
  createWebSocketReceiver({ server: `ws://127.0.0.1:${proxy.port}` }).subscribe((event) => {
    received.push(event as unknown as Received);
  });
  return {
    url: `ws://127.0.0.1:${relayPort}`,
    received,
    of: (documentId: string) => received.filter((event) => event.sessionId === sessionIdOf(documentId)),
    async close() {
      await proxy.close();
      server.stop();
    },
  };
}

/** A committed step as the runtime would report it, for the tests that need no runtime. */
function step(
  documentId: string,
  toStatus: DocumentStatus,
  context: Record<string, unknown> = {},
): CommittedTransition {
  return {
    documentId,
    documentType: 'KTP',
    event: { type: 'DECIDE' },
    fromStatus: 'ai_evaluated',
    toStatus,
    actor: { type: 'system', id: 'test' },
    correlationId: 'test',
    snapshot: {
      status: 'active',
      value: toStatus,
      historyValue: {},
      children: {},
      context: {
        documentType: 'KTP',
        attempts: 1,
        leaseToken: null,
        lastErrorCode: null,
        evaluation: null,
        reviewReason: null,
        review: null,
        ...context,
      },
    },
    version: 2,
    createdAtMs: Date.now(),
  };
}

const snapshotValues = (events: Received[]) =>
  events.flatMap((event) => (event.type === '@xstate.snapshot' ? [event.snapshot?.value] : []));

describe('the Stately inspector', () => {
  let world: World;
  const stops: (() => Promise<void>)[] = [];
  /** An inspector stopped after the test file, also when a test fails. */
  const inspection = (options: Partial<Parameters<typeof createInspectionObserver>[0]> & { url: string }) => {
    const built = createInspectionObserver({ machine, logger: testLogger, ...options });
    assert.ok(built);
    stops.push(() => built.stop());
    return built;
  };

  before(async () => {
    world = await createWorld({ reviews: false });
  });
  // Runtimes share the world's queue: one left running would take the next test's documents.
  afterEach(async () => {
    await world.stopRuntimes();
  });
  after(async () => {
    await world.close();
    for (const stop of stops) await stop();
  });

  it('should send a document from upload to decision: its actor once, then each step in order, with no PII', async () => {
    const relay = await startRelay();
    stops.push(() => relay.close());
    const inspector = inspection({ url: relay.url });
    const runtime = await world.runtime(
      { engine: createScriptedEngine(), evaluator: createScriptedEvaluator() },
      { observers: [inspector.observer] },
    );
    const document = newDocument();
    await runtime.documents.create(document, USER);
    await waitFor(async () => snapshotValues(relay.of(document.id)).includes('auto_approve'), 15_000, 'the decision');

    const history = await runtime.store.history(document.id);
    assert.deepEqual(
      history.map((entry) => entry.toStatus),
      ['uploaded', 'processing', 'ocr_completed', 'ai_evaluated', 'auto_approve'],
    );
    const events = relay.of(document.id);
    // The actor first, once; then an event and the snapshot it led to, for every step in the log.
    assert.deepEqual(
      events.map((event) => event.type),
      ['@xstate.actor', ...history.flatMap(() => ['@xstate.event', '@xstate.snapshot'])],
    );
    const [actor, ...steps] = events;
    assert.ok(actor?.type === '@xstate.actor');
    assert.equal(actor.sessionId, `document:${document.id}`);
    assert.equal(actor.rootId, actor.sessionId);
    assert.equal(actor.parentId, undefined);
    assert.equal(actor.snapshot?.value, 'uploaded');
    const definition = JSON.parse(actor.definition ?? 'null');
    assert.equal(definition.id, 'document');
    assert.deepEqual(Object.keys(definition.states).sort(), [...DOCUMENT_STATUSES].sort());
    assert.equal(definition.states.processing.on.OCR_FAILED[0].guard, 'leaseMatchesAndAttemptsExhausted');

    for (const [index, entry] of history.entries()) {
      const event = steps[index * 2];
      const snapshot = steps[index * 2 + 1];
      assert.ok(event?.type === '@xstate.event' && snapshot?.type === '@xstate.snapshot');
      assert.equal(event.event?.type, entry.eventType);
      assert.equal(snapshot.event?.type, entry.eventType);
      assert.equal(snapshot.snapshot?.value, entry.toStatus);
      assert.equal(event.rootId, event.sessionId);
    }
    const last = steps.at(-1);
    assert.ok(last?.type === '@xstate.snapshot');
    assert.equal(last.snapshot?.status, 'done');
    assert.deepEqual(last.snapshot?.context?.evaluation, {
      score: CLEAN_EVALUATION.score,
      reasons: [],
      policyVersion: CLEAN_EVALUATION.policyVersion,
    });

    // Every snapshot's context has exactly the allowed keys, and no value of the document is sent.
    for (const event of events) {
      if (event.type === '@xstate.event') continue;
      assert.deepEqual(Object.keys(event.snapshot?.context ?? {}), INSPECTED_CONTEXT_KEYS);
    }
    const sent = JSON.stringify(events);
    for (const value of [...Object.values(CLEAN_EVALUATION.fields), 'SYNTHETIC TEST CARD', document.ownerId]) {
      assert.equal(typeof value === 'string' && sent.includes(value), false, `${value} was sent to the inspector`);
    }
  });

  it('should keep the machine context allow-list complete today, and drop any other field', () => {
    // A field added to the context stays out of the inspector until it is added to the allow-list
    // on purpose (adapters/inspector/inspector.ts); this test then asks for that decision.
    const [initial] = initialTransition(machine, { documentType: 'KTP' });
    assert.deepEqual(Object.keys(initial.context).sort(), [...INSPECTED_CONTEXT_KEYS].sort());

    const context = (
      step('d', 'ai_evaluated', {
        nik: '3171014101900001',
        fields: { nama: 'SYNTHETIC PERSON' },
        evaluation: {
          score: 0.9,
          policyVersion: 'p1',
          fields: { nik: '3171014101900001' },
          reasons: [
            { code: 'X', severity: 'info', message: 'NIK 3171014101900001 differs', extra: 'SYNTHETIC PERSON' },
          ],
        },
        review: { decision: 'approve', reviewerId: 'reviewer-1', source: 'internal', note: 'SYNTHETIC PERSON' },
      }).snapshot as { context: unknown }
    ).context;
    const kept = sanitizeContext(context);
    assert.deepEqual(Object.keys(kept), INSPECTED_CONTEXT_KEYS);
    assert.deepEqual(kept.evaluation, {
      score: 0.9,
      reasons: [{ code: 'X', severity: 'info', message: 'NIK ************0001 differs' }],
      policyVersion: 'p1',
    });
    assert.deepEqual(kept.review, { decision: 'approve', reviewerId: 'reviewer-1', source: 'internal' });
    const sent = JSON.stringify(inspectedSnapshot({ status: 'active', value: 'ai_evaluated', context }));
    assert.equal(sent.includes('3171014101900001'), false);
    assert.equal(sent.includes('SYNTHETIC PERSON'), false);
  });

  it('should keep the runtime working while the relay is down, then deliver what it kept when the relay comes up', async () => {
    const port = await freePort();
    const inspector = inspection({ url: `ws://127.0.0.1:${port}`, retryMs: 100 });
    const runtime = await world.runtime(
      { engine: createScriptedEngine(), evaluator: createScriptedEvaluator() },
      { observers: [inspector.observer] },
    );
    const document = newDocument();
    await runtime.documents.create(document, USER);
    const decided = await waitFor(
      async () => (await runtime.store.load(document.id))?.status === 'auto_approve',
      15_000,
      'the decision',
    );
    assert.ok(decided);

    const relay = await startRelay(port);
    stops.push(() => relay.close());
    await waitFor(async () => snapshotValues(relay.of(document.id)).includes('auto_approve'), 5000, 'the kept events');
    assert.deepEqual(snapshotValues(relay.of(document.id)), [
      'uploaded',
      'processing',
      'ocr_completed',
      'ai_evaluated',
      'auto_approve',
    ]);
    assert.equal(relay.of(document.id).filter((event) => event.type === '@xstate.actor').length, 1);
  });

  it('should keep at most 200 events while disconnected, the newest', async () => {
    const port = await freePort();
    const inspector = inspection({ url: `ws://127.0.0.1:${port}`, retryMs: 100 });
    // 100 documents seen for the first time: 300 events (actor, event, snapshot).
    const ids = Array.from({ length: 100 }, (_, index) => `bounded-${String(index).padStart(3, '0')}`);
    for (const id of ids) inspector.observer(step(id, 'ai_evaluated'));
    const relay = await startRelay(port);
    stops.push(() => relay.close());
    await waitFor(async () => relay.of('bounded-099').length === 3, 5000, 'the kept events');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const received = relay.received.filter((event) => event.sessionId.startsWith('document:bounded-'));
    assert.equal(received.length, 200);
    // The oldest 100 were dropped: the first kept is the second event of document 33.
    assert.equal(received[0]?.sessionId, sessionIdOf('bounded-033'));
    assert.equal(received[0]?.type, '@xstate.event');
  });

  it('should announce a document again only after it was forgotten: past the seen limit, or once decided', async () => {
    const relay = await startRelay();
    stops.push(() => relay.close());
    const inspector = inspection({ url: relay.url, seenLimit: 2 });
    for (const id of ['lru-a', 'lru-b', 'lru-a', 'lru-c', 'lru-b', 'lru-a'])
      inspector.observer(step(id, 'ai_evaluated'));
    // lru-a is still known at its 2nd step (a, b); lru-c pushes b out; b pushes a out.
    await waitFor(async () => relay.of('lru-a').length === 8, 5000, 'the events');
    const actors = (id: string) => relay.of(id).filter((event) => event.type === '@xstate.actor').length;
    assert.deepEqual([actors('lru-a'), actors('lru-b'), actors('lru-c')], [2, 2, 1]);

    inspector.observer(step('final-a', 'ai_evaluated'));
    inspector.observer(step('final-a', 'auto_approve'));
    inspector.observer(step('final-a', 'auto_approve'));
    await waitFor(async () => relay.of('final-a').length === 8, 5000, 'the events');
    assert.equal(relay.of('final-a').filter((event) => event.type === '@xstate.actor').length, 2);
  });

  it('should stop for good: no reconnection after stop(), even with the relay down, and nothing sent', async () => {
    const port = await freePort();
    const inspector = inspection({ url: `ws://127.0.0.1:${port}`, retryMs: 50 });
    inspector.observer(step('stopped', 'ai_evaluated'));
    await new Promise((resolve) => setTimeout(resolve, 120));
    const started = Date.now();
    await inspector.stop();
    assert.ok(Date.now() - started < 1500, 'stop() waited too long');
    // A server on the relay's port now counts the connections it gets: none may come.
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    inspector.observer(step('stopped', 'auto_approve'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.close();
    assert.equal(connections, 0);
  });

  it('should build nothing without a relay URL, so the runtime has no observer to call', () => {
    assert.equal(createInspectionObserver({ url: null, machine, logger: testLogger }), null);
    assert.equal(createInspectionObserver({ url: undefined, machine, logger: testLogger }), null);
    assert.equal(createInspectionObserver({ url: '', machine, logger: testLogger }), null);
  });

  it('should swallow a URL the WebSocket client refuses', async () => {
    const inspector: InspectionObserver | null = createInspectionObserver({
      url: 'http://not a url',
      machine,
      logger: testLogger,
    });
    assert.ok(inspector);
    assert.doesNotThrow(() => inspector.observer(step('refused', 'ai_evaluated')));
    await inspector.stop();
  });
});
