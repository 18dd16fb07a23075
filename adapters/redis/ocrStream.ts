import type { Redis } from 'ioredis';
import { createGroupCommit } from '../../runtime/groupCommit.ts';
import type { OcrJobQueue, QueuedJob } from '../../runtime/ports.ts';

/**
 * The OCR job queue: one Redis Stream read through one consumer group. A message only says which
 * document to look at; what to do is decided from the document's state in Postgres, so duplicate,
 * stale or lost messages are harmless (lost ones are re-sent by the sweeper).
 */

export type OcrStream = OcrJobQueue & {
  readonly key: string;
  readonly group: string;
  length(): Promise<number>;
};

// A backstop against unbounded growth if every worker is down for long; normal operation deletes
// messages as they are handled. `~` lets Redis trim in whole macro-nodes, which is cheap.
const MAX_STREAM_LENGTH = 1_000_000;

const ENQUEUE_BATCH_MAX = 500;

const isMissingGroup = (error: unknown) => error instanceof Error && error.message.startsWith('NOGROUP');

function toMessages(entries: unknown): QueuedJob[] {
  const messages: QueuedJob[] = [];
  for (const entry of (entries ?? []) as [string, string[] | null][]) {
    const [id, fields] = entry;
    // XAUTOCLAIM reports entries deleted from the stream with null fields.
    if (!fields) continue;
    const index = fields.indexOf('documentId');
    const documentId = index >= 0 ? fields[index + 1] : undefined;
    if (documentId) messages.push({ id, documentId });
  }
  return messages;
}

/**
 * `redis` carries the short commands; `blocking`, when given, is a connection of the stream's own
 * for XREADGROUP BLOCK, which holds it for the wait. Without it the stream can enqueue, and
 * `read` fails.
 */
export function createOcrStream(redis: Redis, prefix: string, blocking?: Redis): OcrStream {
  const key = `${prefix}ocr:jobs`;
  const group = 'ocr-workers';

  const ensureGroup = async () => {
    try {
      // From "0": after Redis lost its data the stream is new, and every entry in it is unread.
      await redis.xgroup('CREATE', key, group, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    }
  };

  // Jobs enqueued together (a batch of uploads committed at once) go out as one pipeline: one write
  // and one read on the socket instead of one of each per job.
  const enqueueGrouped = createGroupCommit<{ documentId: string; reason: string }, void>(
    async (jobs) => {
      const pipeline = redis.pipeline();
      for (const { documentId, reason } of jobs)
        pipeline.xadd(key, 'MAXLEN', '~', MAX_STREAM_LENGTH, '*', 'documentId', documentId, 'reason', reason);
      const replies = (await pipeline.exec()) ?? [];
      return jobs.map((_job, index) => {
        const error = replies[index]?.[0] ?? (replies[index] ? null : new Error('Redis sent no reply for an XADD'));
        return error ? { status: 'rejected', reason: error } : { status: 'fulfilled', value: undefined };
      });
    },
    { maxBatch: ENQUEUE_BATCH_MAX, maxInFlight: 2 },
  );

  return {
    key,
    group,
    prepare: ensureGroup,
    enqueue: (documentId, reason) => enqueueGrouped({ documentId, reason }),
    async read(consumer, count, blockMs) {
      if (!blocking) throw new Error('This OCR stream was built without a blocking connection; it cannot read');
      try {
        const reply = (await blocking.xreadgroup(
          'GROUP',
          group,
          consumer,
          'COUNT',
          count,
          'BLOCK',
          blockMs,
          'STREAMS',
          key,
          '>',
        )) as [string, unknown][] | null;
        return toMessages(reply?.[0]?.[1]);
      } catch (error) {
        if (!isMissingGroup(error)) throw error;
        await ensureGroup();
        return [];
      }
    },
    async readOwnPending(consumer, count) {
      try {
        // From id 0 instead of '>': the consumer's pending entries list, not new messages.
        const reply = (await redis.xreadgroup('GROUP', group, consumer, 'COUNT', count, 'STREAMS', key, '0')) as
          | [string, unknown][]
          | null;
        return toMessages(reply?.[0]?.[1]);
      } catch (error) {
        if (!isMissingGroup(error)) throw error;
        await ensureGroup();
        return [];
      }
    },
    async claimStale(consumer, minIdleMs, count) {
      try {
        const reply = (await redis.xautoclaim(key, group, consumer, minIdleMs, '0-0', 'COUNT', count)) as [
          string,
          unknown,
        ];
        return toMessages(reply[1]);
      } catch (error) {
        if (!isMissingGroup(error)) throw error;
        await ensureGroup();
        return [];
      }
    },
    // Acknowledged and deleted: a handled message has no further use, and the stream stays small.
    async ack(messageId) {
      await redis.multi().xack(key, group, messageId).xdel(key, messageId).exec();
    },
    interruptReads() {
      blocking?.disconnect();
    },
    async length() {
      return redis.xlen(key);
    },
  };
}
