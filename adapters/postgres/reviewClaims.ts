import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import type { ReviewClaim, ReviewClaims } from '../../server/ports.ts';

/**
 * Reviewers' claims on documents in review (db/migrations/000005_review_claims.sql): a soft lock
 * with an expiry, one row per document at most, on the database's clock. A row past `expires_at`
 * is a lapsed claim and counts as none; the next claim overwrites it, and a decision deletes it.
 */

const ISO_UTC = sql.fragment`'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

const claimRow = z.object({ reviewerId: z.string(), expiresAt: z.string() }) satisfies z.ZodType<ReviewClaim>;

const claimColumns = sql.fragment`
  reviewer_id AS "reviewerId", to_char(expires_at AT TIME ZONE 'UTC', ${ISO_UTC}) AS "expiresAt"`;

export function createReviewClaims(pool: DatabasePool): ReviewClaims {
  /** The live claim on a document in needs_review. */
  const current = (documentId: string) =>
    pool.maybeOne(sql.type(claimRow)`
      SELECT ${claimColumns} FROM review_claims
      WHERE document_id = ${documentId} AND expires_at > now()
        AND EXISTS (SELECT 1 FROM documents WHERE id = ${documentId} AND status = 'needs_review')`);

  return {
    async claim(documentId, reviewerId, durationMs) {
      // One statement: the row is inserted, or the existing one taken over only when it is the
      // reviewer's own or has lapsed; a concurrent claimer waits on the row lock and then finds it live.
      const taken = await pool.maybeOne(sql.type(claimRow)`
        INSERT INTO review_claims AS claim (document_id, reviewer_id, claimed_at, expires_at)
        SELECT id, ${reviewerId}, now(), now() + ${durationMs} * interval '1 millisecond'
        FROM documents WHERE id = ${documentId} AND status = 'needs_review'
        ON CONFLICT (document_id) DO UPDATE
          SET reviewer_id = excluded.reviewer_id,
              claimed_at = CASE WHEN claim.reviewer_id = excluded.reviewer_id AND claim.expires_at > now()
                                THEN claim.claimed_at ELSE excluded.claimed_at END,
              expires_at = excluded.expires_at
          WHERE claim.reviewer_id = excluded.reviewer_id OR claim.expires_at <= now()
        RETURNING ${claimColumns}`);
      if (taken) return { taken: true, claim: taken };
      return { taken: false, claim: await current(documentId) };
    },

    async release(documentId, reviewerId) {
      const released = await pool.maybeOneFirst(sql.type(z.object({ live: z.boolean() }))`
        DELETE FROM review_claims
        WHERE document_id = ${documentId}
          ${reviewerId === null ? sql.fragment`` : sql.fragment`AND (reviewer_id = ${reviewerId} OR expires_at <= now())`}
        RETURNING expires_at > now() AS live`);
      if (released !== null) return { outcome: released ? 'released' : 'none' };
      const holder = await current(documentId);
      return holder ? { outcome: 'held', claim: holder } : { outcome: 'none' };
    },

    current,

    async clear(documentId) {
      await pool.query(sql.unsafe`DELETE FROM review_claims WHERE document_id = ${documentId}`);
    },
  };
}
