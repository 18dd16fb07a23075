import type { DocumentType, OcrResult, Reason } from '../machines/document.events.ts';
import type { DocumentStatus } from '../machines/document.machine.ts';

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
  storageKey: string;
  mime: string;
  correlationId: string;
};

export type EffectKind = 'enqueue_ocr';
export type Effect = { kind: EffectKind; payload: Record<string, unknown> };
export type OutboxEntry = Effect & { id: string; documentId: string };

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
  claimDue(limit: number, claimMs: number): Promise<(OutboxEntry & { attempts: number })[]>;
  markDelivered(ids: string[]): Promise<void>;
  markFailed(id: string, error: string, retryInMs: number): Promise<void>;
};

export type OcrQueue = {
  enqueue(documentId: string, reason: string): Promise<void>;
};

export type { OcrResult } from '../machines/document.events.ts';

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

export type Evaluation = {
  score: number;
  reasons: Reason[];
  fields: Record<string, string | null>;
  policyVersion: string;
};

/** Field extraction, checks and policy. Pure code behind an interface so the runtime can be tested alone. */
export type Evaluator = {
  evaluate(input: { documentId: string; type: DocumentType; ownerId: string; ocr: OcrResult }): Promise<Evaluation>;
};

/** What the runtime reports to the metrics adapter (adapters/metrics). */
export type RuntimeMetrics = {
  ocrRun(device: 'cuda' | 'cpu', ms: number): void;
  activeJobs(count: number): void;
  decided(status: DocumentStatus): void;
};

export type Logger = {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
};
