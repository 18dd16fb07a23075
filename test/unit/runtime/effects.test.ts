import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { EFFECT_KINDS } from '../../../names/index.ts';
import { createEffectDispatcher, DELIVERY_WAIT_MS, MARK_DELAY_MS } from '../../../runtime/effects/dispatcher.ts';
import { createOutboxPruner, createOutboxRelay } from '../../../runtime/effects/outboxRelay.ts';
import { EFFECTS, effectsFromActions } from '../../../runtime/effects/registry.ts';
import type { DeadOutboxEntry, Outbox, OutboxEntry } from '../../../runtime/ports.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';

const entry = (id: string, kind = 'enqueue_ocr'): OutboxEntry => ({ id, documentId: `doc-${id}`, kind, payload: {} });
/** Lets promises started by the code under test settle (setImmediate is not among the mocked timers). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A queue and an outbox that record what they are asked; the outbox fails while `failMarks` is set. */
function recordingPorts() {
  const enqueued: string[] = [];
  const marks: string[][] = [];
  const failures: { id: string; error: string; retryInMs: number }[] = [];
  const dead: { id: string; error: string }[] = [];
  const state = { failMarks: false, refuse: new Set<string>(), due: [] as (OutboxEntry & { attempts: number })[] };
  const outbox: Outbox = {
    claimDue: async () => state.due.splice(0),
    async markDelivered(ids) {
      if (state.failMarks) throw new Error('Postgres is down');
      if (ids.length > 0) marks.push([...ids].sort());
    },
    markFailed: async (id, error, retryInMs) => void failures.push({ id, error, retryInMs }),
    markDead: async (id, error) => void dead.push({ id, error }),
    listDead: async () => [] as DeadOutboxEntry[],
    redeliverDead: async () => 0,
    pruneDelivered: async () => 0,
  };
  return {
    enqueued,
    marks,
    failures,
    dead,
    state,
    queue: {
      async enqueue(documentId: string) {
        // Digits as a NIK would have them: the recorded error must not keep them.
        if (state.refuse.has(documentId)) throw new Error(`Redis is down near 3171234567890001 (${documentId})`);
        enqueued.push(documentId);
      },
    },
    outbox,
  };
}

describe('the effect registry', () => {
  it('should have one delivery per effect kind, and an effect for the machine action that asks for OCR', () => {
    assert.deepEqual(Object.keys(EFFECTS).sort(), [...EFFECT_KINDS].sort());
    assert.deepEqual(effectsFromActions([{ type: 'requestOcr' }]), [{ kind: 'enqueue_ocr', payload: {} }]);
  });

  it('should refuse a machine action that has no effect, before anything is written', () => {
    assert.throws(() => effectsFromActions([{ type: 'sendPostcard' }]), /has no effect/);
  });
});

describe('the effect dispatcher', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('should deliver at once and mark the deliveries of a short while together, in one UPDATE', async () => {
    const ports = recordingPorts();
    const { logger } = recordingLogger();
    const effects = createEffectDispatcher({ ports: { queue: ports.queue }, outbox: ports.outbox, logger });
    await effects.deliverAndMark([entry('1')]);
    await effects.deliverAndMark([entry('2'), entry('3')]);
    assert.deepEqual(ports.enqueued, ['doc-1', 'doc-2', 'doc-3']);
    assert.deepEqual(ports.marks, [], 'the caller does not wait for the mark');
    mock.timers.tick(MARK_DELAY_MS - 1);
    await settle();
    assert.deepEqual(ports.marks, []);
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(ports.marks, [['1', '2', '3']]);
  });

  it('should mark only what was delivered, and report why the rest failed, with digit runs masked', async () => {
    const ports = recordingPorts();
    ports.state.refuse.add('doc-5');
    const { logger, entries: lines } = recordingLogger();
    const effects = createEffectDispatcher({ ports: { queue: ports.queue }, outbox: ports.outbox, logger });
    const report = await effects.deliver([entry('4'), entry('5')]);
    assert.deepEqual(report.delivered, ['4']);
    assert.equal(report.failed.get('5'), 'Error: Redis is down near ************0001 (doc-5)');
    await effects.deliverAndMark([entry('4'), entry('5')]);
    await effects.flushMarks();
    assert.deepEqual(ports.marks, [['4']]);
    const logged = lines.find((line) => line.message === 'outbox.delivery_failed');
    assert.equal(logged?.fields?.error, 'Redis is down near ************0001 (doc-5)');
  });

  it('should not deliver, nor call delivered, an entry of a kind this build does not know', async () => {
    const ports = recordingPorts();
    const { logger } = recordingLogger();
    const effects = createEffectDispatcher({ ports: { queue: ports.queue }, outbox: ports.outbox, logger });
    const report = await effects.deliver([entry('9', 'send_postcard')]);
    assert.deepEqual(report.delivered, []);
    assert.match(report.failed.get('9') ?? '', /Unknown effect kind "send_postcard"/);
    assert.deepEqual(ports.enqueued, []);
  });

  it('should mark at once what is waiting when flushed, as at shutdown', async () => {
    const ports = recordingPorts();
    const { logger } = recordingLogger();
    const effects = createEffectDispatcher({ ports: { queue: ports.queue }, outbox: ports.outbox, logger });
    await effects.deliverAndMark([entry('6')]);
    await effects.flushMarks();
    assert.deepEqual(ports.marks, [['6']]);
    mock.timers.tick(MARK_DELAY_MS * 3);
    await settle();
    assert.deepEqual(ports.marks, [['6']], 'nothing is marked twice');
    await effects.flushMarks();
    assert.deepEqual(ports.marks, [['6']], 'a flush with nothing waiting writes nothing');
  });

  it('should log a mark that fails and leave the rows to the relay', async () => {
    const ports = recordingPorts();
    ports.state.failMarks = true;
    const { logger, entries: lines } = recordingLogger();
    const effects = createEffectDispatcher({ ports: { queue: ports.queue }, outbox: ports.outbox, logger });
    await effects.deliverAndMark([entry('7')]);
    await effects.flushMarks();
    assert.deepEqual(ports.marks, []);
    const failure = lines.find((line) => line.message === 'outbox.mark_failed');
    assert.deepEqual(failure?.fields?.outboxIds, ['7']);
  });

  it('should stop waiting for a slow delivery after DELIVERY_WAIT_MS, finish it in the background and mark it', async () => {
    const ports = recordingPorts();
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = {
      async enqueue(documentId: string) {
        await slow;
        ports.enqueued.push(documentId);
      },
    };
    const { logger } = recordingLogger();
    const effects = createEffectDispatcher({ ports: { queue }, outbox: ports.outbox, logger });
    let returned = false;
    const call = effects.deliverAndMark([entry('8')]).then(() => {
      returned = true;
    });
    mock.timers.tick(DELIVERY_WAIT_MS - 1);
    await settle();
    assert.equal(returned, false, 'a prompt delivery is waited for');
    mock.timers.tick(1);
    await call;
    assert.deepEqual(ports.enqueued, [], 'the caller got its answer before the delivery finished');
    const flushed = effects.flushMarks();
    release();
    await flushed;
    assert.deepEqual(ports.enqueued, ['doc-8']);
    assert.deepEqual(ports.marks, [['8']], 'a flush waits for the delivery under way, then marks it');
  });
});

describe('the outbox relay', () => {
  const claimed = (id: string, attempts: number) => ({ ...entry(id), attempts });

  it('should record the real error, masked, and retry with a backoff that doubles', async () => {
    const ports = recordingPorts();
    ports.state.refuse.add('doc-1');
    ports.state.due.push(claimed('1', 1), claimed('2', 1));
    const { logger } = recordingLogger();
    const effects = createEffectDispatcher({ ports: { queue: ports.queue }, outbox: ports.outbox, logger });
    const relay = createOutboxRelay({ outbox: ports.outbox, effects, logger, maxAttempts: 5 });
    assert.equal(await relay(), 1);
    assert.deepEqual(ports.marks, [['2']]);
    assert.deepEqual(ports.failures, [
      { id: '1', error: 'Error: Redis is down near ************0001 (doc-1)', retryInMs: 1000 },
    ]);
    ports.state.due.push(claimed('1', 3));
    await relay();
    assert.equal(ports.failures[1]?.retryInMs, 4000);
    assert.deepEqual(ports.dead, []);
  });

  it('should give an entry up after its last attempt, with a log event and a metric, and deliver the others', async () => {
    const ports = recordingPorts();
    ports.state.refuse.add('doc-1');
    ports.state.due.push(claimed('1', 5), claimed('2', 5));
    const { logger, entries: lines } = recordingLogger();
    const deadKinds: string[] = [];
    const effects = createEffectDispatcher({ ports: { queue: ports.queue }, outbox: ports.outbox, logger });
    const relay = createOutboxRelay({
      outbox: ports.outbox,
      effects,
      logger,
      maxAttempts: 5,
      metrics: { outboxDeadLettered: (kind) => deadKinds.push(kind) },
    });
    await relay();
    assert.deepEqual(ports.dead, [{ id: '1', error: 'Error: Redis is down near ************0001 (doc-1)' }]);
    assert.deepEqual(ports.failures, [], 'a dead entry is not scheduled again');
    assert.deepEqual(ports.marks, [['2']]);
    assert.deepEqual(deadKinds, ['enqueue_ocr']);
    const logged = lines.find((line) => line.message === 'outbox.dead_lettered');
    assert.equal(logged?.level, 'error');
    assert.deepEqual(
      {
        outboxId: logged?.fields?.outboxId,
        documentId: logged?.fields?.documentId,
        attempts: logged?.fields?.attempts,
      },
      { outboxId: '1', documentId: 'doc-1', attempts: 5 },
    );
  });
});

describe('the outbox pruner', () => {
  it('should delete in batches until a batch comes back short, and log the total', async () => {
    const asked: { olderThanMs: number; limit: number }[] = [];
    const answers = [1000, 1000, 17];
    const ports = recordingPorts();
    const outbox: Outbox = {
      ...ports.outbox,
      async pruneDelivered(olderThanMs, limit) {
        asked.push({ olderThanMs, limit });
        return answers.shift() ?? 0;
      },
    };
    const { logger, entries: lines } = recordingLogger();
    const prune = createOutboxPruner({ outbox, logger, retentionMs: 3_600_000 });
    assert.equal(await prune(), 2017);
    assert.equal(asked.length, 3);
    assert.ok(asked.every((call) => call.olderThanMs === 3_600_000 && call.limit === 1000));
    assert.deepEqual(lines.find((line) => line.message === 'outbox.pruned')?.fields, { count: 2017 });
  });
});
