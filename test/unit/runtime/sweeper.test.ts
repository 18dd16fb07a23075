import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Documents } from '../../../runtime/documents/documents.ts';
import type { Coordination, DocumentStore } from '../../../runtime/ports.ts';
import { createSweeper } from '../../../runtime/recovery/sweeper.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';

/** Coordination keys in memory; TTLs are not needed within one test. */
function memoryCoordination() {
  const keys = new Set<string>();
  const coordination: Coordination = {
    async claim(name) {
      if (keys.has(name)) return false;
      keys.add(name);
      return true;
    },
    isSet: async (name) => keys.has(name),
    release: async (name) => void keys.delete(name),
  };
  return { keys, coordination };
}

function sweeperOver(due: string[], enqueue: (documentId: string) => Promise<void>) {
  const { keys, coordination } = memoryCoordination();
  const { logger, entries } = recordingLogger();
  const staleness: number[] = [];
  const store = {
    async dueWork(staleMs: number) {
      staleness.push(staleMs);
      return due.map((id) => ({ id, status: 'uploaded' as const }));
    },
  } as unknown as DocumentStore;
  const sweep = createSweeper({
    documents: {} as Documents,
    store,
    queue: { enqueue },
    coordination,
    staleMs: 60_000,
    intervalMs: 15_000,
    logger,
  });
  return { sweep, keys, staleness, entries };
}

describe('the sweeper', () => {
  it('should take everything due once Redis lost its data, and set the marker only after it re-sent all of it', async () => {
    const sent: string[] = [];
    let failNext = true;
    const { sweep, keys, staleness } = sweeperOver(['a', 'b', 'c'], async (id) => {
      if (id === 'b' && failNext) {
        failNext = false;
        throw new Error('Command timed out');
      }
      sent.push(id);
    });

    await assert.rejects(sweep(), /Command timed out/);
    assert.equal(keys.has('runtime:marker'), false, 'a sweep that failed half-way leaves Redis marked as lost');
    assert.equal(keys.has('runtime:requeued:b'), false, 'the document whose message failed is not marked as re-sent');

    const second = await sweep();
    assert.deepEqual(second, { requeued: 2, decided: 0, reviewsStarted: 0, redisLost: true });
    assert.deepEqual(staleness, [0, 0], 'both sweeps took everything due, stale or not');
    assert.deepEqual(
      sent,
      ['a', 'b', 'c'],
      'a by the first sweep (its marker holds it back after), b and c by the second',
    );
    assert.equal(keys.has('runtime:marker'), true);

    const third = await sweep();
    assert.deepEqual(third, { requeued: 0, decided: 0, reviewsStarted: 0, redisLost: false });
    assert.deepEqual(staleness, [0, 0, 60_000], 'with the marker back, only stale documents are swept');
  });

  describe('the level of sweeper.recovered', () => {
    const recoveredLevels = (entries: { level: string; message: string }[]) =>
      entries.filter((entry) => entry.message === 'sweeper.recovered').map((entry) => entry.level);

    it('should be info on a first boot, when the marker is missing and nothing is due', async () => {
      const { sweep, entries } = sweeperOver([], async () => {});
      assert.deepEqual(await sweep(), { requeued: 0, decided: 0, reviewsStarted: 0, redisLost: true });
      assert.deepEqual(recoveredLevels(entries), ['info']);
      await sweep();
      assert.deepEqual(
        recoveredLevels(entries),
        ['info'],
        'nothing is logged once the marker is set and nothing is due',
      );
    });

    it('should be a warning when Redis lost its data while work was due, and the work was re-sent', async () => {
      const { sweep, entries } = sweeperOver(['a'], async () => {});
      await sweep();
      assert.deepEqual(recoveredLevels(entries), ['warn']);
      const [entry] = entries.filter((item) => item.message === 'sweeper.recovered');
      assert.deepEqual(entry?.fields, { requeued: 1, decided: 0, reviewsStarted: 0, redisLost: true });
    });

    it('should be a warning when stale work was re-sent with Redis intact', async () => {
      const due: string[] = [];
      const { sweep, entries } = sweeperOver(due, async () => {});
      await sweep();
      due.push('stale');
      assert.deepEqual(await sweep(), { requeued: 1, decided: 0, reviewsStarted: 0, redisLost: false });
      assert.deepEqual(recoveredLevels(entries), ['info', 'warn']);
    });
  });
});
