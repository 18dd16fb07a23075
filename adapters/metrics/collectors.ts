import type { Redis } from 'ioredis';
import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import type { Logger } from '../../runtime/ports.ts';
import type { OcrStream } from '../redis/ocrStream.ts';
import type { Metrics, ScrapeRead } from './registry.ts';

/**
 * The gauges read when /metrics is scraped, from the stores every instance shares, so that every
 * instance reports the same values: `filot_queue_length` from Redis, the outbox backlog and its
 * oldest age, the review queue size and its oldest age from Postgres.
 *
 * Bounded: one read per source at a time (the gauges of one scrape, and overlapping scrapes, share
 * it), and a scrape waits for it at most `timeoutMs`. A read that fails or runs out of time leaves
 * the gauges at their last values and logs `metrics.collect_failed` once per streak of failures of
 * that source; a read that finishes after its scrape gave up still updates them.
 */

export const COLLECT_TIMEOUT_MS = 2000;

export type CollectorDeps = {
  pool: DatabasePool;
  /** A command connection (not the blocking one the workers read the stream on). */
  redis: Redis;
  /** The OCR job stream's key and consumer group (adapters/redis/ocrStream.ts; `runtime.adapters.queue`). */
  stream: Pick<OcrStream, 'key' | 'group'>;
  logger: Logger;
  timeoutMs?: number;
};

export type SharedGauges = {
  outboxBacklog: number;
  outboxOldestAgeSeconds: number;
  reviewQueueSize: number;
  reviewQueueOldestAgeSeconds: number;
};

const sharedRow = z.object({
  outboxBacklog: z.number().int(),
  outboxOldestAgeSeconds: z.number(),
  reviewQueueSize: z.number().int(),
  reviewQueueOldestAgeSeconds: z.number(),
});

/**
 * The outbox entries not yet delivered (dead letters excluded: they have their own counter and wait
 * for an operator), and the documents waiting for a human, each with the age of its oldest. A
 * document in needs_review is written by nothing until its decision, so its updated_at is when it
 * entered review. Both counts read the partial indexes outbox_pending and documents_review_queue.
 */
export async function readSharedGauges(pool: DatabasePool): Promise<SharedGauges> {
  return pool.one(sql.type(sharedRow)`
    SELECT o.backlog AS "outboxBacklog",
           greatest(0, coalesce(extract(epoch FROM now() - o.oldest), 0))::float8 AS "outboxOldestAgeSeconds",
           r.size AS "reviewQueueSize",
           greatest(0, coalesce(extract(epoch FROM now() - r.oldest), 0))::float8 AS "reviewQueueOldestAgeSeconds"
    FROM (SELECT count(*)::int AS backlog, min(created_at) AS oldest
          FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL) o,
         (SELECT count(*)::int AS size, min(updated_at) AS oldest
          FROM documents WHERE status = 'needs_review') r`);
}

/** One consumer group's entry in XINFO GROUPS (RESP2: a flat list of names and values). */
function groupInfo(reply: unknown, group: string): { pending: number; lag: number | null } | null {
  for (const entry of Array.isArray(reply) ? reply : []) {
    if (!Array.isArray(entry)) continue;
    const fields = new Map<string, unknown>();
    for (let index = 0; index + 1 < entry.length; index += 2) fields.set(String(entry[index]), entry[index + 1]);
    if (String(fields.get('name')) !== group) continue;
    const lag = fields.get('lag');
    return {
      pending: Number(fields.get('pending') ?? 0),
      lag: lag === null || lag === undefined ? null : Number(lag),
    };
  }
  return null;
}

/**
 * OCR jobs waiting (entries after the group's last-delivered id: its `lag`) plus jobs claimed and
 * not acknowledged (its `pending`). Redis cannot always tell the lag (null once entries were deleted
 * past the group's position, as acknowledged jobs are); the stream then holds exactly those two
 * kinds, since a job is deleted when it is acknowledged (ocrStream.ts `ack`), and its length is the
 * answer. Before the group exists every entry is waiting. One MULTI, so both replies see one state.
 */
export async function readQueueLength(redis: Redis, stream: Pick<OcrStream, 'key' | 'group'>): Promise<number> {
  const replies = await redis.multi().xlen(stream.key).xinfo('GROUPS', stream.key).exec();
  if (!replies) throw new Error('the OCR stream read was discarded');
  const [lengthReply, groupsReply] = replies;
  if (!lengthReply || lengthReply[0]) throw lengthReply?.[0] ?? new Error('Redis sent no reply for XLEN');
  const length = Number(lengthReply[1]);
  // No stream (XINFO would answer "no such key"), or an empty one.
  if (length === 0) return 0;
  if (!groupsReply || groupsReply[0]) throw groupsReply?.[0] ?? new Error('Redis sent no reply for XINFO GROUPS');
  const info = groupInfo(groupsReply[1], stream.group);
  if (!info || info.lag === null) return length;
  return info.lag + info.pending;
}

/** Resolves with `promise`, or rejects after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A scrape-time read of one source: at most one in flight, waited for at most `timeoutMs`, its
 * failures logged once per streak.
 */
function boundedRead<T>(
  source: 'redis' | 'postgres',
  read: () => Promise<T>,
  apply: (value: T) => void,
  options: { timeoutMs: number; logger: Logger },
): ScrapeRead {
  let inFlight: Promise<void> | null = null;
  let failing = false;
  const failed = (error: unknown) => {
    if (failing) return;
    failing = true;
    options.logger.warn('metrics.collect_failed', {
      source,
      errorClass: error instanceof Error ? error.name : typeof error,
      error: error instanceof Error ? error.message : String(error),
    });
  };
  return async () => {
    inFlight ??= read()
      .then((value) => {
        apply(value);
        failing = false;
      })
      .finally(() => {
        inFlight = null;
      });
    try {
      await withTimeout(inFlight, options.timeoutMs, `reading ${source} for the metrics`);
    } catch (error) {
      // The gauges keep their last values; the scrape goes on.
      failed(error);
    }
  };
}

/**
 * Makes `metrics`' shared gauges read Redis and Postgres when scraped. `stop()` takes the reads
 * away again (before the connections close at shutdown); the gauges then keep their last values.
 */
export function installCollectors(metrics: Metrics, deps: CollectorDeps): { stop(): void } {
  const options = { timeoutMs: deps.timeoutMs ?? COLLECT_TIMEOUT_MS, logger: deps.logger };
  const redisRead = boundedRead(
    'redis',
    () => readQueueLength(deps.redis, deps.stream),
    (length) => metrics.queueLength.set(length),
    options,
  );
  const postgresRead = boundedRead(
    'postgres',
    () => readSharedGauges(deps.pool),
    (values) => {
      metrics.outboxBacklog.set(values.outboxBacklog);
      metrics.outboxOldestAgeSeconds.set(values.outboxOldestAgeSeconds);
      metrics.reviewQueueSize.set(values.reviewQueueSize);
      metrics.reviewQueueOldestAgeSeconds.set(values.reviewQueueOldestAgeSeconds);
    },
    options,
  );
  metrics.scrapeReads.redis = redisRead;
  metrics.scrapeReads.postgres = postgresRead;
  return {
    stop() {
      if (metrics.scrapeReads.redis === redisRead) metrics.scrapeReads.redis = null;
      if (metrics.scrapeReads.postgres === postgresRead) metrics.scrapeReads.postgres = null;
    },
  };
}
