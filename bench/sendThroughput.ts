import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { initialTransition, transition } from 'xstate';
import { createPiiCipher, type PiiCipher } from '../adapters/postgres/piiCipher.ts';
import { createDatabasePool } from '../adapters/postgres/pool.ts';
import { createRedis } from '../adapters/redis/client.ts';
import { composeRuntime } from '../composition/runtime.ts';
import type { DocumentEvent } from '../machines/document.events.ts';
import { createDocumentMachine, DEFAULT_MACHINE_SETTINGS, MACHINE_VERSION } from '../machines/document.machine.ts';
import type { Documents } from '../runtime/documents/documents.ts';
import { redactForLog } from '../runtime/documents/eventLog.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { newDocument, testConfig } from '../test/support/harness.ts';
import { deleteKeys, uniquePrefix } from '../test/support/redis.ts';
import { CLEAN_EVALUATION, SYNTHETIC_OCR } from '../test/support/scriptedEngine.ts';
import {
  BENCH_ACTOR,
  benchDatabases,
  benchLogger,
  forEachConcurrent,
  PRODUCTION_INTERVALS,
  percentile,
  phase,
  runInterleaved,
  type WindowResult,
  type Workload,
} from './support.ts';

/**
 * send() throughput against its physical floor, in one process, on one database, one pool size.
 *
 * send() (the figure): `lanes` lanes; each drives its own documents, one at a time, along the path a
 * successful upload takes through the OCR worker: PROCESSING_STARTED → OCR_COMPLETED (OCR text
 * encrypted) → AI_EVALUATED (fields encrypted, NIK hashed, evaluation stored) → DECIDE
 * (auto_approve): four persisted transitions per document, each one statement (optimistic update +
 * event row + outbox CTE). The first send to a document finds it in the runtime's snapshot cache only
 * if create() put it there, as for a freshly uploaded document in the same process. Documents are
 * created with documents.create() between the timed slices (not timed).
 *
 * Retry loop (extra figure): PROCESSING_STARTED → OCR_FAILED back to `uploaded`, whose `requestOcr`
 * effect adds an outbox row, an XADD to Redis and the outbox "delivered" update to every second
 * transition. OCR_MAX_ATTEMPTS is 20 so a document loops 19 times before its lane moves on.
 *
 * Floor: the same lanes and pool size, with `pg`'s Pool directly (no slonik, xstate or zod): one
 * autocommit `UPDATE documents SET status, snapshot, version, updated_at WHERE id=$1 AND version=$2`
 * per transition, as a named (prepared) statement, writing real persisted snapshots. It writes a
 * part of what send() writes, so send's ratio to it includes Postgres work that no runtime could avoid.
 *
 * Same-writes floor: what send() writes on the same path, by one hand-written statement per
 * transition through `pg` (no machine, runtime, slonik or zod): the optimistic update with its
 * version check and every column the store's transition statement sets (lease, evaluation,
 * ciphertexts, NIK hash), and the event-log row in a data-modifying CTE, with the same values
 * computed once beforehand. This path writes no outbox row (only entering `uploaded` has an
 * effect), so neither does the floor. Documents come from documents.create(), as for send().
 *
 * The four run in alternating slices (send, floor, same writes, retry, send, …) so that background
 * load drifts hit them alike. The runtime is created without OCR workers and never started: no relay, reaper or
 * sweeper runs, and nothing consumes the OCR stream.
 */

export type SendThroughputOptions = {
  lanes: number;
  poolSize: number;
  warmupMs: number;
  sliceMs: number;
  rounds: number;
};

export type Figures = WindowResult & { p50Ms: number; p99Ms: number };

export type SendThroughputFigures = {
  lanes: number;
  poolSize: number;
  send: Figures;
  retryLoop: Figures;
  floor: Figures;
  sameWrites: Figures;
  /** Floor rate over send's: send's cost per transition in raw updates. */
  ratio: number;
  /** Same-writes rate over send's: send's cost per transition over the cost of its own writes. */
  ratioVsSameWrites: number;
};

const MAX_ATTEMPTS = 20;
const SETTLE_MS = 200;

export async function sendThroughput(options: SendThroughputOptions): Promise<SendThroughputFigures> {
  const { lanes, poolSize } = options;
  const database = await createTestDatabase();
  benchDatabases.add(database.name);
  const prefix = uniquePrefix();
  const config = testConfig(database, prefix, {
    ...PRODUCTION_INTERVALS,
    DATABASE_POOL_SIZE: String(poolSize),
    OCR_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  });
  const pool = await createDatabasePool({ databaseUrl: database.url, poolSize, applicationName: 'filot-bench' });
  const redis = createRedis(config.redisUrl, { name: 'filot-bench', onError: () => {} });
  const runtime = composeRuntime({ config, connections: { pool, redis }, logger: benchLogger });
  const raw = new pg.Pool({ connectionString: database.url, max: poolSize, application_name: 'filot-bench-floor' });

  try {
    const { documents } = runtime;
    // Each lane keeps a queue of fresh documents; `prepare` tops the queues up between slices.
    const topUp = async (queues: string[][], perLane: number) => {
      const missing = queues.flatMap((queue, lane) => Array<number>(Math.max(0, perLane - queue.length)).fill(lane));
      await forEachConcurrent(missing.length, lanes, async (i) => {
        const document = newDocument();
        await documents.create(document, { type: 'user', id: document.ownerId });
        queues[missing[i] as number]?.push(document.id);
      });
    };
    const happyQueues = Array.from({ length: lanes }, () => [] as string[]);
    const retryQueues = Array.from({ length: lanes }, () => [] as string[]);
    const floorQueues = Array.from({ length: lanes }, () => [] as string[]);
    const sameWritesQueues = Array.from({ length: lanes }, () => [] as string[]);
    phase('send.create');
    await topUp(floorQueues, 4);
    const happy = {
      ...happyPath(documents, happyQueues),
      // Four transitions per document, plus one document a lane may be in the middle of.
      prepare: (operations: number) => topUp(happyQueues, Math.ceil(operations / lanes / 4) + 1),
    };
    const retry = {
      ...retryLoop(documents, retryQueues),
      // Two transitions per attempt, MAX_ATTEMPTS - 1 attempts per document.
      prepare: (operations: number) => topUp(retryQueues, Math.ceil(operations / lanes / 2 / (MAX_ATTEMPTS - 1)) + 1),
    };
    const floor = rawUpdateFloor(raw, floorQueues);
    const sameWrites = {
      ...sameWritesFloor(raw, createPiiCipher(config.pii), config.worker.leaseMs, sameWritesQueues),
      prepare: (operations: number) => topUp(sameWritesQueues, Math.ceil(operations / lanes / 4) + 1),
    };

    const results = await runInterleaved(
      lanes,
      { warmupMs: options.warmupMs, settleMs: SETTLE_MS, sliceMs: options.sliceMs, rounds: options.rounds },
      [happy, floor, sameWrites, retry],
    );
    phase('send.done');
    const figures = (name: string): Figures => {
      const window = results.get(name) as WindowResult;
      return { ...window, p50Ms: percentile(window.latenciesMs, 50), p99Ms: percentile(window.latenciesMs, 99) };
    };
    const send = figures(happy.name);
    const floorFigures = figures(floor.name);
    const sameWritesFigures = figures(sameWrites.name);
    return {
      lanes,
      poolSize,
      send,
      retryLoop: figures(retry.name),
      floor: floorFigures,
      sameWrites: sameWritesFigures,
      ratio: floorFigures.perSecond / send.perSecond,
      ratioVsSameWrites: sameWritesFigures.perSecond / send.perSecond,
    };
  } finally {
    await raw.end();
    await runtime.stop();
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await pool.end();
    await database.drop();
  }
}

/** PROCESSING_STARTED → OCR_COMPLETED → AI_EVALUATED → DECIDE on each document of the lane in turn. */
function happyPath(documents: Documents, queues: string[][]): Workload {
  const lanes = queues.map((queue) => ({ queue, step: 0, doc: '', token: '' }));
  return {
    name: 'send',
    async step(index) {
      const lane = lanes[index] as (typeof lanes)[number];
      if (lane.step === 0) {
        const next = lane.queue.pop();
        if (next === undefined) return false;
        lane.doc = next;
        lane.token = randomUUID();
        await documents.send(
          lane.doc,
          { type: 'PROCESSING_STARTED', workerId: 'bench-worker', attempt: 1, leaseToken: lane.token, device: 'cpu' },
          BENCH_ACTOR,
        );
      } else if (lane.step === 1) {
        await documents.send(
          lane.doc,
          { type: 'OCR_COMPLETED', leaseToken: lane.token, result: SYNTHETIC_OCR, gpuProcessed: false, durationMs: 12 },
          BENCH_ACTOR,
        );
      } else if (lane.step === 2) {
        await documents.send(lane.doc, { type: 'AI_EVALUATED', ...CLEAN_EVALUATION }, BENCH_ACTOR);
      } else {
        const result = await documents.send(lane.doc, { type: 'DECIDE' }, BENCH_ACTOR);
        if (result.status !== 'auto_approve') throw new Error(`expected auto_approve, got ${result.status}`);
      }
      lane.step = (lane.step + 1) % 4;
      return true;
    },
  };
}

/** PROCESSING_STARTED → OCR_FAILED (→ uploaded, requestOcr effect), 19 times per document. */
function retryLoop(documents: Documents, queues: string[][]): Workload {
  const lanes = queues.map((queue) => ({ queue, doc: '', attempts: 0, token: '', processing: false }));
  return {
    name: 'retry',
    async step(index) {
      const lane = lanes[index] as (typeof lanes)[number];
      if (!lane.processing) {
        if (lane.doc === '' || lane.attempts >= MAX_ATTEMPTS - 1) {
          const next = lane.queue.pop();
          if (next === undefined) return false;
          lane.doc = next;
          lane.attempts = 0;
        }
        lane.token = randomUUID();
        await documents.send(
          lane.doc,
          {
            type: 'PROCESSING_STARTED',
            workerId: 'bench-worker',
            attempt: lane.attempts + 1,
            leaseToken: lane.token,
            device: 'cpu',
          },
          BENCH_ACTOR,
        );
        lane.attempts++;
        lane.processing = true;
      } else {
        const result = await documents.send(
          lane.doc,
          { type: 'OCR_FAILED', leaseToken: lane.token, error: { code: 'ocr_error', message: 'x' } },
          BENCH_ACTOR,
        );
        if (result.status !== 'uploaded') throw new Error(`expected uploaded, got ${result.status}`);
        lane.processing = false;
      }
      return true;
    },
  };
}

/**
 * The floor: what Postgres itself costs for one optimistic, autocommit row update per transition.
 * Each lane cycles over its own documents, alternating the status between `processing` and
 * `uploaded` and writing the matching persisted snapshot, so every update changes status (a column
 * in partial-index predicates), snapshot, version and updated_at, as send() does.
 */
function rawUpdateFloor(raw: pg.Pool, queues: string[][]): Workload {
  const machine = createDocumentMachine({ ...DEFAULT_MACHINE_SETTINGS, maxAttempts: MAX_ATTEMPTS });
  const [uploaded] = initialTransition(machine, { documentType: 'KTP' });
  const leaseToken = randomUUID();
  const [processing] = transition(machine, uploaded, {
    type: 'PROCESSING_STARTED',
    workerId: 'bench-worker',
    attempt: 1,
    leaseToken,
    device: 'cpu',
  });
  // Back to uploaded with the lease released, as OCR_FAILED leaves it.
  const [uploadedAgain] = transition(machine, processing, {
    type: 'OCR_FAILED',
    leaseToken,
    error: { code: 'ocr_error', message: 'x' },
  });
  const snapshots = {
    processing: JSON.stringify(machine.getPersistedSnapshot(processing)),
    uploaded: JSON.stringify(machine.getPersistedSnapshot(uploadedAgain)),
  };
  const lanes = queues.map((queue) => ({
    rows: queue.map((id) => ({ id, version: 1, processing: false })),
    cursor: 0,
  }));
  return {
    name: 'floor',
    async step(index) {
      const lane = lanes[index] as (typeof lanes)[number];
      lane.cursor = (lane.cursor + 1) % lane.rows.length;
      const row = lane.rows[lane.cursor] as (typeof lane.rows)[number];
      const status = row.processing ? 'uploaded' : 'processing';
      const result = await raw.query({
        name: 'bench_floor_update',
        text: `UPDATE documents SET status = $3, snapshot = $4::jsonb, version = version + 1, updated_at = now()
               WHERE id = $1 AND version = $2`,
        values: [row.id, row.version, status, snapshots[status]],
      });
      if (result.rowCount !== 1) throw new Error(`floor update lost its version check on ${row.id}`);
      row.version++;
      row.processing = !row.processing;
      return true;
    },
  };
}

/** The parameters of one same-writes statement that do not depend on the document. */
type TransitionRow = {
  status: string;
  fromStatus: string;
  snapshot: string;
  attempts: number;
  /** Set on PROCESSING_STARTED, cleared by every later transition of this path (as the store's CASE does). */
  leaseToken: string | null;
  leaseOwner: string | null;
  gpuProcessed: boolean | null;
  evaluation: string | null;
  piiKeyId: string | null;
  ocrResultEnc: Buffer | null;
  fieldsEnc: Buffer | null;
  nikHash: Buffer | null;
  eventType: string;
  payload: string;
};

/**
 * The rows send() writes along PROCESSING_STARTED → OCR_COMPLETED → AI_EVALUATED → DECIDE, worked out
 * once with the machine, the event-log redaction and the PII cipher, so the timed loop only binds them.
 * Ciphertexts are real ones (for another document id: the bytes differ, their size does not).
 */
function happyPathRows(cipher: PiiCipher): TransitionRow[] {
  const machine = createDocumentMachine();
  const leaseToken = randomUUID();
  const events: DocumentEvent[] = [
    { type: 'PROCESSING_STARTED', workerId: BENCH_ACTOR.id, attempt: 1, leaseToken, device: 'cpu' },
    { type: 'OCR_COMPLETED', leaseToken, result: SYNTHETIC_OCR, gpuProcessed: false, durationMs: 12 },
    { type: 'AI_EVALUATED', ...CLEAN_EVALUATION },
    { type: 'DECIDE' },
  ];
  const documentId = randomUUID();
  let [snapshot] = initialTransition(machine, { documentType: 'KTP' });
  return events.map((event) => {
    const fromStatus = snapshot.value as string;
    [snapshot] = transition(machine, snapshot, event);
    const { fields, score, reasons, policyVersion } = CLEAN_EVALUATION;
    const evaluated = event.type === 'AI_EVALUATED';
    const read = event.type === 'OCR_COMPLETED';
    return {
      status: snapshot.value as string,
      fromStatus,
      snapshot: JSON.stringify(machine.getPersistedSnapshot(snapshot)),
      attempts: snapshot.context.attempts,
      leaseToken: snapshot.context.leaseToken,
      leaseOwner: snapshot.context.leaseToken === null ? null : BENCH_ACTOR.id,
      gpuProcessed: read ? false : null,
      evaluation: evaluated ? JSON.stringify({ score, reasons, policyVersion }) : null,
      piiKeyId: read || evaluated ? cipher.activeKeyId : null,
      ocrResultEnc: read ? cipher.encrypt(JSON.stringify(SYNTHETIC_OCR), `documents/${documentId}/ocr_result`) : null,
      fieldsEnc: evaluated ? cipher.encrypt(JSON.stringify(fields), `documents/${documentId}/fields`) : null,
      nikHash: evaluated && fields.nik ? cipher.hashNik(fields.nik) : null,
      eventType: event.type,
      payload: JSON.stringify(redactForLog(event)),
    };
  });
}

/**
 * The second floor: send()'s writes without send(). One statement per transition, shaped like the
 * store's (adapters/postgres/documentStore.ts applyTransition): the versioned update and the event
 * row in one round trip, the event's seq taken from the updated version.
 */
function sameWritesFloor(raw: pg.Pool, cipher: PiiCipher, leaseMs: number, queues: string[][]): Workload {
  const rows = happyPathRows(cipher);
  const lanes = queues.map((queue) => ({ queue, step: 0, doc: '' }));
  return {
    name: 'same_writes',
    async step(index) {
      const lane = lanes[index] as (typeof lanes)[number];
      if (lane.step === 0) {
        const next = lane.queue.pop();
        if (next === undefined) return false;
        lane.doc = next;
      }
      const row = rows[lane.step] as TransitionRow;
      // create() wrote version 1; each transition of the path adds one.
      const version = lane.step + 1;
      const result = await raw.query({
        name: 'bench_same_writes',
        text: `WITH updated AS (
                 UPDATE documents SET
                   status = $3, snapshot = $4::jsonb, machine_version = $5, version = version + 1, attempts = $6,
                   lease_token = $7::uuid, lease_owner = $8::text,
                   lease_expires_at = CASE WHEN $7::uuid IS NULL THEN NULL
                                           ELSE now() + $9::int * interval '1 millisecond' END,
                   gpu_processed = coalesce($10::boolean, gpu_processed),
                   evaluation = coalesce($11::jsonb, evaluation),
                   pii_key_id = coalesce($12::text, pii_key_id),
                   ocr_result_enc = coalesce($13::bytea, ocr_result_enc),
                   fields_enc = coalesce($14::bytea, fields_enc),
                   nik_hash = coalesce($15::bytea, nik_hash),
                   updated_at = now()
                 WHERE id = $1 AND version = $2
                 RETURNING id, version, correlation_id
               ), event AS (
                 INSERT INTO document_events (document_id, seq, event_type, from_status, to_status, actor_type,
                                              actor_id, correlation_id, machine_version, payload)
                 SELECT id, version, $16, $17, $3, $18, $19, correlation_id, $5, $20::jsonb FROM updated
               )
               SELECT version FROM updated`,
        values: [
          lane.doc,
          version,
          row.status,
          row.snapshot,
          MACHINE_VERSION,
          row.attempts,
          row.leaseToken,
          row.leaseOwner,
          leaseMs,
          row.gpuProcessed,
          row.evaluation,
          row.piiKeyId,
          row.ocrResultEnc,
          row.fieldsEnc,
          row.nikHash,
          row.eventType,
          row.fromStatus,
          BENCH_ACTOR.type,
          BENCH_ACTOR.id,
          row.payload,
        ],
      });
      if (result.rowCount !== 1) throw new Error(`same-writes floor lost its version check on ${lane.doc}`);
      lane.step = (lane.step + 1) % rows.length;
      return true;
    },
  };
}
