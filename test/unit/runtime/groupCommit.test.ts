import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createGroupCommit } from '../../../runtime/groupCommit.ts';

/** A flush whose batches are recorded and which finishes only when the test says so. */
function controlledFlush<T>(settle: (item: T) => PromiseSettledResult<string> = (item) => fulfilled(`done:${item}`)) {
  const batches: T[][] = [];
  const releases: (() => void)[] = [];
  let running = 0;
  let mostRunning = 0;
  const flush = async (items: T[]) => {
    batches.push(items);
    running++;
    mostRunning = Math.max(mostRunning, running);
    await new Promise<void>((resolve) => releases.push(resolve));
    running--;
    return items.map(settle);
  };
  return {
    flush,
    batches,
    mostRunning: () => mostRunning,
    /** Lets every flush started so far finish. */
    release: () => {
      for (const release of releases.splice(0)) release();
    },
  };
}

const fulfilled = (value: string): PromiseSettledResult<string> => ({ status: 'fulfilled', value });
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('createGroupCommit', () => {
  it('should flush a lone call by itself within a turn of the event loop', async () => {
    const flush = controlledFlush<number>();
    const submit = createGroupCommit(flush.flush, { maxBatch: 10 });
    const result = submit(1);
    await turn();
    assert.deepEqual(flush.batches, [[1]]);
    flush.release();
    assert.equal(await result, 'done:1');
  });

  it('should take the calls made in one turn together', async () => {
    const flush = controlledFlush<number>();
    const submit = createGroupCommit(flush.flush, { maxBatch: 10 });
    const results = [1, 2, 3].map(submit);
    await turn();
    flush.release();
    assert.deepEqual(await Promise.all(results), ['done:1', 'done:2', 'done:3']);
    assert.deepEqual(flush.batches, [[1, 2, 3]]);
  });

  it('should gather the calls made while a flush runs into the next flush', async () => {
    const flush = controlledFlush<number>();
    const submit = createGroupCommit(flush.flush, { maxBatch: 10 });
    const first = submit(1);
    await turn();
    const waiting = [2, 3, 4, 5].map(submit);
    await turn();
    assert.deepEqual(flush.batches, [[1]], 'nothing more starts while the first flush runs');
    flush.release();
    await first;
    await turn();
    assert.deepEqual(flush.batches, [[1], [2, 3, 4, 5]]);
    flush.release();
    assert.deepEqual(await Promise.all(waiting), ['done:2', 'done:3', 'done:4', 'done:5']);
  });

  it('should split a backlog into batches of at most maxBatch, with at most maxInFlight running', async () => {
    const flush = controlledFlush<number>();
    const submit = createGroupCommit(flush.flush, { maxBatch: 3, maxInFlight: 2 });
    const results = Array.from({ length: 8 }, (_, index) => submit(index));
    for (let round = 0; round < 5; round++) {
      await turn();
      flush.release();
    }
    assert.equal((await Promise.all(results)).length, 8);
    assert.deepEqual(flush.batches, [
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
    assert.equal(flush.mostRunning(), 2);
  });

  it('should fail only the callers whose items failed', async () => {
    const flush = controlledFlush<number>((item) =>
      item % 2 === 0 ? fulfilled(`done:${item}`) : { status: 'rejected', reason: new Error(`bad ${item}`) },
    );
    const submit = createGroupCommit(flush.flush, { maxBatch: 10 });
    const outcomes = Promise.allSettled([1, 2, 3, 4].map(submit));
    await turn();
    flush.release();
    const settled = await outcomes;
    assert.deepEqual(
      settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).message)),
      ['bad 1', 'done:2', 'bad 3', 'done:4'],
    );
  });

  it('should reject a whole batch whose flush throws, and go on with the next calls', async () => {
    let failNext = true;
    const submit = createGroupCommit<number, number>(
      async (items) => {
        if (failNext) {
          failNext = false;
          throw new Error('connection lost');
        }
        return items.map((item) => ({ status: 'fulfilled', value: item * 10 }));
      },
      { maxBatch: 10 },
    );
    const failed = await Promise.allSettled([submit(1), submit(2)]);
    assert.deepEqual(
      failed.map((outcome) => outcome.status === 'rejected' && (outcome.reason as Error).message),
      ['connection lost', 'connection lost'],
    );
    assert.deepEqual(await Promise.all([submit(3), submit(4)]), [30, 40]);
  });

  it('should reject a batch whose flush settles the wrong number of items', async () => {
    const submit = createGroupCommit<number, number>(async () => [{ status: 'fulfilled', value: 1 }], {
      maxBatch: 10,
    });
    const outcomes = await Promise.allSettled([submit(1), submit(2)]);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 'rejected');
      assert.match((outcome.reason as Error).message, /settled 1 of 2 items/);
    }
  });
});
