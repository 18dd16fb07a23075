import type { ReviewCallback } from '../../adapters/buli2/contract.ts';
import { signBuli2Body } from '../../server/http/buli2Signature.ts';

/**
 * The decision callbacks BULI2 sends FiLot, including the broken ones a test asks for: a callback
 * sent twice, a tampered body, an old timestamp, no signature, or two contradicting decisions that
 * arrive in the wrong order.
 */

export type Decision = ReviewCallback['decision'];

export type DecideOptions = {
  /** Default 'approve'. */
  decision?: Decision;
  /** Default 'buli2-reviewer-1'. */
  reviewer?: string;
  notes?: string;
  /** Send the same signed callback (same bytes, same header) twice. */
  duplicate?: boolean;
  /** Sign the callback, then send it with its decision turned around: the signature no longer matches. */
  badSignature?: boolean;
  /** Sign with a timestamp 10 minutes old, past FiLot's tolerance. */
  staleTimestamp?: boolean;
  /** Send no X-Buli2-Signature header. */
  unsigned?: boolean;
  /** Which of the webhook secrets signs (default 0, the first): for secret-rotation tests. */
  secretIndex?: number;
  /** Out of order: after the first callback, a second with (by default) the other decision, decided a minute EARLIER. */
  followedBy?: { decision?: Decision; reviewer?: string };
};

/** One callback as sent: the exact bytes and the header, so a duplicate repeats them exactly. */
export type PreparedCallback = { callback: ReviewCallback; rawBody: string; signature: string | undefined };

export const SIGNATURE_HEADER_NAME = 'X-Buli2-Signature';
export const DEFAULT_REVIEWER = 'buli2-reviewer-1';
export const SECOND_REVIEWER = 'buli2-reviewer-2';
const STALE_BY_S = 600;
/** How much earlier the out-of-order second decision says it was made. */
const OUT_OF_ORDER_BY_MS = 60_000;

export const otherDecision = (decision: Decision): Decision => (decision === 'approve' ? 'reject' : 'approve');

/** The callbacks one decide sends, in order, not yet signed. */
export function plannedCallbacks(
  review: { reviewId: string; documentId: string },
  options: DecideOptions,
  nowMs: number,
): ReviewCallback[] {
  const decision = options.decision ?? 'approve';
  const first: ReviewCallback = {
    review_id: review.reviewId,
    document_id: review.documentId,
    decision,
    reviewer: options.reviewer ?? DEFAULT_REVIEWER,
    ...(options.notes === undefined ? {} : { notes: options.notes }),
    decided_at: new Date(nowMs).toISOString(),
  };
  const planned = [first];
  if (options.duplicate) planned.push(first);
  if (options.followedBy)
    planned.push({
      review_id: review.reviewId,
      document_id: review.documentId,
      decision: options.followedBy.decision ?? otherDecision(decision),
      reviewer: options.followedBy.reviewer ?? SECOND_REVIEWER,
      decided_at: new Date(nowMs - OUT_OF_ORDER_BY_MS).toISOString(),
    });
  return planned;
}

/** Serialises and signs a callback as `options` asks, the honest way unless told otherwise. */
export function prepareCallback(
  callback: ReviewCallback,
  secret: string,
  options: DecideOptions,
  nowMs: number,
): PreparedCallback {
  const rawBody = JSON.stringify(callback);
  if (options.unsigned) return { callback, rawBody, signature: undefined };
  const nowSeconds = Math.floor(nowMs / 1000) - (options.staleTimestamp ? STALE_BY_S : 0);
  const signature = signBuli2Body(secret, rawBody, nowSeconds);
  if (!options.badSignature) return { callback, rawBody, signature };
  // An attacker's edit after signing: the body still parses, and says the opposite.
  const tampered = { ...callback, decision: otherDecision(callback.decision) };
  return { callback: tampered, rawBody: JSON.stringify(tampered), signature };
}

/** POSTs one callback; the HTTP status FiLot answered, or null when there was no answer (refused, timed out). */
export async function sendCallback(
  url: string,
  prepared: PreparedCallback,
  signal: AbortSignal,
): Promise<number | null> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (prepared.signature !== undefined) headers[SIGNATURE_HEADER_NAME] = prepared.signature;
  try {
    const response = await fetch(url, { method: 'POST', headers, body: prepared.rawBody, signal, redirect: 'manual' });
    // Only the status matters; the body is dropped so the connection can be reused.
    await response.body?.cancel().catch(() => {});
    return response.status;
  } catch {
    return null;
  }
}
