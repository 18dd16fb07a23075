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
  /** The applicant the upload named; null when it named none. */
  applicantId: string | null;
  /** The client's own id for the person, as uploaded. */
  externalRef: string | null;
  /** The client's small metadata object, as uploaded ({} when none). */
  metadata: Record<string, string>;
  /** What a reviewer wrote for the applicant with their decision; null when no human wrote one. */
  clientMessage: string | null;
  createdAt: string;
  updatedAt: string;
};

/**
 * Which of a caller's documents a list shows: by status, type, client reference, applicant, and a
 * creation-time range (from inclusive, to exclusive; ISO 8601).
 */
export type DocumentListFilter = {
  status?: DocumentStatus[];
  type?: DocumentType;
  externalRef?: string;
  applicantId?: string;
  createdFrom?: string;
  createdTo?: string;
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
  /** The owner's documents, newest first, fields decrypted (the routes mask them), filtered. */
  listByOwner(ownerId: string, page: PageRequest, filter?: DocumentListFilter): Promise<Page<DocumentView>>;
};

/** An applicant: one person's documents grouped by the client that created it. */
export type Applicant = {
  id: string;
  ownerId: string;
  externalRef: string | null;
  metadata: Record<string, string>;
  createdAt: string;
};

export type Applicants = {
  create(applicant: Omit<Applicant, 'createdAt'>): Promise<Applicant>;
  get(id: string): Promise<Applicant | null>;
  /** The owner's applicants, newest first, by client reference when one is given. */
  listByOwner(ownerId: string, page: PageRequest, filter?: { externalRef?: string }): Promise<Page<Applicant>>;
  /** Its documents, oldest first, fields decrypted; at most `limit`. */
  documents(applicantId: string, limit: number): Promise<DocumentView[]>;
};

/**
 * Changes of documents, pushed once they commit (adapters/postgres/documentChanges.ts): the event
 * streams wait on these instead of polling. Delivery stops while the listener's connection is away
 * and resumes when it is back; a change made meanwhile is not told, so a subscriber re-reads on
 * every signal and polls while `live` is false.
 */
export type DocumentChanges = {
  /** Whether changes are being delivered now. */
  readonly live: boolean;
  /**
   * Calls `onSignal` after each committed change of the document, and each time delivery stops or
   * resumes, until the returned function is called. Never throws.
   */
  subscribe(documentId: string, onSignal: () => void): () => void;
};

/** Where a document's review workflow stands, as Postgres keeps it (workflows/review). */
export type ReviewRecord = {
  workflowId: string;
  /** How far its SLA timers have run. */
  phase: 'waiting' | 'reminded' | 'escalated';
  /** Why the external review ended without a decision; null while it has not. */
  externalFailure: string | null;
  /** The review's id, as BULI2 knows it; null until it was forwarded there. */
  reviewId: string | null;
  /**
   * Where the review stands in BULI2: forwarded, retrying (BULI2 is failing; the forward is tried
   * again), failed (BULI2 refused it), withdrawn, decided; null: not forwarded (yet, or at all).
   */
  buli2: 'forwarded' | 'retrying' | 'failed' | 'withdrawn' | 'decided' | null;
};

/**
 * A document waiting for review, with its review workflow (null until that is started) and the live
 * claim on it (null when none, or the last one lapsed).
 */
export type ReviewSummary = DocumentSummary & { review: ReviewRecord | null; claim: ReviewClaim | null };

/** Which queued documents a reviewer asks for: those with a reason code, of a document type, or both. */
export type ReviewQueueFilter = { reason?: string; type?: DocumentType };

/**
 * Documents waiting for a human, filtered: those whose external review failed first, then the
 * longest-waiting.
 */
export type ReviewQueue = (page: PageRequest, filter?: ReviewQueueFilter) => Promise<Page<ReviewSummary>>;

/**
 * How many queued documents each filter value would show, over the whole queue (faceted): `total`
 * under both filters; `reasons` under the type filter alone (its `total` is what "any reason" shows),
 * `types` under the reason filter alone.
 */
export type ReviewQueueCounts = (filter: ReviewQueueFilter) => Promise<{
  total: number;
  reasons: { total: number; items: { code: string; count: number }[] };
  types: { total: number; items: { type: DocumentType; count: number }[] };
}>;

/** The review workflow record of one document, or null when it has none. */
export type ReviewRecordOf = (documentId: string) => Promise<ReviewRecord | null>;

/** Where a review decision was made: FiLot's own reviewers, or BULI2's (its signed callback). */
export type DecisionSource = 'internal' | 'buli2';

/**
 * Reviewers' decisions, applied by each document's review workflow (workflows/review). `decide`
 * waits, bounded, until the decision is applied, and rejects when the review service cannot be
 * reached or answer in time.
 */
export type ReviewDecisions = {
  decide(
    documentId: string,
    decision: {
      decision: 'approve' | 'reject';
      reason: string;
      reviewerId: string;
      source: DecisionSource;
      clientMessage?: string;
    },
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

/** The decision a document's review recorded (the machine's `review` context). */
export type RecordedDecision = { decision: 'approve' | 'reject'; reviewerId: string; source: DecisionSource };

/**
 * What the API needs to serve BULI2, the external review system (routes/buli2Routes.ts): its
 * signed callbacks and the signed links to a document's image it is given with each review. The
 * decisions themselves go through `ReviewDecisions`, as the internal ones do.
 */
export type Buli2Callbacks = {
  /** The secrets a callback's signature may be made with: more than one while BULI2 rotates them. */
  webhookSecrets: () => readonly string[];
  /** The review a callback names, by the id the review workflow sent with the forward; null when unknown. */
  findReview(reviewId: string): Promise<{ documentId: string } | null>;
  /** The decision the document's review recorded; null while it has none. */
  decisionOf(documentId: string): Promise<RecordedDecision | null>;
  /** The key the image links are signed with (http/imageLinks.ts). */
  imageLinkSecret: string;
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
  /** `documentId`: the document the request created; null for a request that creates none (an applicant). */
  complete(ownerId: string, key: string, documentId: string | null, status: number, body: unknown): Promise<void>;
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

/** How many documents took one transition: from `from` (null: the upload) on `event` to `to`. */
export type TransitionCount = { from: string | null; event: string; to: string; count: number };

/** A document in a status, as the machine map lists it: no PII, no owner. Times are ISO 8601 in UTC. */
export type DocumentInStatus = {
  id: string;
  type: DocumentType;
  /** When it entered its status: its last transition. */
  since: string;
  createdAt: string;
};

/** One step of a document's path: an entry of its event log without actor, correlation id or payload. */
export type PathStep = { seq: number; event: string; from: string | null; to: string; at: string };

export type DocumentPath = {
  id: string;
  type: DocumentType;
  status: DocumentStatus;
  createdAt: string;
  /** Oldest first. */
  steps: PathStep[];
  /** More steps exist than were read (the read is bounded). */
  truncated: boolean;
};

/**
 * The live machine map (routes/inspectorRoutes.ts): where documents are now and how they moved,
 * from the documents and their event log. Ids, statuses, event and document types and times only:
 * never fields, payloads, owners or actors. Every read is bounded.
 */
export type MachineMapQueries = {
  /** Documents per status now; a status that holds none may be absent. */
  countsByStatus(): Promise<Partial<Record<DocumentStatus, number>>>;
  /**
   * The transitions taken in the last `windowSeconds`, per origin, event and target. Reads only the
   * latest events up to a bound: `complete` is false when the window held more than that.
   */
  recentTransitions(windowSeconds: number): Promise<{ transitions: TransitionCount[]; complete: boolean }>;
  /** The documents in `status`, the longest there first. */
  inStatus(status: DocumentStatus, page: PageRequest): Promise<Page<DocumentInStatus>>;
  /** A document's path through the machine; null when there is no such document. */
  pathOf(documentId: string): Promise<DocumentPath | null>;
};

/** A reviewer's live claim on a document in review: who holds it, and until when (ISO 8601, UTC). */
export type ReviewClaim = { reviewerId: string; expiresAt: string };

/**
 * Reviewers' claims on documents in review (the reviewer console; adapters/postgres/reviewClaims.ts):
 * a soft lock with an expiry, at most one per document. A claim past its expiry is the same as none.
 */
export type ReviewClaims = {
  /**
   * Takes the claim for `durationMs` from now, or renews it, when it is free, lapsed or already the
   * reviewer's, in one statement: of two reviewers claiming at once, exactly one gets it. `taken`
   * false: another reviewer holds it (`claim` is theirs), or the document is not in `needs_review`
   * (`claim` null).
   */
  claim(
    documentId: string,
    reviewerId: string,
    durationMs: number,
  ): Promise<{ taken: true; claim: ReviewClaim } | { taken: false; claim: ReviewClaim | null }>;
  /**
   * Gives the claim up: by its holder, or by anyone when `reviewerId` is null (an admin). `held`:
   * another reviewer holds a live claim, and nothing changed.
   */
  release(
    documentId: string,
    reviewerId: string | null,
  ): Promise<{ outcome: 'released' | 'none' } | { outcome: 'held'; claim: ReviewClaim }>;
  /** The live claim on a document in review, or null. */
  current(documentId: string): Promise<ReviewClaim | null>;
  /** Deletes whatever claim the document has, live or not: its decision was taken. */
  clear(documentId: string): Promise<void>;
};

/** Another document with the same NIK, as the console lists it: no fields; the routes mask the owner. */
export type SameNikDocument = {
  id: string;
  ownerId: string;
  type: DocumentType;
  status: DocumentStatus;
  createdAt: string;
};

/**
 * The other documents whose keyed NIK hash equals this document's, newest first, at most `limit`;
 * empty when the document has no NIK hash (or does not exist). Found by the hash, never a NIK.
 */
export type SameNikDocuments = (documentId: string, limit: number) => Promise<readonly SameNikDocument[]>;
