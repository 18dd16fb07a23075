import type { DocumentType } from '../domain/documentType.ts';
import type { OcrResult } from '../domain/ocrResult.ts';
import type { Evaluation } from '../domain/policy.ts';
import type { Reason } from '../domain/reasons.ts';
import type { DocumentStatus } from '../machines/document.machine.ts';
import type { EffectKind, LogEvent } from '../names/index.ts';

/** The interfaces the runtime needs from the outside world; adapters/ implements them. */

export type Actor = { type: 'user' | 'reviewer' | 'system' | 'buli2'; id: string };

export type StoredDocument = {
  id: string;
  ownerId: string;
  type: DocumentType;
  status: DocumentStatus;
  machineVersion: number;
  snapshot: unknown;
  version: number;
  attempts: number;
  leaseToken: string | null;
  /** The worker the lease was given to (PROCESSING_STARTED's workerId); null with no lease. */
  leaseOwner: string | null;
  storageKey: string;
  mime: string;
  correlationId: string;
  /** When it was uploaded (epoch ms): the start of its verification latency. */
  createdAtMs: number;
};

/**
 * One committed step of a document's machine, as observers see it after the commit: the upload
 * (`event.type` DOCUMENT_UPLOADED, `fromStatus` null) or a transition. No PII: the snapshot is the
 * persisted one (fields and OCR text never enter it) and the event is redacted as the event log has
 * it. Observers (metrics, the transition log line, the Stately inspector) must be quick and must not
 * throw; a failing one is caught and ignored, since the transition has committed.
 */
export type CommittedTransition = {
  documentId: string;
  documentType: DocumentType;
  event: { type: string } & Record<string, unknown>;
  fromStatus: DocumentStatus | null;
  toStatus: DocumentStatus;
  actor: Actor;
  correlationId: string;
  /** The machine's persisted snapshot after the step. */
  snapshot: unknown;
  version: number;
  /** When the document was uploaded (epoch ms). */
  createdAtMs: number;
};

export type TransitionObserver = (transition: CommittedTransition) => void;

/**
 * The review workflows (workflows/review, on Temporal): starts the one that owns a document in
 * `needs_review`. Idempotent: a document whose review was started already starts nothing.
 */
export type ReviewWorkflows = { start(documentId: string): Promise<void> };

/** The outside effects a transition can ask for, each delivered by its entry in runtime/effects/registry.ts. */
export type Effect = { kind: EffectKind; payload: Record<string, unknown> };
/**
 * An effect as the outbox holds it. Its kind is a string: a row may have been written by another
 * build (a newer one, during a rolling deploy), and delivery refuses a kind this build does not know
 * instead of the claim failing for every row it took.
 */
export type OutboxEntry = { id: string; documentId: string; kind: string; payload: Record<string, unknown> };

/** The columns a transition writes besides status and snapshot; PII arrives in plain text and is encrypted by the store. */
export type TransitionProjection = {
  attempts: number;
  lease: { action: 'set'; token: string; owner: string } | { action: 'clear' } | { action: 'keep' };
  gpuProcessed?: boolean;
  evaluation?: { score: number; reasons: Reason[]; policyVersion: string };
  pii?: { ocrResult?: string; fields?: string; nik?: string | null };
};

export type EventRecord = {
  type: string;
  fromStatus: DocumentStatus | null;
  toStatus: DocumentStatus;
  actor: Actor;
  correlationId: string;
  machineVersion: number;
  payload: Record<string, unknown>;
};

export type TransitionWrite = {
  documentId: string;
  expectedVersion: number;
  status: DocumentStatus;
  machineVersion: number;
  snapshot: unknown;
  projection: TransitionProjection;
  event: EventRecord;
  effects: Effect[];
};

export type NewDocument = {
  id: string;
  ownerId: string;
  type: DocumentType;
  storageKey: string;
  sha256: Buffer;
  mime: 'image/jpeg' | 'image/png' | 'application/pdf';
  sizeBytes: number;
  correlationId: string;
  /** The client's applicant, own id for the person, and metadata (server/routes/client/clientReferences.ts). */
  applicantId?: string;
  externalRef?: string;
  metadata?: Record<string, string>;
};

export type HistoryEntry = {
  seq: number;
  eventType: string;
  fromStatus: DocumentStatus | null;
  toStatus: DocumentStatus;
  actorType: Actor['type'];
  actorId: string;
  correlationId: string;
  machineVersion: number;
  payload: Record<string, unknown>;
  at: Date;
};

export type DocumentStore = {
  /** Resolves when the database answers; the OCR workers probe it before pulling again after a failure. */
  ping(): Promise<void>;
  load(documentId: string): Promise<StoredDocument | null>;
  insert(
    document: NewDocument,
    initial: {
      status: DocumentStatus;
      machineVersion: number;
      snapshot: unknown;
      event: EventRecord;
      effects: Effect[];
    },
  ): Promise<OutboxEntry[]>;
  /** Applies the write if the document is still at `expectedVersion`; null means someone else moved it first. */
  applyTransition(write: TransitionWrite, leaseMs: number): Promise<{ version: number; effects: OutboxEntry[] } | null>;
  /** Extends a processing lease while its token is still current; false means the lease is lost. */
  extendLease(documentId: string, leaseToken: string, leaseMs: number): Promise<boolean>;
  expiredLeases(limit: number): Promise<{ id: string; leaseToken: string }[]>;
  dueWork(staleMs: number, limit: number): Promise<{ id: string; status: DocumentStatus }[]>;
  /**
   * Documents in `needs_review` for at least `staleMs` whose review workflow is not known to exist
   * and whose start is not waiting in the outbox: the sweeper starts theirs.
   */
  dueReviewStarts(staleMs: number, limit: number): Promise<string[]>;
  history(documentId: string): Promise<HistoryEntry[]>;
  readOcrResult(documentId: string): Promise<OcrResult | null>;
  /** Whether a document of another owner with this NIK was approved (automatically or by a reviewer). */
  nikVerifiedForOtherOwner(nik: string, ownerId: string): Promise<boolean>;
};

export type Outbox = {
  /**
   * Claims up to `limit` due entries by pushing their `available_at` `claimMs` ahead, so two relays
   * never take the same entry and a relay that dies mid-delivery hands it back when the claim runs out.
   */
  /** Only entries of `kinds`: those this process can deliver; the others wait for a process that can. */
  claimDue(
    limit: number,
    claimMs: number,
    kinds: readonly EffectKind[],
  ): Promise<(OutboxEntry & { attempts: number })[]>;
  markDelivered(ids: string[]): Promise<void>;
  markFailed(id: string, error: string, retryInMs: number): Promise<void>;
  /** Gives up on an entry after its last attempt: the relay leaves it until `redeliverDead` puts it back. */
  markDead(id: string, error: string): Promise<void>;
  /** Entries given up on, oldest first. */
  listDead(limit: number): Promise<DeadOutboxEntry[]>;
  /** Puts dead entries (the given ones, or all) back in line with a fresh count of attempts; returns how many. */
  redeliverDead(ids?: readonly string[]): Promise<number>;
  /** Deletes up to `limit` entries delivered more than `olderThanMs` ago; returns how many. */
  pruneDelivered(olderThanMs: number, limit: number): Promise<number>;
};

export type DeadOutboxEntry = OutboxEntry & { attempts: number; lastError: string | null; deadAt: Date };

export type OcrQueue = {
  enqueue(documentId: string, reason: string): Promise<void>;
};

/** One job on the OCR queue. It only names a document; what to do is read from the document's stored status. */
export type QueuedJob = { id: string; documentId: string };

/**
 * The OCR queue as the workers use it (adapters/redis/ocrStream.ts: a stream read through one
 * consumer group). A job read and not acknowledged stays pending under its consumer until it is
 * acknowledged or claimed.
 */
export type OcrJobQueue = OcrQueue & {
  /** Makes the queue readable (the consumer group): at first start, and after the broker lost its data. */
  prepare(): Promise<void>;
  /** New jobs for `consumer`, waiting up to `blockMs` for one on a connection that the wait holds. */
  read(consumer: string, count: number, blockMs: number): Promise<QueuedJob[]>;
  /** Jobs this consumer read and did not acknowledge (its failed ones), oldest first. */
  readOwnPending(consumer: string, count: number): Promise<QueuedJob[]>;
  /** Jobs another consumer left pending for `minIdleMs`, now this consumer's. */
  claimStale(consumer: string, minIdleMs: number, count: number): Promise<QueuedJob[]>;
  /** A handled job is gone for good. */
  ack(jobId: string): Promise<void>;
  /** Ends a read that is waiting (at shutdown); the queue reads nothing more afterwards. */
  interruptReads(): void;
};

/**
 * Exclusive ownership of one document while a worker processes it (adapters/redis/documentLocks.ts).
 * The lock is advisory: what keeps a worker that lost it from writing is the lease token checked by
 * the machine (fencing). The lock keeps two live workers from doing the same OCR twice.
 */
export type DocumentLocks = {
  /**
   * Runs `task` while holding the document's lock, extending it automatically; the signal aborts
   * when an extension fails. Returns `{ acquired: false }` at once when another worker holds it.
   */
  withLock<T>(
    documentId: string,
    ttlMs: number,
    task: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ acquired: true; value: T } | { acquired: false }>;
};

/**
 * Short-lived keys shared by every process of a deployment (adapters/redis/coordination.ts): markers
 * and interval locks. They live in the broker, so they vanish when it loses its data; the sweeper
 * reads that as "the queue may have lost jobs too".
 */
export type Coordination = {
  /** Sets `name` unless it is set, and says whether this call set it. Without `ttlMs` it stays until the broker loses it. */
  claim(name: string, ttlMs?: number): Promise<boolean>;
  isSet(name: string): Promise<boolean>;
  release(name: string): Promise<void>;
};

export type { OcrResult } from '../domain/ocrResult.ts';

/** Where uploaded files live; adapters/storage implements it. */
export type DocumentStorage = {
  put(key: string, body: Buffer): Promise<void>;
  get(key: string): Promise<Buffer>;
  delete(key: string): Promise<void>;
};

export type OcrInput = { documentId: string; type: DocumentType; storageKey: string; mime: string };

/** The OCR model behind the runtime. The onnxruntime engine lives in adapters/ocr. */
export type OcrEngine = {
  readonly device: 'cuda' | 'cpu';
  /**
   * Reads one document. An engine that queues work calls `onStarted` once, when it starts on this
   * input (at once when it has no queue): the attempt's timeout counts from there, so waiting behind
   * other documents never uses up this one's time. It rejects with an `OcrFailure` when it can.
   */
  recognize(
    input: OcrInput,
    signal: AbortSignal,
    onStarted?: () => void,
  ): Promise<{ result: OcrResult; gpuProcessed: boolean }>;
};

/**
 * What an engine's error may say about itself: a stable lower_snake `code` for OCR_FAILED, and
 * `permanent: true` when reading the same bytes again would fail the same way (the document then goes
 * to review without using its remaining attempts).
 */
export type OcrFailure = Error & { code?: string; permanent?: boolean };

/** The policy's conclusion (domain/policy.ts): what an Evaluator returns. */
export type { Evaluation };

/** Field extraction, checks and policy. Pure code behind an interface so the runtime can be tested alone. */
export type Evaluator = {
  evaluate(input: { documentId: string; type: DocumentType; ownerId: string; ocr: OcrResult }): Promise<Evaluation>;
};

/** What the runtime reports to the metrics adapter (adapters/metrics). */
export type RuntimeMetrics = {
  ocrRun(device: 'cuda' | 'cpu', ms: number): void;
  activeJobs(count: number): void;
  decided(status: DocumentStatus): void;
  outboxDeadLettered(kind: EffectKind): void;
};

/** Writes one of the catalogued log events (names/logEvents.ts) with its fields. */
export type Logger = {
  error(event: LogEvent, fields?: Record<string, unknown>): void;
  warn(event: LogEvent, fields?: Record<string, unknown>): void;
  info(event: LogEvent, fields?: Record<string, unknown>): void;
  debug(event: LogEvent, fields?: Record<string, unknown>): void;
};
