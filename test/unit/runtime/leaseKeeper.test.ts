import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { keepLease } from '../../../runtime/worker/leaseKeeper.ts';

/** Lets the extension promises the keeper started settle. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function lease(answers: (boolean | Error)[]) {
  const calls: { documentId: string; leaseToken: string; leaseMs: number }[] = [];
  const events: string[] = [];
  const keeper = keepLease({
    documentId: 'doc-1',
    leaseToken: 'token-1',
    leaseMs: 3000,
    async extend(documentId, leaseToken, leaseMs) {
      calls.push({ documentId, leaseToken, leaseMs });
      const answer = answers.shift() ?? true;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    onLost: () => events.push('lost'),
    onError: (error) => events.push(`error: ${(error as Error).message}`),
  });
  return { keeper, calls, events };
}

describe('the lease keeper', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval'] }));
  afterEach(() => mock.timers.reset());

  it('should extend the lease by its full length every third of it, until stopped', async () => {
    const { keeper, calls, events } = lease([]);
    mock.timers.tick(999);
    assert.equal(calls.length, 0);
    mock.timers.tick(1);
    mock.timers.tick(1000);
    mock.timers.tick(1000);
    await settle();
    assert.deepEqual(calls, Array(3).fill({ documentId: 'doc-1', leaseToken: 'token-1', leaseMs: 3000 }));
    keeper.stop();
    mock.timers.tick(5000);
    assert.equal(calls.length, 3);
    assert.deepEqual(events, []);
  });

  it('should report a lost lease once, and stop extending it', async () => {
    const { calls, events } = lease([true, false]);
    mock.timers.tick(1000);
    await settle();
    mock.timers.tick(1000);
    await settle();
    mock.timers.tick(5000);
    await settle();
    assert.equal(calls.length, 2);
    assert.deepEqual(events, ['lost']);
  });

  it('should report a failed extension and try again on schedule, since the lease outlives two misses', async () => {
    const { calls, events, keeper } = lease([new Error('database unreachable'), true]);
    mock.timers.tick(1000);
    await settle();
    mock.timers.tick(1000);
    await settle();
    assert.equal(calls.length, 2);
    assert.deepEqual(events, ['error: database unreachable']);
    keeper.stop();
  });

  it('should say nothing about an answer that arrives after it was stopped', async () => {
    let answer: (value: boolean) => void = () => {};
    const events: string[] = [];
    const keeper = keepLease({
      documentId: 'doc-1',
      leaseToken: 'token-1',
      leaseMs: 300,
      extend: () => new Promise<boolean>((resolve) => (answer = resolve)),
      onLost: () => events.push('lost'),
      onError: () => events.push('error'),
    });
    mock.timers.tick(100);
    keeper.stop();
    answer(false);
    await settle();
    assert.deepEqual(events, []);
  });
});
