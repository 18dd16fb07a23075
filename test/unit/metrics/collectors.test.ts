import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import type { DatabasePool } from 'slonik';
import { installCollectors } from '../../../adapters/metrics/collectors.ts';
import { createMetrics } from '../../../adapters/metrics/registry.ts';
import type { Logger } from '../../../runtime/ports.ts';

/**
 * The scrape-time reads without a database: a pool and a Redis that answer, fail or never answer
 * as told. The real reads are tested in test/integration/metrics/metrics.test.ts.
 */

type Behaviour = 'answer' | 'fail' | 'hang';

function fakes() {
  const state = {
    redis: 'answer' as Behaviour,
    postgres: 'answer' as Behaviour,
    queue: { length: 5, lag: 2 as number | null, pending: 1 },
    rows: { outboxBacklog: 3, outboxOldestAgeSeconds: 12.5, reviewQueueSize: 2, reviewQueueOldestAgeSeconds: 60 },
    redisReads: 0,
    postgresReads: 0,
  };
  const settle = <T>(behaviour: Behaviour, value: () => T): Promise<T> =>
    behaviour === 'answer'
      ? Promise.resolve(value())
      : behaviour === 'fail'
        ? Promise.reject(new Error('connection refused'))
        : new Promise<T>(() => {});
  const redis = {
    multi: () => {
      const chain = {
        xlen: () => chain,
        xinfo: () => chain,
        exec: () => {
          state.redisReads++;
          return settle(state.redis, () => [
            [null, state.queue.length],
            [null, [['name', 'ocr-workers', 'consumers', 1, 'pending', state.queue.pending, 'lag', state.queue.lag]]],
          ]);
        },
      };
      return chain;
    },
  } as unknown as Redis;
  const pool = {
    one: () => {
      state.postgresReads++;
      return settle(state.postgres, () => state.rows);
    },
  } as unknown as DatabasePool;
  const warnings: { event: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    error: () => {},
    warn: (event, fields) => warnings.push({ event, ...(fields ? { fields } : {}) }),
    info: () => {},
    debug: () => {},
  };
  return { state, redis, pool, logger, warnings };
}

async function gauges(metrics: ReturnType<typeof createMetrics>) {
  const all = await metrics.registry.getMetricsAsJSON();
  const value = (name: string) => all.find((entry) => entry.name === name)?.values[0]?.value;
  return {
    queue: value('filot_queue_length'),
    backlog: value('filot_outbox_backlog'),
    outboxAge: value('filot_outbox_oldest_age_seconds'),
    review: value('filot_review_queue_size'),
    reviewAge: value('filot_review_queue_oldest_age_seconds'),
  };
}

const stream = { key: 'test:ocr:jobs', group: 'ocr-workers' };

describe('the scrape-time gauges', () => {
  it('should read each source once per scrape, the queue as lag plus pending', async () => {
    const { state, redis, pool, logger } = fakes();
    const metrics = createMetrics();
    installCollectors(metrics, { pool, redis, stream, logger });
    assert.deepEqual(await gauges(metrics), { queue: 3, backlog: 3, outboxAge: 12.5, review: 2, reviewAge: 60 });
    assert.equal(state.redisReads, 1);
    assert.equal(state.postgresReads, 1, 'the four Postgres gauges share one query');
    // Redis cannot tell the lag: the stream's length, which then is waiting plus pending.
    state.queue.lag = null;
    assert.equal((await gauges(metrics)).queue, 5);
  });

  it('should keep the last values and log once per failure streak, and take up again', async () => {
    const { state, redis, pool, logger, warnings } = fakes();
    const metrics = createMetrics();
    installCollectors(metrics, { pool, redis, stream, logger });
    await gauges(metrics);
    state.redis = 'fail';
    state.postgres = 'fail';
    state.rows = { ...state.rows, reviewQueueSize: 9 };
    for (let scrape = 0; scrape < 3; scrape++)
      assert.deepEqual(await gauges(metrics), { queue: 3, backlog: 3, outboxAge: 12.5, review: 2, reviewAge: 60 });
    assert.deepEqual(
      warnings.map((warning) => [warning.event, warning.fields?.source]),
      [
        ['metrics.collect_failed', 'redis'],
        ['metrics.collect_failed', 'postgres'],
      ],
    );
    assert.equal(warnings[0]?.fields?.error, 'connection refused');
    state.redis = 'answer';
    state.postgres = 'answer';
    assert.equal((await gauges(metrics)).review, 9);
    // A new streak is logged again.
    state.postgres = 'fail';
    await gauges(metrics);
    assert.equal(warnings.length, 3);
  });

  it('should give up on a read that does not answer in time, without starting another meanwhile', async () => {
    const { state, redis, pool, logger, warnings } = fakes();
    const metrics = createMetrics();
    installCollectors(metrics, { pool, redis, stream, logger, timeoutMs: 100 });
    await gauges(metrics);
    state.redis = 'hang';
    state.postgres = 'hang';
    const started = performance.now();
    assert.deepEqual(await gauges(metrics), { queue: 3, backlog: 3, outboxAge: 12.5, review: 2, reviewAge: 60 });
    await gauges(metrics);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 180 && elapsed < 1500, `two scrapes took ${elapsed} ms`);
    assert.equal(state.redisReads, 2, 'the hanging read is not started again');
    assert.equal(state.postgresReads, 2);
    assert.equal(warnings.length, 2);
    assert.match(String(warnings[0]?.fields?.error), /took more than 100 ms/);
  });

  it('should leave the gauges alone after stop()', async () => {
    const { state, redis, pool, logger } = fakes();
    const metrics = createMetrics();
    const collectors = installCollectors(metrics, { pool, redis, stream, logger });
    await gauges(metrics);
    collectors.stop();
    await gauges(metrics);
    assert.equal(state.redisReads, 1);
    assert.equal(state.postgresReads, 1);
  });
});
