import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEffectDispatcher, DELIVERY_WAIT_MS, MARK_DELAY_MS } from '../../runtime/effects.ts';
import type { OutboxEntry } from '../../runtime/ports.ts';
import { recordingLogger } from '../support/recordingLogger.ts';

const entry = (id: string): OutboxEntry => ({ id, documentId: `doc-${id}`, kind: 'enqueue_ocr', payload: {} });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A queue and an outbox that record what they are asked; the outbox fails while `failMarks` is set. */
function recordingPorts() {
  const enqueued: string[] = [];
  const marks: string[][] = [];
  const state = { failMarks: false, refuse: new Set<string>() };
  return {
    enqueued,
    marks,
    state,
    queue: {
      async enqueue(documentId: string) {
        if (state.refuse.has(documentId)) throw new Error('Redis is down');
        enqueued.push(documentId);
      },
    },
    outbox: {
      claimDue: async () => [],
      async markDelivered(ids: string[]) {
        if (state.failMarks) throw new Error('Postgres is down');
        marks.push([...ids].sort());
      },
      markFailed: async () => {},
    },
  };
}

describe('the effect dispatcher', () => {
  it('should deliver at once and mark the deliveries of a short while together, in one UPDATE', async () => {
    const ports = recordingPorts();
    const { logger } = recordingLogger();
    const effects = createEffectDispatcher({ queue: ports.queue, outbox: ports.outbox, logger });
    await effects.deliverAndMark([entry('1')]);
    await effects.deliverAndMark([entry('2'), entry('3')]);
    assert.deepEqual(ports.enqueued, ['doc-1', 'doc-2', 'doc-3']);
    assert.deepEqual(ports.marks, [], 'the caller does not wait for the mark');
    await sleep(MARK_DELAY_MS * 3);
    assert.deepEqual(ports.marks, [['1', '2', '3']]);
  });

  it('should mark only what was delivered', async () => {
    const ports = recordingPorts();
    ports.state.refuse.add('doc-5');
    const { logger, entries: lines } = recordingLogger();
    const effects = createEffectDispatcher({ queue: ports.queue, outbox: ports.outbox, logger });
    await effects.deliverAndMark([entry('4'), entry('5')]);
    await effects.flushMarks();
    assert.deepEqual(ports.marks, [['4']]);
    assert.ok(lines.some((line) => line.message === 'outbox.delivery_failed'));
  });

  it('should mark at once what is waiting when flushed, as at shutdown', async () => {
    const ports = recordingPorts();
    const { logger } = recordingLogger();
    const effects = createEffectDispatcher({ queue: ports.queue, outbox: ports.outbox, logger });
    await effects.deliverAndMark([entry('6')]);
    await effects.flushMarks();
    assert.deepEqual(ports.marks, [['6']]);
    await sleep(MARK_DELAY_MS * 3);
    assert.deepEqual(ports.marks, [['6']], 'nothing is marked twice');
    await effects.flushMarks();
    assert.deepEqual(ports.marks, [['6']], 'a flush with nothing waiting writes nothing');
  });

  it('should log a mark that fails and leave the rows to the relay', async () => {
    const ports = recordingPorts();
    ports.state.failMarks = true;
    const { logger, entries: lines } = recordingLogger();
    const effects = createEffectDispatcher({ queue: ports.queue, outbox: ports.outbox, logger });
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
    const effects = createEffectDispatcher({ queue, outbox: ports.outbox, logger });
    let returned = false;
    const call = effects.deliverAndMark([entry('8')]).then(() => {
      returned = true;
    });
    await sleep(DELIVERY_WAIT_MS / 2);
    assert.equal(returned, false, 'a prompt delivery is waited for');
    await call;
    assert.deepEqual(ports.enqueued, [], 'the caller got its answer before the delivery finished');
    const flushed = effects.flushMarks();
    release();
    await flushed;
    assert.deepEqual(ports.enqueued, ['doc-8']);
    assert.deepEqual(ports.marks, [['8']], 'a flush waits for the delivery under way, then marks it');
  });
});
