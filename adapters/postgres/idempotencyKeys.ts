import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import type { IdempotencyKeys, IdempotencyOutcome } from '../../server/ports.ts';

/** The API's idempotency keys (server/ports.ts) in Postgres, each kept for 24 h. */

const TTL = sql.fragment`interval '24 hours'`;
// Built once: zod compiles a parser per schema object on first use.
const claimedRow = z.object({ claimed: z.boolean() });
const existingRow = z.object({ sha: z.instanceof(Buffer), status: z.number().nullable(), body: z.unknown() });

export function createIdempotencyKeys(pool: DatabasePool): IdempotencyKeys {
  return {
    async begin(ownerId: string, key: string, requestSha256: Buffer): Promise<IdempotencyOutcome> {
      // An expired key is as good as none: clear it first, then claim.
      await pool.query(sql.unsafe`
        DELETE FROM idempotency_keys WHERE owner_id = ${ownerId} AND key = ${key} AND expires_at <= now()`);
      const claimed = await pool.maybeOne(sql.type(claimedRow)`
        INSERT INTO idempotency_keys (owner_id, key, request_sha256, expires_at)
        VALUES (${ownerId}, ${key}, ${sql.binary(requestSha256)}, now() + ${TTL})
        ON CONFLICT (owner_id, key) DO NOTHING
        RETURNING true AS claimed`);
      if (claimed) return { state: 'new' };
      const existing = await pool.maybeOne(sql.type(existingRow)`
        SELECT request_sha256 AS sha, response_status AS status, response_body AS body
        FROM idempotency_keys WHERE owner_id = ${ownerId} AND key = ${key}`);
      if (!existing) return { state: 'in_progress' };
      if (!existing.sha.equals(requestSha256)) return { state: 'mismatch' };
      if (existing.status === null) return { state: 'in_progress' };
      return { state: 'replay', status: existing.status, body: existing.body };
    },
    async complete(ownerId: string, key: string, documentId: string | null, status: number, body: unknown) {
      await pool.query(sql.unsafe`
        UPDATE idempotency_keys
        SET document_id = ${documentId}, response_status = ${status}, response_body = ${sql.jsonb(body as never)}
        WHERE owner_id = ${ownerId} AND key = ${key}`);
    },
    async abandon(ownerId: string, key: string) {
      await pool.query(sql.unsafe`
        DELETE FROM idempotency_keys WHERE owner_id = ${ownerId} AND key = ${key} AND response_status IS NULL`);
    },
  };
}
