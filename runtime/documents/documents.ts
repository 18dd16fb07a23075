import { initialTransition } from 'xstate';
import { type DocumentEvent, documentEventSchema } from '../../machines/document.events.ts';
import {
  type DocumentContext,
  type DocumentMachine,
  type DocumentStatus,
  MACHINE_VERSION,
} from '../../machines/document.machine.ts';
import { migrateSnapshot } from '../../machines/document.migrations.ts';
import { DOCUMENT_UPLOADED } from '../../names/index.ts';
import type { EffectDispatcher } from '../effects/dispatcher.ts';
import { effectsFromActions } from '../effects/registry.ts';
import {
  ContentionError,
  DocumentNotFoundError,
  IllegalTransitionError,
  InvalidEventError,
  SnapshotMigrationError,
} from '../errors.ts';
import type {
  Actor,
  CommittedTransition,
  DocumentStore,
  NewDocument,
  StoredDocument,
  TransitionObserver,
  TransitionProjection,
  TransitionWrite,
} from '../ports.ts';
import { maskDigitRuns, redactForLog } from './eventLog.ts';
import { createKeyedSerializer } from './keyedSerializer.ts';
import { createMachineTransition } from './machineTransition.ts';

/**
 * `create()` and `send()`: the only two ways a document's state changes.
 *
 * send() loads the document (or takes it from a small cache), computes the transition with xstate's
 * pure `transition()`, and writes snapshot, status, event row and outbox rows in one statement that
 * only succeeds if nobody else moved the document since it was read (optimistic concurrency on
 * `version`). When it loses that race it reloads and decides again: an event that is still legal is
 * applied on top of the winner's, one that no longer is gets IllegalTransitionError. Effects run
 * after the commit.
 */

type MachineSnapshot = ReturnType<DocumentMachine['resolveState']>;
type CacheEntry = { document: StoredDocument; snapshot: MachineSnapshot };

export type SendResult = { documentId: string; fromStatus: DocumentStatus; status: DocumentStatus; version: number };

export type DocumentsDeps = {
  store: DocumentStore;
  machine: DocumentMachine;
  effects: EffectDispatcher;
  /** How long a PROCESSING_STARTED lease lasts before the reaper may expire it. */
  leaseMs: number;
  /** Documents whose last known snapshot is kept in memory; each entry is a few hundred bytes. */
  cacheSize?: number;
  /** Told of every committed step, after the commit (metrics, the transition log, the inspector). */
  observers?: readonly TransitionObserver[];
};

// Losing the version check this many times in a row means pathological contention, not bad luck.
const MAX_CONFLICT_RETRIES = 64;

export function createDocuments(deps: DocumentsDeps) {
  const { store, machine } = deps;
  const cacheSize = deps.cacheSize ?? 10_000;
  const cache = new Map<string, CacheEntry>();
  const serialize = createKeyedSerializer();
  const transition = createMachineTransition(machine);
  const observers = deps.observers ?? [];
  // With no observer (the usual test set-up, or every option off) the hot path builds nothing.
  const observe = (build: () => CommittedTransition) => {
    if (observers.length === 0) return;
    const committed = build();
    for (const observer of observers) {
      try {
        observer(committed);
      } catch {
        // The step has committed; an observer's failure must not turn it into an error.
      }
    }
  };

  const remember = (entry: CacheEntry) => {
    cache.delete(entry.document.id);
    cache.set(entry.document.id, entry);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
  };

  const rehydrate = (document: StoredDocument): MachineSnapshot => {
    try {
      const migrated = migrateSnapshot(document.snapshot as Record<string, unknown>, document.machineVersion);
      return machine.resolveState(migrated as Parameters<DocumentMachine['resolveState']>[0]);
    } catch (error) {
      throw new SnapshotMigrationError(
        `Document ${document.id} has a snapshot (machine version ${document.machineVersion}) this build cannot restore`,
        { cause: error },
      );
    }
  };

  async function create(document: NewDocument, actor: Actor) {
    const [snapshot, actions] = initialTransition(machine, { documentType: document.type });
    const status = snapshot.value as DocumentStatus;
    const persisted = machine.getPersistedSnapshot(snapshot);
    // Close enough to the row's created_at (set by the same statement) for a latency in milliseconds.
    const createdAtMs = Date.now();
    const entries = await store.insert(document, {
      status,
      machineVersion: MACHINE_VERSION,
      snapshot: persisted,
      event: {
        type: DOCUMENT_UPLOADED,
        fromStatus: null,
        toStatus: status,
        actor,
        correlationId: document.correlationId,
        machineVersion: MACHINE_VERSION,
        payload: { type: document.type, mime: document.mime, sizeBytes: document.sizeBytes },
      },
      effects: effectsFromActions(actions),
    });
    // The worker that picks the job up in this process starts from here instead of reloading.
    remember({
      document: {
        id: document.id,
        ownerId: document.ownerId,
        type: document.type,
        status,
        machineVersion: MACHINE_VERSION,
        snapshot: persisted,
        version: 1,
        attempts: 0,
        leaseToken: null,
        leaseOwner: null,
        storageKey: document.storageKey,
        mime: document.mime,
        correlationId: document.correlationId,
        createdAtMs,
      },
      snapshot,
    });
    observe(() => ({
      documentId: document.id,
      documentType: document.type,
      event: { type: DOCUMENT_UPLOADED, documentType: document.type, mime: document.mime },
      fromStatus: null,
      toStatus: status,
      actor,
      correlationId: document.correlationId,
      snapshot: persisted,
      version: 1,
      createdAtMs,
    }));
    await deps.effects.deliverAndMark(entries);
    return { documentId: document.id, status, version: 1 };
  }

  async function send(
    documentId: string,
    rawEvent: DocumentEvent,
    actor: Actor,
    options: { correlationId?: string } = {},
  ): Promise<SendResult> {
    const parsed = documentEventSchema.safeParse(rawEvent);
    if (!parsed.success) throw new InvalidEventError(parsed.error.issues);
    const event = withMaskedReasons(parsed.data);

    return serialize(documentId, async () => {
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        const cached = cache.get(documentId);
        const entry = cached ?? (await loadEntry(documentId));
        const decision = decide(entry, event, actor, options.correlationId);
        if (!decision) {
          // The cache may be behind another process; only the database's current state may refuse.
          if (cached) {
            cache.delete(documentId);
            continue;
          }
          throw new IllegalTransitionError(documentId, entry.document.status, event.type);
        }
        const result = await commit(entry, decision);
        if (!result) {
          cache.delete(documentId);
          continue;
        }
        observe(() => ({
          documentId,
          documentType: entry.document.type,
          event: { type: event.type, ...decision.write.event.payload },
          fromStatus: entry.document.status,
          toStatus: decision.write.status,
          actor,
          correlationId: decision.write.event.correlationId,
          snapshot: decision.write.snapshot,
          version: result.version,
          createdAtMs: entry.document.createdAtMs,
        }));
        await deps.effects.deliverAndMark(result.effects);
        return {
          documentId,
          fromStatus: entry.document.status,
          status: decision.write.status,
          version: result.version,
        };
      }
      throw new ContentionError(documentId, MAX_CONFLICT_RETRIES);
    });
  }

  async function loadEntry(documentId: string): Promise<CacheEntry> {
    const document = await store.load(documentId);
    if (!document) throw new DocumentNotFoundError(documentId);
    return { document, snapshot: rehydrate(document) };
  }

  /** What the event does to the document as `entry` has it: the write to make, or null when the machine refuses it. */
  function decide(
    entry: CacheEntry,
    event: DocumentEvent,
    actor: Actor,
    correlationId: string | undefined,
  ): { write: TransitionWrite; next: MachineSnapshot } | null {
    const { document, snapshot } = entry;
    const [next, actions] = transition(snapshot, event);
    if (next === snapshot) return null;
    const status = next.value as DocumentStatus;
    return {
      next,
      write: {
        documentId: document.id,
        expectedVersion: document.version,
        status,
        machineVersion: MACHINE_VERSION,
        snapshot: machine.getPersistedSnapshot(next),
        projection: project(event, next.context),
        event: {
          type: event.type,
          fromStatus: document.status,
          toStatus: status,
          actor,
          correlationId: correlationId ?? document.correlationId,
          machineVersion: MACHINE_VERSION,
          payload: redactForLog(event),
        },
        effects: effectsFromActions(actions),
      },
    };
  }

  /** Writes a decision if the document is still at the version it was decided on, and remembers the result. */
  async function commit(entry: CacheEntry, { write, next }: { write: TransitionWrite; next: MachineSnapshot }) {
    const result = await store.applyTransition(write, deps.leaseMs);
    if (!result) return null;
    remember({
      document: {
        ...entry.document,
        status: write.status,
        snapshot: write.snapshot,
        machineVersion: MACHINE_VERSION,
        version: result.version,
        attempts: next.context.attempts,
        leaseToken: next.context.leaseToken,
        leaseOwner: leaseOwnerAfter(write, entry.document.leaseOwner),
      },
      snapshot: next,
    });
    return result;
  }

  return {
    create,
    send,
    /**
     * The document as this process last wrote or read it, or as stored when it has no copy. It may be
     * behind another process: send() checks the version and reloads, so acting on it is safe, but a
     * caller that decides to do nothing should confirm with the store (see ocrWorker.ts).
     */
    async current(documentId: string): Promise<StoredDocument | null> {
      const cached = cache.get(documentId);
      if (cached) return cached.document;
      const document = await store.load(documentId);
      if (document) remember({ document, snapshot: rehydrate(document) });
      return document;
    },
    /** Drops cached snapshots, e.g. in tests that change rows behind the runtime's back. */
    forget(documentId?: string) {
      if (documentId) cache.delete(documentId);
      else cache.clear();
    },
  };
}

export type Documents = ReturnType<typeof createDocuments>;

/**
 * Reason messages are written for reviewers and should never quote an identifier; masking digit
 * runs before the machine sees them keeps a policy bug from putting one into the snapshot, the
 * evaluation column or the event log.
 */
function withMaskedReasons(event: DocumentEvent): DocumentEvent {
  if (event.type !== 'AI_EVALUATED') return event;
  return { ...event, reasons: event.reasons.map((reason) => ({ ...reason, message: maskDigitRuns(reason.message) })) };
}

/** Who holds the lease once `write` is applied, as the store's lease columns will say. */
function leaseOwnerAfter(write: TransitionWrite, before: string | null): string | null {
  const { lease } = write.projection;
  return lease.action === 'set' ? lease.owner : lease.action === 'clear' ? null : before;
}

/** The columns besides status and snapshot that a transition writes. */
function project(event: DocumentEvent, context: DocumentContext): TransitionProjection {
  const lease: TransitionProjection['lease'] =
    event.type === 'PROCESSING_STARTED'
      ? { action: 'set', token: event.leaseToken, owner: event.workerId }
      : context.leaseToken === null
        ? { action: 'clear' }
        : { action: 'keep' };
  switch (event.type) {
    case 'OCR_COMPLETED':
      return {
        attempts: context.attempts,
        lease,
        gpuProcessed: event.gpuProcessed,
        pii: { ocrResult: JSON.stringify(event.result) },
      };
    case 'AI_EVALUATED':
      return {
        attempts: context.attempts,
        lease,
        evaluation: { score: event.score, reasons: event.reasons, policyVersion: event.policyVersion },
        pii: { fields: JSON.stringify(event.fields), nik: event.fields.nik ?? null },
      };
    default:
      return { attempts: context.attempts, lease };
  }
}
