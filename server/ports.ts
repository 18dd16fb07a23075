import type { DocumentType } from '../domain/documentType.ts';
import type { Reason } from '../domain/reasons.ts';
import type { DocumentStatus } from '../machines/document.machine.ts';

/**
 * What the HTTP API needs from the outside world besides the runtime: the read models, idempotency
 * keys, a PDF check and a store for rate-limit counters. adapters/ implements them (importing these
 * types), main.ts hands them in; nothing in server/ names an adapter or a driver.
 */

/** A document as a list shows it: no PII. Timestamps are ISO 8601 in UTC with microseconds. */
export type DocumentSummary = {
  id: string;
  ownerId: string;
  type: DocumentType;
  status: DocumentStatus;
  evaluation: { score: number; reasons: Reason[]; policyVersion: string } | null;
  gpuProcessed: boolean | null;
  createdAt: string;
  updatedAt: string;
};

/** One document in full, its fields decrypted; the routes decide what of it a caller sees. */
export type DocumentView = DocumentSummary & {
  fields: Record<string, string | null> | null;
  storageKey: string;
  mime: string;
};

/**
 * A place in a list, just after the last row of the previous page: the row's sort timestamp (ISO,
 * microseconds) and id. The API hands it to clients as an opaque cursor (routes/paging.ts).
 */
export type PagePosition = { at: string; id: string };

export type PageRequest = { limit: number; after?: PagePosition };

/** `next` is where the following page starts, or null on the last page. */
export type Page<Item> = { items: Item[]; next: PagePosition | null };

export type DocumentQueries = {
  view(documentId: string): Promise<DocumentView | null>;
  /** The owner's documents, newest first. */
  listByOwner(ownerId: string, page: PageRequest): Promise<Page<DocumentSummary>>;
};

/** Where a document's review workflow stands, as Postgres keeps it (workflows/review). */
export type ReviewRecord = {
  workflowId: string;
  /** How far its SLA timers have run. */
  phase: 'waiting' | 'reminded' | 'escalated';
  /** Why the external review ended without a decision; null while it has not. */
  externalFailure: string | null;
};

/** A document waiting for review, with its review workflow (null until that is started). */
export type ReviewSummary = DocumentSummary & { review: ReviewRecord | null };

/** Documents waiting for a human: those whose external review failed first, then the longest-waiting. */
export type ReviewQueue = (page: PageRequest) => Promise<Page<ReviewSummary>>;

/** The review workflow record of one document, or null when it has none. */
export type ReviewRecordOf = (documentId: string) => Promise<ReviewRecord | null>;

/**
 * Reviewers' decisions, applied by each document's review workflow (workflows/review). `decide`
 * waits, bounded, until the decision is applied, and rejects when the review service cannot be
 * reached or answer in time.
 */
export type ReviewDecisions = {
  decide(
    documentId: string,
    decision: { decision: 'approve' | 'reject'; reason: string; reviewerId: string; source: 'internal' },
    requestId: string,
  ): Promise<
    | { outcome: 'applied'; status: 'approved' | 'rejected' }
    /** Taken by the review, durably, and applied as soon as the database answers. */
    | { outcome: 'accepted' }
    /** Already decided, or the document was decided otherwise. */
    | { outcome: 'refused'; reason: string }
    /** The document has no review workflow (yet). */
    | { outcome: 'no_review' }
  >;
};

export type IdempotencyOutcome =
  | { state: 'new' }
  | { state: 'replay'; status: number; body: unknown }
  | { state: 'mismatch' }
  | { state: 'in_progress' };

/**
 * Idempotency keys for uploads, per owner: the same key with the same request gives the stored
 * response again; the same key with another request is refused; a key whose first request is still
 * running is reported as such. A request that fails before its response is stored gives its key back.
 */
export type IdempotencyKeys = {
  begin(ownerId: string, key: string, requestSha256: Buffer): Promise<IdempotencyOutcome>;
  complete(ownerId: string, key: string, documentId: string, status: number, body: unknown): Promise<void>;
  abandon(ownerId: string, key: string): Promise<void>;
};

/**
 * Whether a PDF can be drawn at a bounded cost, from its structure (adapters/ocr/input/pdfStructure.ts).
 * `code` is stable; `detail` is written for the client and names limits, never content.
 */
export type PdfInspection = (file: Uint8Array) => Promise<{ ok: true } | { ok: false; code: string; detail: string }>;

/**
 * Where the rate limits keep their counters: an ioredis connection, which rate-limiter-flexible
 * talks to directly and whose `status` tells whether it is ready.
 */
export type RateLimitStore = { readonly status: string };
