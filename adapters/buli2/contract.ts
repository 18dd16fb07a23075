/**
 * The contract between FiLot and BULI2, the external review system (docs/buli2.md). The JSON
 * schemas in docs/buli2/ are the written form; the simulator validates every request against them,
 * so the engine and the document cannot drift apart.
 *
 * Outbound, FiLot → BULI2 (`Authorization: Bearer <BULI2_API_KEY>`):
 * - `POST {BULI2_URL}/reviews` with a `ReviewForward`, header `Idempotency-Key: <review_id>`:
 *   201 when created, 200 when that review id is already there (a retried forward), 4xx for a
 *   request BULI2 will never take (400 malformed, 401/403 key refused, 409 the review id belongs
 *   to another document), 408/429/5xx to try again (429 with `Retry-After`).
 * - `DELETE {BULI2_URL}/reviews/{review_id}` withdraws it: 204, or 404 when BULI2 has no such
 *   review (never forwarded, or already withdrawn), or 409 when it was decided there already: all
 *   three mean it is not open there.
 *
 * Inbound, BULI2 → FiLot: `POST /internal/buli2/callback` with a `ReviewCallback`, signed with
 * `X-Buli2-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>`
 * (server/http/buli2Signature.ts signs and checks it).
 */

export type ReviewForward = {
  review_id: string;
  document_id: string;
  document_type: 'KTP' | 'NPWP';
  /** The reason codes that sent the document to review (domain/reasons.ts). */
  reason_codes: string[];
  /** The fields as read, unmasked: BULI2's reviewers compare them with the image. */
  fields: Record<string, string | null>;
  /** A link to the image on FiLot's API, signed with HMAC and expiring; never a public URL. */
  image: { url: string; expires_at: string };
};

export type ReviewCallback = {
  review_id: string;
  document_id: string;
  decision: 'approve' | 'reject';
  /** BULI2's id of the reviewer who decided. */
  reviewer: string;
  notes?: string;
  /** ISO 8601. */
  decided_at: string;
};
