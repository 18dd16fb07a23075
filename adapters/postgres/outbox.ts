import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import type { Outbox } from '../../runtime/ports.ts';

const claimedRow = z.object({
  id: z.coerce.string(),
  documentId: z.string(),
  kind: z.string(),
  payload: z.record(z.string(), z.unknown()),
  attempts: z.number().int(),
});

// slonik reads timestamptz as epoch milliseconds.
const deadRow = claimedRow.extend({ lastError: z.string().nullable(), deadAt: z.coerce.date() });

const count = z.object({ count: z.number().int() });

const noRows = z.object({});

export function createOutbox(pool: DatabasePool): Outbox {
  return {
    async claimDue(limit, claimMs, kinds) {
      // Claiming moves available_at instead of holding a transaction open during delivery: no row
      // lock is held across network I/O, and a relay that dies simply lets its claim run out.
      const rows = await pool.any(sql.type(claimedRow)`
        UPDATE outbox SET available_at = now() + ${claimMs}::int * interval '1 millisecond', attempts = attempts + 1
        WHERE id IN (
          SELECT id FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL AND available_at <= now()
            AND kind = ANY(${sql.array([...kinds], 'text')})
          ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING id, document_id AS "documentId", kind, payload, attempts`);
      return [...rows];
    },
    async markDelivered(ids) {
      if (ids.length === 0) return;
      await pool.query(sql.prepared('filot_mark_delivered', noRows)`
        UPDATE outbox SET delivered_at = now(), last_error = NULL
        WHERE id = ANY(${sql.array(ids, 'int8')}) AND delivered_at IS NULL`);
    },
    async markFailed(id, error, retryInMs) {
      await pool.query(sql.unsafe`
        UPDATE outbox SET available_at = now() + ${retryInMs}::int * interval '1 millisecond',
                          last_error = ${error.slice(0, 500)}
        WHERE id = ${id} AND delivered_at IS NULL`);
    },
    async markDead(id, error) {
      await pool.query(sql.unsafe`
        UPDATE outbox SET dead_at = now(), last_error = ${error.slice(0, 500)}
        WHERE id = ${id} AND delivered_at IS NULL`);
    },
    async listDead(limit) {
      const rows = await pool.any(sql.type(deadRow)`
        SELECT id, document_id AS "documentId", kind, payload, attempts, last_error AS "lastError", dead_at AS "deadAt"
        FROM outbox WHERE dead_at IS NOT NULL ORDER BY id LIMIT ${limit}`);
      return [...rows];
    },
    async redeliverDead(ids) {
      const chosen = ids === undefined ? sql.fragment`TRUE` : sql.fragment`id = ANY(${sql.array(ids, 'int8')})`;
      return pool.oneFirst(sql.type(count)`
        WITH revived AS (
          UPDATE outbox SET dead_at = NULL, attempts = 0, available_at = now()
          WHERE dead_at IS NOT NULL AND ${chosen}
          RETURNING 1)
        SELECT count(*)::int AS count FROM revived`);
    },
    async pruneDelivered(olderThanMs, limit) {
      return pool.oneFirst(sql.type(count)`
        WITH pruned AS (
          DELETE FROM outbox WHERE id IN (
            SELECT id FROM outbox
            WHERE delivered_at < now() - ${olderThanMs}::bigint * interval '1 millisecond'
            ORDER BY delivered_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
          RETURNING 1)
        SELECT count(*)::int AS count FROM pruned`);
    },
  };
}
