import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { DOCUMENT_TYPES } from '../../domain/documentType.ts';
import { DOCUMENT_STATUSES } from '../../machines/document.machine.ts';
import { EFFECT_KINDS } from '../../names/index.ts';
import { createGroupCommit } from '../../runtime/groupCommit.ts';
import type { DocumentStore, NewDocument, OcrResult, OutboxEntry, TransitionWrite } from '../../runtime/ports.ts';
import type { PiiCipher } from './piiCipher.ts';

/**
 * The documents table and its companions (event log, outbox), in SQL. Every write that moves a
 * document is one statement: the optimistic update, the event row and the outbox rows commit
 * together, in one round trip, or not at all.
 */

const status = z.enum(DOCUMENT_STATUSES);

const storedDocumentRow = z.object({
  id: z.string(),
  ownerId: z.string(),
  type: z.enum(DOCUMENT_TYPES),
  status,
  machineVersion: z.number().int(),
  snapshot: z.unknown(),
  version: z.number().int(),
  attempts: z.number().int(),
  leaseToken: z.string().nullable(),
  leaseOwner: z.string().nullable(),
  storageKey: z.string(),
  mime: z.string(),
  correlationId: z.string(),
  createdAtMs: z.number(),
});

const outboxEntry = z.object({
  id: z.coerce.string(),
  kind: z.enum(EFFECT_KINDS),
  payload: z.record(z.string(), z.unknown()),
});
const outboxEntries = z.array(outboxEntry);

const transitionResult = z.object({ version: z.number().int(), effects: outboxEntries });

// Row schemas are built once, here: zod compiles a parser for each schema object the first time it
// is used, so a schema written inline in a query would be compiled again on every call.
const insertedEffectRow = outboxEntry.extend({ documentId: z.string() });
const documentIdRow = z.object({ id: z.string() });
const leaseRow = z.object({ id: z.string(), leaseToken: z.string() });
const dueRow = z.object({ id: z.string(), status });
const idRow = z.object({ id: z.string() });
const encryptedOcrRow = z.object({ ocr: z.instanceof(Buffer).nullable() });

const historyRow = z.object({
  seq: z.number().int(),
  eventType: z.string(),
  fromStatus: status.nullable(),
  toStatus: status,
  actorType: z.enum(['user', 'reviewer', 'system', 'buli2']),
  actorId: z.string(),
  correlationId: z.string(),
  machineVersion: z.number().int(),
  payload: z.record(z.string(), z.unknown()),
  at: z.number().transform((ms) => new Date(ms)),
});

/** The associated data that ties a PII ciphertext to its row and column (see piiCipher.ts). */
export const piiContext = (documentId: string, column: 'ocr_result' | 'fields') => `documents/${documentId}/${column}`;

// A prepared statement's text must not change between calls, so absent values are bound as NULL
// parameters of the same shape rather than left out.
const nullableBinary = (value: Buffer | null) => (value ? sql.binary(value) : null);

export type DocumentStoreOptions = {
  /**
   * How long a new outbox row waits before the relay may deliver it. The process that wrote it
   * delivers it at once after commit; the relay is the fallback for a crash in between, so it should
   * not race the fast path.
   */
  outboxGraceMs: number;
};

type NewDocumentWrite = { document: NewDocument; initial: Parameters<DocumentStore['insert']>[1] };

/** Rows per insert statement: big enough to absorb bursts, small enough to keep one statement short. */
const INSERT_BATCH_MAX = 100;
/** Insert statements that may run at once, each on its own pooled connection: one commits while the next fills. */
const INSERTS_IN_FLIGHT = 2;

export function createDocumentStore(
  pool: DatabasePool,
  cipher: PiiCipher,
  options: DocumentStoreOptions,
): DocumentStore {
  /**
   * New documents, each with its first event and outbox rows, in one statement for a whole batch:
   * uploads that arrive while one insert is running share the next one (runtime/groupCommit.ts), so
   * under load a commit and a round trip serve many uploads. Every caller still returns only after
   * its own row has committed. When a batch fails (one bad row fails the statement), each of its
   * documents is tried again alone, so only the bad one's caller sees the error.
   */
  const insertBatch = async (batch: readonly NewDocumentWrite[]): Promise<OutboxEntry[][]> => {
    const rows = batch.map(({ document, initial }) => ({
      id: document.id,
      owner_id: document.ownerId,
      type: document.type,
      status: initial.status,
      machine_version: initial.machineVersion,
      snapshot: initial.snapshot,
      storage_key: document.storageKey,
      sha256: document.sha256.toString('hex'),
      mime: document.mime,
      size_bytes: document.sizeBytes,
      correlation_id: document.correlationId,
      applicant_id: document.applicantId ?? null,
      external_ref: document.externalRef ?? null,
      metadata: document.metadata ?? {},
      event_type: initial.event.type,
      to_status: initial.event.toStatus,
      actor_type: initial.event.actor.type,
      actor_id: initial.event.actor.id,
      event_correlation_id: initial.event.correlationId,
      event_machine_version: initial.event.machineVersion,
      payload: initial.event.payload,
      effects: initial.effects,
    }));
    const inserted = await pool.any(sql.prepared('filot_insert_documents', insertedEffectRow)`
      WITH input AS (
        SELECT * FROM jsonb_to_recordset(${sql.jsonb(rows as never)}) AS input(
          id uuid, owner_id text, type text, status text, machine_version integer, snapshot jsonb,
          storage_key text, sha256 text, mime text, size_bytes integer, correlation_id text,
          applicant_id uuid, external_ref text, metadata jsonb, event_type text, to_status text, actor_type text, actor_id text, event_correlation_id text,
          event_machine_version integer, payload jsonb, effects jsonb)
      ), inserted AS (
        INSERT INTO documents (id, owner_id, type, status, machine_version, snapshot, version, storage_key,
                               sha256, mime, size_bytes, correlation_id, applicant_id, external_ref, metadata)
        SELECT id, owner_id, type, status, machine_version, snapshot, 1, storage_key, decode(sha256, 'hex'),
               mime, size_bytes, correlation_id, applicant_id, external_ref, metadata
        FROM input
        RETURNING id
      ), event AS (
        INSERT INTO document_events (document_id, seq, event_type, from_status, to_status, actor_type, actor_id,
                                     correlation_id, machine_version, payload)
        SELECT id, 1, event_type, NULL, to_status, actor_type, actor_id, event_correlation_id,
               event_machine_version, payload
        FROM inserted JOIN input USING (id)
      ), effects AS (
        INSERT INTO outbox (document_id, kind, payload, available_at)
        SELECT id, effect.kind, effect.payload, now() + ${options.outboxGraceMs}::int * interval '1 millisecond'
        FROM inserted JOIN input USING (id), jsonb_to_recordset(input.effects) AS effect(kind text, payload jsonb)
        RETURNING id, document_id, kind, payload
      )
      SELECT id::text, document_id::text AS "documentId", kind, payload FROM effects`);
    const byDocument = new Map<string, OutboxEntry[]>(batch.map(({ document }) => [document.id, []]));
    for (const entry of inserted) byDocument.get(entry.documentId)?.push(entry);
    return batch.map(({ document }) => byDocument.get(document.id) as OutboxEntry[]);
  };
  const insertGrouped = createGroupCommit<NewDocumentWrite, OutboxEntry[]>(
    async (batch) => {
      const eachAlone = () =>
        Promise.allSettled(batch.map((write) => insertBatch([write]).then(([entries]) => entries ?? [])));
      if (batch.length === 1) return eachAlone();
      try {
        return (await insertBatch(batch)).map((value) => ({ status: 'fulfilled', value }));
      } catch {
        return eachAlone();
      }
    },
    { maxBatch: INSERT_BATCH_MAX, maxInFlight: INSERTS_IN_FLIGHT },
  );

  const encrypt = (documentId: string, column: 'ocr_result' | 'fields', plaintext: string | undefined) =>
    plaintext === undefined ? null : cipher.encrypt(plaintext, piiContext(documentId, column));

  return {
    async load(documentId) {
      return pool.maybeOne(sql.prepared('filot_load_document', storedDocumentRow)`
        SELECT id, owner_id AS "ownerId", type, status, machine_version AS "machineVersion", snapshot, version,
               attempts, lease_token AS "leaseToken", lease_owner AS "leaseOwner", storage_key AS "storageKey", mime,
               correlation_id AS "correlationId", (extract(epoch FROM created_at) * 1000)::float8 AS "createdAtMs"
        FROM documents WHERE id = ${documentId}`);
    },

    insert: (document, initial) => insertGrouped({ document, initial }),

    async applyTransition(write: TransitionWrite, leaseMs: number) {
      const { projection, event } = write;
      const lease = projection.lease;
      const pii = projection.pii;
      const ocrEnc = encrypt(write.documentId, 'ocr_result', pii?.ocrResult);
      const fieldsEnc = encrypt(write.documentId, 'fields', pii?.fields);
      const nikHash = pii?.nik ? cipher.hashNik(pii.nik) : null;
      // Most transitions carry no effect; they use a statement without the outbox part, which saves
      // Postgres a CTE per transition on the hot path. Each variant is its own prepared statement.
      const head = sql.fragment`
        WITH updated AS (
          UPDATE documents SET
            status = ${write.status},
            snapshot = ${sql.jsonb(write.snapshot as never)},
            machine_version = ${write.machineVersion},
            version = version + 1,
            attempts = ${projection.attempts},
            lease_token = CASE ${lease.action}::text WHEN 'set' THEN ${lease.action === 'set' ? lease.token : null}::uuid
                               WHEN 'clear' THEN NULL ELSE lease_token END,
            lease_owner = CASE ${lease.action}::text WHEN 'set' THEN ${lease.action === 'set' ? lease.owner : null}::text
                               WHEN 'clear' THEN NULL ELSE lease_owner END,
            lease_expires_at = CASE ${lease.action}::text
                                 WHEN 'set' THEN now() + ${leaseMs}::int * interval '1 millisecond'
                                 WHEN 'clear' THEN NULL ELSE lease_expires_at END,
            gpu_processed = coalesce(${projection.gpuProcessed ?? null}::boolean, gpu_processed),
            evaluation = coalesce(nullif(${sql.jsonb(projection.evaluation ?? null)}, 'null'::jsonb), evaluation),
            pii_key_id = CASE WHEN ${ocrEnc !== null || fieldsEnc !== null}::boolean
                              THEN ${cipher.activeKeyId}::text ELSE pii_key_id END,
            ocr_result_enc = coalesce(${nullableBinary(ocrEnc)}::bytea, ocr_result_enc),
            fields_enc = coalesce(${nullableBinary(fieldsEnc)}::bytea, fields_enc),
            nik_hash = coalesce(${nullableBinary(nikHash)}::bytea, nik_hash),
            updated_at = now()
          WHERE id = ${write.documentId} AND version = ${write.expectedVersion}
          RETURNING id, version
        ), event AS (
          INSERT INTO document_events (document_id, seq, event_type, from_status, to_status, actor_type, actor_id,
                                       correlation_id, machine_version, payload)
          SELECT id, version, ${event.type}, ${event.fromStatus}, ${event.toStatus}, ${event.actor.type},
                 ${event.actor.id}, ${event.correlationId}, ${event.machineVersion}, ${sql.jsonb(event.payload as never)}
          FROM updated
        )`;
      const row = await pool.maybeOne(
        write.effects.length === 0
          ? sql.prepared('filot_apply_transition', transitionResult)`${head}
              SELECT version, '[]'::jsonb AS effects FROM updated`
          : sql.prepared('filot_apply_transition_with_effects', transitionResult)`${head}, effects AS (
              INSERT INTO outbox (document_id, kind, payload, available_at)
              SELECT updated.id, effect.kind, effect.payload,
                     now() + ${options.outboxGraceMs}::int * interval '1 millisecond'
              FROM updated, jsonb_to_recordset(${sql.jsonb(write.effects as never)}) AS effect(kind text, payload jsonb)
              RETURNING id, kind, payload
            )
            SELECT version,
                   coalesce((SELECT jsonb_agg(jsonb_build_object('id', id::text, 'kind', kind, 'payload', payload))
                             FROM effects), '[]'::jsonb) AS effects
            FROM updated`,
      );
      if (!row) return null;
      return {
        version: row.version,
        effects: row.effects.map((effect): OutboxEntry => ({ ...effect, documentId: write.documentId })),
      };
    },

    async ping() {
      await pool.query(sql.unsafe`SELECT 1`);
    },

    async extendLease(documentId, leaseToken, leaseMs) {
      const result = await pool.query(sql.prepared('filot_extend_lease', documentIdRow)`
        UPDATE documents SET lease_expires_at = now() + ${leaseMs}::int * interval '1 millisecond'
        WHERE id = ${documentId} AND status = 'processing' AND lease_token = ${leaseToken}
        RETURNING id`);
      return result.rowCount === 1;
    },

    async expiredLeases(limit) {
      const rows = await pool.any(sql.type(leaseRow)`
        SELECT id, lease_token AS "leaseToken" FROM documents
        WHERE status = 'processing' AND lease_expires_at < now()
        ORDER BY lease_expires_at LIMIT ${limit}`);
      return [...rows];
    },

    async dueWork(staleMs, limit) {
      const rows = await pool.any(sql.type(dueRow)`
        SELECT id, status FROM documents
        WHERE status IN ('uploaded', 'ocr_completed', 'ai_evaluated')
          AND updated_at <= now() - ${staleMs}::int * interval '1 millisecond'
        ORDER BY updated_at LIMIT ${limit}`);
      return [...rows];
    },

    async dueReviewStarts(staleMs, limit) {
      const rows = await pool.any(sql.type(idRow)`
        SELECT d.id FROM documents d
        WHERE d.status = 'needs_review'
          AND d.updated_at <= now() - ${staleMs}::int * interval '1 millisecond'
          AND NOT EXISTS (SELECT 1 FROM review_workflows r WHERE r.document_id = d.id)
          AND NOT EXISTS (
            SELECT 1 FROM outbox o
            WHERE o.document_id = d.id AND o.kind = 'start_review' AND o.delivered_at IS NULL AND o.dead_at IS NULL)
        ORDER BY d.updated_at LIMIT ${limit}`);
      return rows.map((row) => row.id);
    },

    async history(documentId) {
      const rows = await pool.any(sql.type(historyRow)`
        SELECT seq, event_type AS "eventType", from_status AS "fromStatus", to_status AS "toStatus",
               actor_type AS "actorType", actor_id AS "actorId", correlation_id AS "correlationId",
               machine_version AS "machineVersion", payload, at
        FROM document_events WHERE document_id = ${documentId} ORDER BY seq`);
      return [...rows];
    },

    async nikVerifiedForOtherOwner(nik, ownerId) {
      return pool.exists(sql.unsafe`
        SELECT 1 FROM documents
        WHERE nik_hash = ${sql.binary(cipher.hashNik(nik))} AND owner_id <> ${ownerId}
          AND status IN ('auto_approve', 'approved')`);
    },

    async readOcrResult(documentId): Promise<OcrResult | null> {
      const row = await pool.maybeOne(sql.type(encryptedOcrRow)`
        SELECT ocr_result_enc AS ocr FROM documents WHERE id = ${documentId}`);
      if (!row?.ocr) return null;
      return JSON.parse(cipher.decrypt(row.ocr, piiContext(documentId, 'ocr_result'))) as OcrResult;
    },
  };
}
